/**
 * One Docker endpoint of the registry (or the platform server's own engine), reached through dockerode.
 *
 * Why not just `new Dockerode(...)`: dockerode's `timeout` is socket inactivity (it kills long attach streams and
 * never fires on a host that accepts TCP but never answers), it opens a socket per request by default, and its TLS
 * errors do not say what to fix. So: a keep-alive agent with bounded sockets, every call under its own deadline
 * (the call is aborted, freeing its socket), and TLS failures classified into {@link TlsHandshakeError}.
 */
import * as http from "node:http";
import * as https from "node:https";
import { checkServerIdentity } from "node:tls";
import { inspect } from "node:util";
import Dockerode from "dockerode";
import type { Endpoint, RegistryTls } from "../registry/schema";
import { DockerCallTimeoutError, EndpointUnavailableError, TlsHandshakeError } from "../errors";
import { classifyTlsFailure, tlsFailureAdvice } from "./tls-failure";
import { mtlsConnectionOptions, verifiedServerName } from "./tls-options";

export interface EndpointClientOptions {
  /** Deadline of every Docker API call, in ms. @default 10_000 */
  callTimeoutMs?: number;
  /** Bounded keep-alive sockets per endpoint. @default 16 */
  maxSockets?: number;
}

/** Socket errors that mean "nobody answers there" rather than "the call failed". */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ENOENT", "EPIPE"]);

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_SOCKETS = 16;

/**
 * docker-modem formats the options of every request with `util.inspect(options, { showHidden: true, depth: null })`
 * for a debug line, whether or not debugging is on. The options carry the agent, and with it every keep-alive TLS
 * socket and its internals: measured, 5-15 ms of blocked event loop per Docker call on a busy 2-core machine,
 * during which no API request and no exec output is served. The agent prints as one line instead.
 */
export function withCheapInspect<A extends http.Agent>(agent: A, label: string): A {
  Object.defineProperty(agent, inspect.custom, { value: () => `[${label}]`, enumerable: false });
  return agent;
}

export class EndpointClient {
  /** mTLS client for a registry endpoint; the server cert is verified against `endpoint.serverName ?? host`. */
  static remote(endpoint: Endpoint, tls: RegistryTls, options: EndpointClientOptions = {}): EndpointClient {
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    const serverName = verifiedServerName(endpoint);
    const agent = withCheapInspect(
      new https.Agent({
        keepAlive: true,
        maxSockets,
        maxFreeSockets: maxSockets,
        ...mtlsConnectionOptions(endpoint, tls),
        // Node's own check, but against the registry's serverName even when we dial an IP (where SNI is omitted).
        checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
      }),
      `docker mTLS agent ${endpoint.id}`,
    );
    const docker = new Dockerode({
      host: endpoint.host,
      port: endpoint.port,
      protocol: "https",
      ca: tls.ca,
      cert: tls.clientCert,
      key: tls.clientKey,
      agent,
    } as Dockerode.DockerOptions);
    return new EndpointClient(endpoint.id, docker, agent, options, endpoint);
  }

  /** The platform server's own engine (placement "local"), over its unix socket. */
  static local(socketPath = "/var/run/docker.sock", options: EndpointClientOptions = {}): EndpointClient {
    const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    const agent = withCheapInspect(new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets }), "docker socket agent local");
    const docker = new Dockerode({ socketPath, agent } as Dockerode.DockerOptions);
    return new EndpointClient("local", docker, agent, options, undefined);
  }

  readonly callTimeoutMs: number;
  private closed = false;

  private constructor(
    readonly id: string,
    /** Raw client for rare calls; always go through {@link call} so the call has a deadline. */
    readonly docker: Dockerode,
    private readonly agent: http.Agent,
    options: EndpointClientOptions,
    /** The registry entry; undefined for the local engine. */
    readonly endpoint: Endpoint | undefined,
  ) {
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /**
   * Runs one Docker call under a deadline. `fn` gets an AbortSignal: pass it as `abortSignal` where dockerode
   * accepts options, so a timed-out call also frees its socket. Rejects with {@link DockerCallTimeoutError},
   * {@link TlsHandshakeError}, {@link EndpointUnavailableError} or the Docker error as is.
   */
  call<T>(what: string, fn: (docker: Dockerode, signal: AbortSignal) => Promise<T>, timeoutMs = this.callTimeoutMs): Promise<T> {
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        controller.abort();
        reject(new DockerCallTimeoutError(this.id, what, timeoutMs));
      }, timeoutMs);
      let pending: Promise<T>;
      try {
        pending = fn(this.docker, controller.signal);
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (err) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(this.classify(err, what));
        },
      );
    });
  }

  /** Maps low-level failures to typed errors that say what to fix; other errors pass through. */
  classify(err: unknown, what: string): unknown {
    const kind = classifyTlsFailure(err);
    if (kind) return new TlsHandshakeError(this.id, kind, `${what}: ${(err as Error).message}; ${tlsFailureAdvice(kind)}`);
    const code = String((err as { code?: unknown })?.code ?? "");
    if (UNREACHABLE_CODES.has(code)) {
      const where = this.endpoint ? `${this.endpoint.host}:${this.endpoint.port}` : "the local Docker socket";
      return new EndpointUnavailableError(
        this.id,
        `${what}: ${where} is not reachable (${code}); check that dockerd runs and listens there and that the firewall lets the pool through`,
      );
    }
    return err;
  }

  async ping(timeoutMs = this.callTimeoutMs): Promise<void> {
    await this.call("ping", (docker, abortSignal) => (docker as unknown as AbortableCalls).ping({ abortSignal }), timeoutMs);
  }

  version(timeoutMs = this.callTimeoutMs): Promise<Dockerode.DockerVersion> {
    return this.call("version", (docker, abortSignal) => (docker as unknown as AbortableCalls).version({ abortSignal }), timeoutMs);
  }

  info(timeoutMs = this.callTimeoutMs): Promise<DockerInfo> {
    return this.call("info", (docker, abortSignal) => (docker as unknown as AbortableCalls).info({ abortSignal }), timeoutMs);
  }

  /** Containers in every state that carry all of `labels`. */
  listContainers(labels: Record<string, string>): Promise<Dockerode.ContainerInfo[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    return this.call("list containers", (docker, abortSignal) => docker.listContainers({ all: true, filters, abortSignal }));
  }

  /** Force-removes a container (and its anonymous volumes); a container that is already gone is fine. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.call(`remove container ${id.slice(0, 12)}`, (docker, abortSignal) =>
        docker.getContainer(id).remove({ force: true, v: true, abortSignal }),
      );
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      // 404: gone already; 409 "removal already in progress": someone else is removing it.
      if (status === 404 || status === 409) return;
      throw err;
    }
  }

  /** Destroys the agent's sockets; later calls fail. Persistent attach streams are closed by their owners. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.agent.destroy();
  }
}

/** dockerode accepts `abortSignal` on these calls; its type definitions do not say so. */
interface AbortableCalls {
  ping(opts: { abortSignal: AbortSignal }): Promise<unknown>;
  version(opts: { abortSignal: AbortSignal }): Promise<Dockerode.DockerVersion>;
  info(opts: { abortSignal: AbortSignal }): Promise<DockerInfo>;
}

/** The fields of `docker info` sandfleet reads. */
export interface DockerInfo {
  ServerVersion?: string;
  DefaultRuntime?: string;
  Runtimes?: Record<string, unknown>;
  Containers?: number;
  ContainersRunning?: number;
  NCPU?: number;
  MemTotal?: number;
}
