/**
 * The caller of a request: its API key (set by the auth plugin) and, for sandbox routes, its sandbox. Every
 * sandbox call goes through {@link withCallerSandbox}, which records sandbox and endpoint for the audit log and,
 * when the sandbox's container or endpoint is gone, ends its lease and answers 503 naming the endpoint.
 */
import type { FastifyRequest } from "fastify";
import { SandboxBrokenError, Sandbox } from "../runtime/index";
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
