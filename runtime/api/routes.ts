/**
 * Every route of the sandbox service, with its schemas: the table the service registers its handlers against
 * (a handler for a route not in this table fails the service's start), that /openapi.json is generated from and
 * that the typed client calls through. Paths use OpenAPI's `{param}` form; fastify's `:param` is derived.
 */
import type * as z from "zod/v4";
import * as s from "./schemas";

export interface ApiRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  summary: string;
  /** false: no API key needed (health, the OpenAPI document). */
  auth: boolean;
  /** JSON request body, or the raw media type accepted. */
  body?: z.ZodType | { raw: string };
  query?: z.ZodObject;
  /** Success status and JSON body (or the raw media type produced, or none). */
  status: number;
  response?: z.ZodType | { raw: string };
  /** WebSocket upgrade route. */
  websocket?: boolean;
}

/**
 * The routes that act inside a container: exec (buffered and streamed), files, directories as tar, the shell. A
 * sandbox and a workspace have the same ones, under their own path (`base`), served by the same handlers
 * (service/plugins/exec.ts, files.ts, shell.ts); `note` is added to each summary (a workspace starts on demand).
 */
function containerIoRoutes(base: string, note: string) {
  const route = <R extends ApiRoute>(r: R) => ({ ...r, summary: `${r.summary}${note}` });
  return {
    exec: route({ method: "POST", path: `${base}/exec`, summary: "Run a command, answer with its exit code and output", auth: true, body: s.execRequestSchema, status: 200, response: s.execResultSchema }),
    execStream: route({
      method: "POST",
      path: `${base}/exec/stream`,
      summary: "Run a command, stream its output as NDJSON ExecStreamEvent lines; closing the connection kills the command",
      auth: true,
      body: s.execRequestSchema,
      status: 200,
      response: { raw: "application/x-ndjson" },
    }),
    putFile: route({ method: "PUT", path: `${base}/files`, summary: "Write one file (body: its bytes)", auth: true, query: s.filePathQuerySchema, body: { raw: "application/octet-stream" }, status: 204 }),
    getFile: route({ method: "GET", path: `${base}/files`, summary: "Read one file", auth: true, query: s.filePathQuerySchema, status: 200, response: { raw: "application/octet-stream" } }),
    putArchive: route({ method: "PUT", path: `${base}/archive`, summary: "Unpack a tar into a directory (created if missing)", auth: true, query: s.filePathQuerySchema, body: { raw: "application/x-tar" }, status: 204 }),
    getArchive: route({ method: "GET", path: `${base}/archive`, summary: "A directory as tar", auth: true, query: s.filePathQuerySchema, status: 200, response: { raw: "application/x-tar" } }),
    shell: route({ method: "GET", path: `${base}/shell`, summary: "Interactive shell with a PTY over WebSocket (ShellClientMessage in, ShellServerMessage out; ?cols=&rows=)", auth: true, status: 101, websocket: true }),
  } as const;
}

export type ContainerIoRoutes = ReturnType<typeof containerIoRoutes>;
export const SANDBOX_IO_ROUTES = containerIoRoutes("/v1/sandboxes/{id}", "");
export const WORKSPACE_IO_ROUTES = containerIoRoutes("/v1/workspaces/{name}", " (starts a stopped workspace first; counts as activity)");

