/**
 * Typed errors of the pool runtime. Every message names what happened and what to change, so an operator
 * reading a log line knows the fix without opening the source.
 */
import type { TlsFailureKind } from "./docker/tls-failure";
export type { TlsFailureKind };

/**
 * Base class of every error the runtime raises on purpose; `code` is stable for programmatic checks. Scheme:
 * a subclass's code is its class name in SCREAMING_SNAKE_CASE without the trailing "Error"
 * (`TlsHandshakeError` -> `TLS_HANDSHAKE`), so a code names its class and no two classes share one.
 */
export class SandfleetError extends Error {
  override name = "SandfleetError";
  readonly code: string = "SANDFLEET_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A registry that cannot be used (unreadable file, invalid JSON or shape, unknown version, another stack); the
 * message says what to change. Defined here with the other errors; the registry schema re-exports it.
 */
export class RegistryError extends SandfleetError {
  override name = "RegistryError";
  override readonly code: string = "REGISTRY";
}

/** Pool options are invalid (unknown key, bad value or bad SANDFLEET_* environment variable). */
export class InvalidOptionsError extends SandfleetError {
  override name = "InvalidOptionsError";
  override readonly code: string = "INVALID_OPTIONS";
}

/** `acquire()` was called on a pool that is closing or closed. */
export class PoolClosedError extends SandfleetError {
  override name = "PoolClosedError";
  override readonly code: string = "POOL_CLOSED";
  constructor(message = "the pool is closed; create a new pool with createPool() instead of reusing a closed one") {
    super(message);
  }
}

/**
 * `acquire()` did not get a sandbox before its deadline. {@link PoolExhaustedError} when capacity was the
 * reason; otherwise `cause` tells (an {@link EndpointUnavailableError} when no matching endpoint was healthy,
 * or the last create failure).
 */
export class AcquireTimeoutError extends SandfleetError {
  override name = "AcquireTimeoutError";
  override readonly code: string = "ACQUIRE_TIMEOUT";
  constructor(
    message: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The deadline passed while every eligible endpoint was full (maxContainers) or the pool was at maxTotal. */
export class PoolExhaustedError extends AcquireTimeoutError {
  override name = "PoolExhaustedError";
  override readonly code: string = "POOL_EXHAUSTED";
}

/**
 * An endpoint cannot be reached (connection refused/reset, host unreachable) or, raised by the pool as the
 * `cause` of an {@link AcquireTimeoutError}, every endpoint matching a request was unresponsive, draining or
 * backing off.
 */
export class EndpointUnavailableError extends SandfleetError {
  override name = "EndpointUnavailableError";
  override readonly code: string = "ENDPOINT_UNAVAILABLE";
  constructor(
    readonly endpointId: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`endpoint ${endpointId}: ${detail}`, options);
  }
}

/** The request's required affinity matches no endpoint of the registry at all: waiting cannot help. */
export class NoMatchingEndpointError extends SandfleetError {
  override name = "NoMatchingEndpointError";
  override readonly code: string = "NO_MATCHING_ENDPOINT";
}

/** `acquire()` was called with an invalid request (unknown profile, malformed affinity, bad timeout). */
export class InvalidAcquireRequestError extends SandfleetError {
  override name = "InvalidAcquireRequestError";
  override readonly code: string = "INVALID_ACQUIRE_REQUEST";
}

/** A Docker API call did not answer within its deadline (a frozen or black-holed host). */
export class DockerCallTimeoutError extends SandfleetError {
  override name = "DockerCallTimeoutError";
  override readonly code: string = "DOCKER_CALL_TIMEOUT";
  constructor(
    readonly endpointId: string,
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(
      `endpoint ${endpointId}: ${what} got no answer within ${timeoutMs} ms; the host is frozen, overloaded or ` +
        `black-holed (check dockerd there), or raise callTimeoutMs if it is merely slow`,
    );
  }
}

/**
 * The TLS handshake with an endpoint failed (wrong CA, client cert refused, name mismatch, expired). `acquire()`
 * rejects with it at once when every endpoint that could serve the request fails this way (waiting cannot help);
 * `endpointId` then lists them, comma-separated.
 */
export class TlsHandshakeError extends SandfleetError {
  override name = "TlsHandshakeError";
  override readonly code: string = "TLS_HANDSHAKE";
  constructor(
    readonly endpointId: string,
    readonly kind: TlsFailureKind,
    /** What failed and the fix, without the endpoint prefix. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`endpoint ${endpointId}: TLS handshake failed (${kind}): ${detail}`, options);
  }
}

/**
 * A profile's image is not on the endpoint(s). Sandboxes start only from images already on the hosts (nothing is
 * pulled on the acquire path), so waiting cannot help: `acquire()` rejects with it once every endpoint that could
 * serve the request lacks the image, and keeps placing on the endpoints that have it otherwise.
 */
export class ImageNotFoundError extends SandfleetError {
  override name = "ImageNotFoundError";
  override readonly code: string = "IMAGE_NOT_FOUND";
  constructor(
    readonly image: string,
    readonly endpointIds: readonly string[],
    /** What Docker said, or what else is wrong with the other candidate endpoints. */
    detail?: string,
  ) {
    super(
      `image "${image}" is not on endpoint(s) ${endpointIds.join(", ")}${detail ? ` (${detail})` : ""}; sandboxes start only ` +
        `from images already on the hosts: list it in the stack config under sandfleet:docker.prePullImages and run ` +
        `pulumi up, or 'docker load' it on each host, or push it to a registry the hosts can reach and 'docker pull' it there`,
    );
  }
}

/** The sandbox's container or channel is gone (container died, endpoint lost); acquire a new sandbox. */
export class SandboxBrokenError extends SandfleetError {
  override name = "SandboxBrokenError";
  override readonly code: string = "SANDBOX_BROKEN";
  constructor(
    readonly containerId: string,
    reason: string,
  ) {
    super(`sandbox ${containerId.slice(0, 12)} is broken: ${reason}; release it and acquire a new one`);
  }
}

/**
 * The attach stream was cut while this command ran (typically a dockerd restart, which live-restore survives).
 * The command was stopped and its outcome is unknown, but the sandbox re-attached and takes the next command:
 * run it again if it is safe to repeat. (When the sandbox could not be re-attached, exec throws
 * {@link SandboxBrokenError} instead.)
 */
export class ExecInterruptedError extends SandfleetError {
  override name = "ExecInterruptedError";
  override readonly code: string = "EXEC_INTERRUPTED";
  constructor(
    readonly containerId: string,
    reason: string,
  ) {
    super(
      `sandbox ${containerId.slice(0, 12)}: the command was cut off (${reason}), most likely by a dockerd restart; ` +
        `it was stopped and its outcome is unknown, but the sandbox re-attached and is usable: run the command again if it is safe to repeat`,
    );
  }
}

/** The sandbox was used after `release()`; sandboxes are single-use, acquire a new one. */
export class SandboxReleasedError extends SandfleetError {
  override name = "SandboxReleasedError";
  override readonly code: string = "SANDBOX_RELEASED";
}

/** The lease ran past `maxLeaseMs` and the pool reclaimed (destroyed) the sandbox. */
export class LeaseExpiredError extends SandfleetError {
  override name = "LeaseExpiredError";
  override readonly code: string = "LEASE_EXPIRED";
}

/** No workspace of that name belongs to the caller (another owner's workspace is reported the same way). */
export class WorkspaceNotFoundError extends SandfleetError {
  override name = "WorkspaceNotFoundError";
  override readonly code: string = "WORKSPACE_NOT_FOUND";
}

/** The owner already has a workspace of that name. */
export class WorkspaceExistsError extends SandfleetError {
  override name = "WorkspaceExistsError";
  override readonly code: string = "WORKSPACE_EXISTS";
}

/**
 * The workspace's host cannot serve it now: gone from the registry, draining, or not answering. Its data lives on
 * that host only, so the workspace is never recreated elsewhere; the message says why and what to do.
 */
export class WorkspaceUnavailableError extends SandfleetError {
  override name = "WorkspaceUnavailableError";
  override readonly code: string = "WORKSPACE_UNAVAILABLE";
}

/** A workspace request with a bad field (name, quota, labels, profile user); the message names it and the rule. */
export class InvalidWorkspaceRequestError extends SandfleetError {
  override name = "InvalidWorkspaceRequestError";
  override readonly code: string = "INVALID_WORKSPACE_REQUEST";
}

/** A requested egress policy reaches something its profile's does not (a request may only narrow it). */
export class EgressWidenedError extends SandfleetError {
  override name = "EgressWidenedError";
  override readonly code: string = "EGRESS_WIDENED";
}
