/**
 * The service's TLS certificates, chosen per handshake by SNI: the default pair (config `tls.certFile`/`keyFile`)
 * answers every handshake without a matching name (an IP address, which TLS clients never send as SNI; no SNI at
 * all; any other name), and each `tls.byServerName` pair answers handshakes for its one name. That is how one
 * port serves both the stack-CA leaf that `serviceCaCert` clients verify (by IP) and a Cloudflare Origin CA
 * certificate for the proxied DNS name, which Cloudflare's *Full (strict)* mode checks (docs/service-host.md).
 *
 * Loading is all or nothing: every pair is read and checked (key and certificate belong together) before any is
 * used, so a reload that fails keeps every previous pair in service.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContext, type Server as TlsServer } from "node:tls";
import type { ServiceConfig } from "./config";

interface LoadedPair {
  key: Buffer;
  cert: Buffer;
  context: SecureContext;
}

export interface TlsReloadResult {
  /** Expiry of the default certificate (the stack-CA leaf). */
  notAfter: string;
  /** Expiry of each certificate chosen by SNI, by server name. */
  byServerName: Record<string, string>;
}

function loadPair(certFile: string, keyFile: string): LoadedPair {
  const pair = { key: readFileSync(keyFile), cert: readFileSync(certFile) };
  // createSecureContext checks that key and certificate belong together.
  try {
    return { ...pair, context: createSecureContext(pair) };
  } catch (err) {
    throw new Error(`${certFile} and ${keyFile} do not load as a TLS pair (${(err as Error).message}); install a certificate with its own key`);
  }
}

export class ServiceTlsCertificates {
  #default: LoadedPair;
  #byName: Map<string, LoadedPair>;

  constructor(private readonly tls: ServiceConfig["tls"]) {
    ({ byDefault: this.#default, byName: this.#byName } = this.#load());
  }

  #load() {
    const byDefault = loadPair(this.tls.certFile, this.tls.keyFile);
    const byName = new Map(this.tls.byServerName.map((entry) => [entry.serverName, loadPair(entry.certFile, entry.keyFile)] as const));
    return { byDefault, byName };
  }

  /** Options for fastify's `https`: the default pair, and an SNI callback that picks a named pair when one matches. */
  httpsOptions(): { key: Buffer; cert: Buffer; SNICallback: (serverName: string, done: (err: Error | null, ctx?: SecureContext) => void) => void } {
    return {
      key: this.#default.key,
      cert: this.#default.cert,
      // No match: `undefined` makes node use the server's default context (the pair above, or the one set by reload()).
      SNICallback: (serverName, done) => done(null, this.#byName.get(serverName.toLowerCase())?.context),
    };
  }

  /** Re-reads every pair; on success new handshakes get the new certificates (open connections keep theirs). */
  reload(server: TlsServer): TlsReloadResult {
    const next = this.#load();
    server.setSecureContext({ key: next.byDefault.key, cert: next.byDefault.cert });
    this.#default = next.byDefault;
    this.#byName = next.byName;
    return this.expiry();
  }

  expiry(): TlsReloadResult {
    return {
      notAfter: new X509Certificate(this.#default.cert).validTo,
      byServerName: Object.fromEntries([...this.#byName].map(([name, pair]) => [name, new X509Certificate(pair.cert).validTo])),
    };
  }
}
