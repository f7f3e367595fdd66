/**
 * One raw TLS connection to a Docker endpoint that separates the three things `doctor` reports on: does the
 * handshake complete with our client cert, is the server cert signed by the registry's CA, does it cover the
 * name we verify it against. (A normal https request folds all three into one error.)
 */
import { checkServerIdentity, connect, TLSSocket } from "node:tls";
import type { Endpoint, RegistryTls } from "../../runtime/registry/schema";
import { classifyTlsFailure, TlsFailureKind } from "../../runtime/docker/tls-failure";
import { mtlsConnectionOptions, verifiedServerName } from "../../runtime/docker/tls-options";

export interface TlsProbeResult {
  /** Handshake completed and the daemon answered an HTTP request (so it accepted our client cert). */
  accepted: boolean;
  /** Why it did not: a classified failure, or a timeout. */
  failure?: { kind: TlsFailureKind | "timeout"; message: string };
  /** Server cert chain verified against the registry's CA; else the OpenSSL reason. */
  caError?: string;
  /** Server cert covers the name; else why not. */
  nameError?: string;
  /** Names and addresses the server cert covers (for the fix). */
  subjectAltName?: string;
  /** The server cert's notAfter, as presented in the handshake (what the daemon really serves, not what state says). */
  serverNotAfter?: Date;
}

export function probeTls(endpoint: Endpoint, tls: RegistryTls, timeoutMs: number): Promise<TlsProbeResult> {
  const serverName = verifiedServerName(endpoint);
  return new Promise((resolve) => {
    const result: TlsProbeResult = { accepted: false };
    let socket: TLSSocket | undefined;
    const finish = (update: Partial<TlsProbeResult>) => {
      clearTimeout(timer);
      socket?.destroy();
      resolve({ ...result, ...update });
    };
    const timer = setTimeout(
      () => finish({ failure: { kind: "timeout", message: `no TLS answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
    socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      ...mtlsConnectionOptions(endpoint, tls),
      // Verified below, separately, so that one connection reports CA and name problems independently.
      rejectUnauthorized: false,
    });
    socket.on("secureConnect", () => {
      const peer = socket!.getPeerCertificate();
      result.subjectAltName = peer.subjectaltname;
      if (peer.valid_to) result.serverNotAfter = new Date(peer.valid_to);
      if (!socket!.authorized) result.caError = String(socket!.authorizationError);
      const nameError = checkServerIdentity(serverName, peer);
      if (nameError) result.nameError = nameError.message;
      // Under TLS 1.3 the server judges our client cert after the handshake: only a request tells.
      socket!.write(`GET /_ping HTTP/1.1\r\nHost: ${serverName}\r\nConnection: close\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      if (chunk.toString("latin1").startsWith("HTTP/1.")) finish({ accepted: true });
    });
    socket.on("error", (err) => {
      const kind = classifyTlsFailure(err) ?? "other";
      finish({ failure: { kind, message: err.message } });
    });
    socket.on("close", () => finish({ failure: result.failure ?? { kind: "client-cert-rejected", message: "the daemon closed the connection after the handshake" } }));
  });
}
