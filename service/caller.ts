/**
 * The caller of a request: its API key (set by the auth plugin) and, for sandbox routes, its sandbox. Every
 * sandbox call goes through {@link withCallerSandbox}, which records sandbox and endpoint for the audit log and,
 * when the sandbox's container or endpoint is gone, ends its lease and answers 503 naming the endpoint.
 *
 * The exec, files and shell handlers act on a {@link ContainerTarget}: the caller's sandbox or the caller's
 * workspace (started on demand, activity counted, by runtime/workspace/workspaces.ts; each request is one
 * operation in flight there, which idle auto-stop waits for). {@link CONTAINER_TARGETS}
 * pairs each kind with its routes, so one handler serves both.
 */
import type { FastifyRequest } from "fastify";
import { SandboxBrokenError, Sandbox } from "../runtime/index";
import type { ExecOptions, ExecResult, Terminal, TerminalOptions } from "../runtime/index";
import { ContainerIoRoutes, SANDBOX_IO_ROUTES, WORKSPACE_IO_ROUTES } from "../runtime/api/routes";
import { ApiError, toApiError } from "./api-error";
import type { ApiKeyRecord } from "./db/api-keys";

export function callerKey(request: FastifyRequest): ApiKeyRecord {
  if (!request.audit.key) throw ApiError.of("UNAUTHORIZED", "missing API key", "send 'Authorization: Bearer sfk_...'");
  return request.audit.key;
}

export async function withCallerSandbox<T>(request: FastifyRequest, id: string, use: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const { leases } = request.server.sandfleet;
  request.audit.sandboxId = id;
  const sandbox = leases.sandbox(callerKey(request), id);
  request.audit.endpointId = sandbox.endpointId;
  try {
    return await use(sandbox);
  } catch (err) {
    if (err instanceof SandboxBrokenError) leases.markBroken(id);
    throw toApiError(err, sandbox.endpointId);
  }
}

/** What exec, files and shell need of a container: a leased Sandbox has exactly this; a workspace is adapted to it. */
export interface ContainerTarget {
  readonly endpointId: string;
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  putFile(path: string, content: string | Buffer): Promise<void>;
  openTerminal(options: TerminalOptions): Promise<Terminal>;
}

export type ContainerKind = "sandbox" | "workspace";

/** Each kind of container with its path parameter and its routes (runtime/api/routes.ts containerIoRoutes). */
export const CONTAINER_TARGETS: readonly { kind: ContainerKind; param: string; routes: ContainerIoRoutes; noun: string }[] = [
  { kind: "sandbox", param: "id", routes: SANDBOX_IO_ROUTES, noun: "sandbox" },
  { kind: "workspace", param: "name", routes: WORKSPACE_IO_ROUTES, noun: "workspace" },
];

/**
 * Runs `use` on the caller's sandbox or workspace named `ref`: another key's, or none, is a 404 (410 for a sandbox
 * whose lease ended); audit row and errors as for {@link withCallerSandbox}.
 */
export function withCallerContainer<T>(request: FastifyRequest, kind: ContainerKind, ref: string, use: (target: ContainerTarget) => Promise<T>): Promise<T> {
  return kind === "sandbox" ? withCallerSandbox(request, ref, use) : withCallerWorkspace(request, ref, use);
}

/** Throws (404, 410, ...) unless the caller has this sandbox or workspace; for checks before a WebSocket upgrade. */
export function assertCallerContainer(request: FastifyRequest, kind: ContainerKind, ref: string): void {
  const key = callerKey(request);
  try {
    if (kind === "sandbox") {
      request.audit.sandboxId = ref;
      request.audit.endpointId = request.server.sandfleet.leases.sandbox(key, ref).endpointId;
    } else {
      const info = request.server.sandfleet.workspaces.get(key.id, ref);
      Object.assign(request.audit, { workspaceId: info.id, endpointId: info.endpointId });
    }
  } catch (err) {
    throw toApiError(err);
  }
}

async function withCallerWorkspace<T>(request: FastifyRequest, name: string, use: (target: ContainerTarget) => Promise<T>): Promise<T> {
  const { workspaces } = request.server.sandfleet;
  const owner = callerKey(request).id;
  let endpointId: string | undefined;
  try {
    const info = workspaces.get(owner, name);
    endpointId = info.endpointId;
    Object.assign(request.audit, { workspaceId: info.id, endpointId });
    // The whole request is one operation in flight (a file route makes two calls; a shell lasts as long as its
    // session), so idle auto-stop never stops the workspace during it.
    return await workspaces.inUse(owner, name, () =>
      use({
        endpointId: info.endpointId,
        exec: (argv, options) => workspaces.exec(owner, name, argv, options),
        putFile: (path, content) => workspaces.putFile(owner, name, path, content),
        openTerminal: (options) => workspaces.openTerminal(owner, name, options),
      }),
    );
  } catch (err) {
    throw toApiError(err, endpointId);
  }
}
