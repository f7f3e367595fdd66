/**
 * Typed errors of the pool runtime. Every message names what happened and what to change, so an operator
 * reading a log line knows the fix without opening the source.
 */
import type { TlsFailureKind } from "./docker/tls-failure";
export { RegistryError } from "./registry/schema";
export type { TlsFailureKind };

/** Base class of every error the runtime raises on purpose; `code` is stable for programmatic checks. */
export class SandfleetError extends Error {
  override name = "SandfleetError";
  readonly code: string = "SANDFLEET_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
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

/** The TLS handshake with an endpoint failed (wrong CA, client cert without client_auth, name mismatch). */
export class TlsHandshakeError extends SandfleetError {
  override name = "TlsHandshakeError";
  override readonly code: string = "TLS_HANDSHAKE";
  constructor(
    readonly endpointId: string,
    readonly kind: TlsFailureKind,
    detail: string,
  ) {
    super(`endpoint ${endpointId}: TLS handshake failed (${kind}): ${detail}`);
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
