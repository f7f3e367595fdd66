/**
 * The service's one error shape, `{ error: { code, message, hint } }`, and the mapping of the runtime's typed
 * errors onto HTTP statuses. Codes are the runtime's own (`POOL_EXHAUSTED`, `IMAGE_NOT_FOUND`, ...) or the
 * service's (runtime/api/schemas.ts SERVICE_ERROR_CODES); the status follows from the code alone.
 */
import {
  AcquireTimeoutError,
  DockerCallTimeoutError,
  EndpointUnavailableError,
  ExecInterruptedError,
  ImageNotFoundError,
  InvalidAcquireRequestError,
  EgressWidenedError,
  LeaseExpiredError,
  NoMatchingEndpointError,
  PoolClosedError,
  PoolExhaustedError,
  SandboxBrokenError,
  SandboxReleasedError,
  SandfleetError,
  TlsHandshakeError,
  InvalidWorkspaceRequestError,
  WorkspaceExistsError,
  WorkspaceNotFoundError,
  WorkspaceUnavailableError,
} from "../runtime/index";
import type { ErrorBody } from "../runtime/api/schemas";
import { SERVICE_ERROR_CODES } from "../runtime/api/schemas";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }

  static of(code: keyof typeof SERVICE_ERROR_CODES, message: string, hint: string): ApiError {
    return new ApiError(SERVICE_ERROR_CODES[code], code, message, hint);
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, hint: this.hint } };
  }
}

/** Any thrown value as an ApiError; `endpointId` names the workspace host a sandbox call went to, when known. */
export function toApiError(err: unknown, endpointId?: string): ApiError {
  if (err instanceof ApiError) return err;
  const on = (message: string) => (endpointId && !message.includes(endpointId) ? `endpoint ${endpointId}: ${message}` : message);
  if (err instanceof SandfleetError) {
    const e = err as SandfleetError;
    if (e instanceof InvalidAcquireRequestError || e instanceof NoMatchingEndpointError || e instanceof ImageNotFoundError) {
      return new ApiError(400, e.code, e.message, "change the request: a profile, image or affinity the service has");
    }
    if (e instanceof WorkspaceNotFoundError) return new ApiError(404, e.code, e.message, "check the name: GET /v1/workspaces lists this key's workspaces");
    if (e instanceof WorkspaceExistsError) return new ApiError(409, e.code, e.message, "pick another name, or delete the existing workspace first");
    if (e instanceof InvalidWorkspaceRequestError) return new ApiError(400, e.code, e.message, "fix the named field; /openapi.json describes the request");
    if (e instanceof WorkspaceUnavailableError) return new ApiError(503, e.code, on(e.message), "the workspace's data lives on that host only: bring the host back, or snapshot and restore it into a new workspace");
    if (e instanceof EgressWidenedError) return new ApiError(403, e.code, e.message, "ask for a policy within the sandbox profile's egress, or use a profile that allows more");
    if (e instanceof LeaseExpiredError || e instanceof SandboxReleasedError) return new ApiError(410, e.code, e.message, "create a new sandbox");
    if (e instanceof PoolExhaustedError) return new ApiError(503, e.code, e.message, "retry later, or add workspace capacity (more servers or a higher maxContainers)");
    if (e instanceof SandboxBrokenError || e instanceof EndpointUnavailableError || e instanceof DockerCallTimeoutError) {
      return new ApiError(503, e.code, on(e.message), "the workspace host is unreachable or its container died; release this sandbox and create a new one");
    }
    if (e instanceof ExecInterruptedError) return new ApiError(503, e.code, on(e.message), "run the command again if it is safe to repeat");
    if (e instanceof TlsHandshakeError) return new ApiError(503, e.code, e.message, "the service's Docker TLS material does not match the workspace hosts; re-deliver the registry");
    if (e instanceof AcquireTimeoutError || e instanceof PoolClosedError) return new ApiError(503, e.code, e.message, "retry later");
    return new ApiError(500, e.code, e.message, "see the service log");
  }
  const message = (err as Error)?.message ?? String(err);
  return ApiError.of("INTERNAL", on(message), "see the service log (journalctl -u sandfleet-service)");
}
