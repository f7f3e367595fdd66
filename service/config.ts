/**
 * The service's config file (`sandfleet-service --config FILE`, JSON), parsed once here at the edge. This schema
 * is the contract with whatever writes the file (the stack's platform delivery, `npm start`, tests): every key,
 * its default and its rule are below, and a bad file fails at start with the key, the rule and the fix.
 *
 *   {
 *     "listen": { "host": "0.0.0.0", "port": 8443 },
 *     "tls": { "certFile": "/etc/sandfleet/service.crt", "keyFile": "/etc/sandfleet/service.key",
 *              "byServerName": [{ "serverName": "sandbox.example.com", "certFile": "...", "keyFile": "..." }] },
 *     "registryFile": "/etc/sandfleet/registry.json",
 *     "dataDir": "/var/lib/sandfleet/service",
 *     "pool": { "profiles": { "default": { "image": "debian:trixie-slim" } }, "minIdle": 2 },
 *     "bootstrapKeys": [{ "name": "stack-initial", "sha256": "<hex SHA-256 of the key>" }]
 *   }
 *
 * `pool` is passed to the runtime's createPool() as is (its own schema checks it; registryFile, watchRegistryFile
 * and maxLeaseMs are set by the service). `bootstrapKeys` carry only hashes, so the key itself never sits on the
 * host in clear: the stack generates it, shows it as a secret output, and writes its SHA-256 here.
 */
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import * as z from "zod/v4";

const absolutePath = z.string().refine(isAbsolute, { message: "must be an absolute path" });
/** A DNS name as a TLS client sends it in SNI: lower-case labels, no IP address, no trailing dot. */
const SNI_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The service's TLS certificates. `certFile`/`keyFile` answer every handshake (an IP address, no SNI, any other
 * name); each `byServerName` pair answers only handshakes whose SNI is its `serverName` (the stack puts the
 * Cloudflare Origin CA certificate for the proxied DNS name there, docs/service-host.md). SIGHUP re-reads all of them.
 */
export const serviceTlsSchema = z
  .strictObject({
    certFile: absolutePath,
    keyFile: absolutePath,
    byServerName: z
      .array(
        z.strictObject({
          serverName: z.string().regex(SNI_NAME, "must be a lower-case DNS name such as sandbox.example.com (SNI carries names, never IP addresses)"),
          certFile: absolutePath,
          keyFile: absolutePath,
        }),
      )
      .default([]),
  })
  .superRefine((tls, ctx) => {
    const seen = new Set<string>();
    tls.byServerName.forEach((entry, i) => {
      if (seen.has(entry.serverName)) {
        ctx.addIssue({ code: "custom", path: ["byServerName", i, "serverName"], message: `"${entry.serverName}" appears twice; give each server name one certificate` });
      }
      seen.add(entry.serverName);
    });
  });

export const keyLimitsSchema = z.strictObject({
  /** Sandboxes one key may hold at once. */
  concurrentSandboxes: z.int().positive().default(10),
  /** Longest lease one key may ask for (create and extend), ms. */
  maxLeaseMs: z.int().positive().default(60 * 60_000),
  /** Requests per second per key (token bucket, burst = 2 s worth). */
  requestsPerSecond: z.number().positive().default(50),
});
export type KeyLimits = z.infer<typeof keyLimitsSchema>;

export const serviceConfigSchema = z.strictObject({
  listen: z.strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    /** 0 = any free port (tests); the URL returned by startService() tells which. */
    port: z.int().min(0).max(65_535).default(8443),
  }),
  /** The API is served over TLS only: there is no plain-HTTP listener, so a key never crosses a network in clear. */
  tls: serviceTlsSchema,
  /** The endpoint registry (the stack's `endpointRegistry` output); reloaded when it changes and on SIGHUP. */
  registryFile: absolutePath,
  /** Where the database lives (service.db: keys, limits, leases, audit); on the platform's data volume. */
  dataDir: absolutePath,
  pool: z.record(z.string(), z.unknown()).default({}),
  /** Limits given to keys created without their own. */
  defaultLimits: keyLimitsSchema.prefault({}),
  /** Lease length when a create names none, ms. */
  defaultLeaseMs: z.int().positive().default(10 * 60_000),
  /** Largest request body (file and tar uploads included), bytes; larger ones get 413. */
  maxUploadBytes: z.int().positive().default(64 * 1024 * 1024),
  /** Keys inserted at start when missing (by hash): the stack's initial key. */
  bootstrapKeys: z.array(z.strictObject({ name: z.string().min(1).max(64), sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits") })).default([]),
  /** Persistent workspaces (docs/workspaces.md). */
  workspaces: z
    .strictObject({
      /** Stop a running workspace this long after its last exec, shell or file operation ended (never while one is in flight), ms; 0 = never. */
      idleStopMs: z.int().nonnegative().default(30 * 60_000),
    })
    .prefault({}),
  /** How long close() (SIGTERM) waits for requests in flight before leased sandboxes are destroyed, ms. */
  closeGraceMs: z.int().nonnegative().default(10_000),
});
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;
export type ServiceConfigInput = z.input<typeof serviceConfigSchema>;

/** Thrown for an unusable config; the message names the key, the rule and the fix. */
export class ServiceConfigError extends Error {
  override name = "ServiceConfigError";
}

export function parseServiceConfig(input: unknown, source = "the service config"): ServiceConfig {
  const result = serviceConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
  throw new ServiceConfigError(`${source} is invalid: ${problems.join("; ")}; fix these keys (see service/config.ts for every key and its default)`);
}

export function readServiceConfigFile(path: string): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ServiceConfigError(`cannot read the service config ${path} (${(err as Error).message}); pass an existing file with --config`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ServiceConfigError(`the service config ${path} is not valid JSON (${(err as Error).message})`);
  }
  return parseServiceConfig(json, `the service config ${path}`);
}