export const API_ROUTES = {
  health: { method: "GET", path: "/healthz", summary: "Liveness and endpoint readiness", auth: false, status: 200, response: s.healthSchema },
  openapi: { method: "GET", path: "/openapi.json", summary: "This API as OpenAPI 3.1", auth: false, status: 200, response: { raw: "application/json" } },
  status: { method: "GET", path: "/v1/status", summary: "Service and pool status", auth: true, status: 200, response: s.serviceStatusSchema },
  metrics: { method: "GET", path: "/metrics", summary: "Prometheus metrics (pool and service)", auth: true, status: 200, response: { raw: "text/plain" } },
  createSandbox: { method: "POST", path: "/v1/sandboxes", summary: "Take a warm sandbox (profile, affinity, lease)", auth: true, body: s.createSandboxRequestSchema, status: 201, response: s.sandboxSchema },
  listSandboxes: { method: "GET", path: "/v1/sandboxes", summary: "The caller's leased sandboxes", auth: true, status: 200, response: s.sandboxListSchema },
  getSandbox: { method: "GET", path: "/v1/sandboxes/{id}", summary: "One of the caller's sandboxes", auth: true, status: 200, response: s.sandboxSchema },
  releaseSandbox: { method: "DELETE", path: "/v1/sandboxes/{id}", summary: "Release: answers at once, the container is removed in the background", auth: true, status: 202, response: s.sandboxSchema },
  extendLease: { method: "POST", path: "/v1/sandboxes/{id}/lease", summary: "Set the lease to leaseMs from now", auth: true, body: s.extendLeaseRequestSchema, status: 200, response: s.sandboxSchema },
  getEgress: { method: "GET", path: "/v1/sandboxes/{id}/egress", summary: "The sandbox's egress policy and what its host's proxy refused", auth: true, status: 200, response: s.sandboxEgressSchema },
  setEgress: {
    method: "PUT",
    path: "/v1/sandboxes/{id}/egress",
    summary: "Replace the running sandbox's egress policy (within its profile's); applies from its next request",
    auth: true,
    body: s.egressPolicyBodySchema,
    status: 200,
    response: s.sandboxEgressSchema,
  },
  exec: SANDBOX_IO_ROUTES.exec,
  execStream: SANDBOX_IO_ROUTES.execStream,
  putFile: SANDBOX_IO_ROUTES.putFile,
  getFile: SANDBOX_IO_ROUTES.getFile,
  putArchive: SANDBOX_IO_ROUTES.putArchive,
  getArchive: SANDBOX_IO_ROUTES.getArchive,
  shell: SANDBOX_IO_ROUTES.shell,
  createWorkspace: { method: "POST", path: "/v1/workspaces", summary: "Create a persistent workspace (volume on one host + container)", auth: true, body: s.createWorkspaceRequestSchema, status: 201, response: s.workspaceSchema },
  listWorkspaces: { method: "GET", path: "/v1/workspaces", summary: "The caller's workspaces", auth: true, status: 200, response: s.workspaceListSchema },
  getWorkspace: { method: "GET", path: "/v1/workspaces/{name}", summary: "One workspace: state, host, disk used / quota, last activity", auth: true, status: 200, response: s.workspaceSchema },
  startWorkspace: { method: "POST", path: "/v1/workspaces/{name}/start", summary: "Start a stopped workspace on its host with its data", auth: true, status: 200, response: s.workspaceSchema },
  stopWorkspace: { method: "POST", path: "/v1/workspaces/{name}/stop", summary: "Stop: the container goes, the data stays", auth: true, status: 200, response: s.workspaceSchema },
  deleteWorkspace: { method: "DELETE", path: "/v1/workspaces/{name}", summary: "Delete the workspace and its data (keepData=true keeps the volume)", auth: true, query: s.deleteWorkspaceQuerySchema, status: 204 },
  workspaceExec: WORKSPACE_IO_ROUTES.exec,
  workspaceExecStream: WORKSPACE_IO_ROUTES.execStream,
  workspacePutFile: WORKSPACE_IO_ROUTES.putFile,
  workspaceGetFile: WORKSPACE_IO_ROUTES.getFile,
  workspacePutArchive: WORKSPACE_IO_ROUTES.putArchive,
  workspaceGetArchive: WORKSPACE_IO_ROUTES.getArchive,
  workspaceShell: WORKSPACE_IO_ROUTES.shell,
  workspaceSnapshot: { method: "GET", path: "/v1/workspaces/{name}/snapshot", summary: "The workspace's data as a tar (entries under workspace/)", auth: true, status: 200, response: { raw: "application/x-tar" } },
  restoreWorkspace: { method: "POST", path: "/v1/workspaces/restore", summary: "Create a new workspace from a snapshot tar", auth: true, query: s.restoreWorkspaceQuerySchema, body: { raw: "application/x-tar" }, status: 201, response: s.workspaceSchema },
  createKey: { method: "POST", path: "/v1/keys", summary: "Create an API key (admin keys only)", auth: true, body: s.createKeyRequestSchema, status: 201, response: s.createdKeySchema },
  listKeys: { method: "GET", path: "/v1/keys", summary: "List API keys (admin keys only)", auth: true, status: 200, response: s.keyListSchema },
  revokeKey: { method: "DELETE", path: "/v1/keys/{id}", summary: "Revoke an API key (admin keys only)", auth: true, status: 200, response: s.apiKeySchema },
} as const satisfies Record<string, ApiRoute>;

export type ApiRouteName = keyof typeof API_ROUTES;

/** `/v1/sandboxes/{id}` -> `/v1/sandboxes/:id` (fastify's form). */
export function fastifyPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ":$1");
}
