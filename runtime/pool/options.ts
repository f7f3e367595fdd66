/**
 * Pool options: the one place they are validated (zod, strict: unknown keys are rejected by name) and
 * defaulted. Everything downstream reads the typed {@link ResolvedPoolOptions} and never re-validates.
 *
 * Environment variables (`SANDFLEET_*`) can set the same options; explicit options win over the environment.
 * | variable                                       | option                          |
 * |------------------------------------------------|---------------------------------|
 * | SANDFLEET_REGISTRY_FILE                        | registryFile                    |
 * | SANDFLEET_POOL_ID                              | poolId                          |
 * | SANDFLEET_MIN_IDLE                             | minIdle                         |
 * | SANDFLEET_MAX_TOTAL                            | maxTotal                        |
 * | SANDFLEET_IDLE_TIMEOUT_MS                      | idleTimeoutMs                   |
 * | SANDFLEET_ACQUIRE_TIMEOUT_MS                   | acquireTimeoutMs                |
 * | SANDFLEET_HEALTH_INTERVAL_MS                   | healthIntervalMs                |
 * | SANDFLEET_HEALTH_TIMEOUT_MS                    | healthTimeoutMs                 |
 * | SANDFLEET_MAX_LEASE_MS                         | maxLeaseMs                      |
 * | SANDFLEET_CLOSE_GRACE_MS                       | closeGraceMs                    |
 * | SANDFLEET_CALL_TIMEOUT_MS                      | callTimeoutMs                   |
 * | SANDFLEET_CREATE_TIMEOUT_MS                    | createTimeoutMs                 |
 * | SANDFLEET_MAX_CONCURRENT_CREATES_PER_ENDPOINT  | maxConcurrentCreatesPerEndpoint |
 * | SANDFLEET_ENDPOINT_OUTAGE_GRACE_MS             | endpointOutageGraceMs           |
 * | SANDFLEET_IMAGE                                | profiles.default.image (only when `profiles` is not given) |
 * | SANDFLEET_PLACEMENT_MODE                       | placement.mode                  |
 * | SANDFLEET_PLACEMENT_STRATEGY                   | placement.strategy              |
 * | SANDFLEET_LOCAL_WEIGHT                         | placement.localWeight           |
 * | SANDFLEET_LOCAL_SOCKET_PATH                    | placement.localSocketPath       |
 * Other `SANDFLEET_*` variables are ignored here (the CLI has its own).
 */
import { hostname } from "node:os";
import { z } from "zod";
import { InvalidOptionsError } from "../errors";
import { EndpointRegistry, parseRegistry } from "../registry/schema";
import { sandboxProfileSchema, SandboxProfile, SandboxProfileInput } from "../sandbox/profile";
import type { PlacementStrategy } from "./placement";

export type PlacementMode = "local" | "remote" | "hybrid";

export interface PlacementOptions {
  /**
   * Which engines receive sandboxes: `remote` = the registry's endpoints; `local` = only this server's own
   * Docker engine; `hybrid` = both, the local engine taking part like one more endpoint.
   * @default "remote"
   */
  mode?: PlacementMode;
  /** How endpoints are scored: `spread` (emptiest first), `binpack` (fullest first), `weighted` (by `weight`). @default "spread" */
  strategy?: PlacementStrategy;
  /** The local engine's `weight` in `hybrid` mode (as an endpoint's registry `weight`). @default 1 */
  localWeight?: number;
  /** The local engine's unix socket. @default "/var/run/docker.sock" */
  localSocketPath?: string;
  /** Containers the pool may keep on the local engine (its `maxContainers`). @default 8 */
  localMaxContainers?: number;
  /** Labels of the local engine for affinity (besides the implicit `sandfleet.dev/local: "true"`). @default {} */
  localLabels?: Record<string, string>;
  /** Sample size of the power-of-K choice among near-equal candidates. @default 2 */
  powerOfK?: number;
  /** Candidates within this many score points (0..100 scale) of the best count as near-equal. @default 5 */
  nearEqualPoints?: number;
  /** Cap on the score preferred-affinity terms can add. @default 100 */
  preferredWeightCap?: number;
}

export interface CircuitBreakerOptions {
  /** Consecutive failed creates on one endpoint before it backs off. @default 3 */
  failureThreshold?: number;
  /** First back-off, doubled per further failure. @default 1_000 */
  baseBackoffMs?: number;
  /** Longest back-off. @default 60_000 */
  maxBackoffMs?: number;
}

export interface PoolOptions {
  /** The endpoint registry (`pulumi stack output endpointRegistry --json --show-secrets`). Either this or `registryFile`. */
  registry?: EndpointRegistry | unknown;
  /** Path of the registry JSON file. Either this or `registry`. */
  registryFile?: string;
  /**
   * Re-read `registryFile` when it changes (fs.watch on its directory, debounced) and apply it like
   * `pool.updateRegistry()`: draining, added and removed endpoints, rotated client certs, without a restart.
   * A file that fails to read or validate is ignored (the pool keeps its registry) and reported in
   * `status().registry.reloadError`, the errors metric and a process warning. Needs `registryFile`.
   * @default false
   */
  watchRegistryFile?: boolean;
  /**
   * Identifies this pool's containers (label `dev.sandfleet.pool`). A restarted pool with the same id removes
   * what its predecessor left behind, so two live pools must never share an id (createPool refuses an id that
   * a live process on this host holds; pools on different hosts need distinct ids — the default includes the hostname).
   * @default `${registry.stack}-${hostname}` (lower-cased, invalid characters replaced by '-')
   */
  poolId?: string;
  /** Idle (warm, running) sandboxes kept per profile; a number for every profile or a map per profile name. @default 2 */
  minIdle?: number | Record<string, number>;
  /** Cap on all containers of the pool (idle + leased + creating) across endpoints. @default sum of the endpoints' maxContainers */
  maxTotal?: number;
  /** Idle sandboxes beyond minIdle are destroyed after this long unused. @default 300_000 */
  idleTimeoutMs?: number;
  /** Default deadline of `acquire()`. @default 30_000 */
  acquireTimeoutMs?: number;
  /** How often each endpoint is pinged. @default 5_000 */
  healthIntervalMs?: number;
  /** Deadline of one health ping; must be below healthIntervalMs. @default 2_000 */
  healthTimeoutMs?: number;
  /** A lease older than this is reclaimed (the sandbox destroyed); 0 disables. @default 900_000 */
  maxLeaseMs?: number;
  /** `close()` waits this long for leased sandboxes to be released before destroying them. @default 10_000 */
  closeGraceMs?: number;
  /** Deadline of every Docker API call. @default 10_000 */
  callTimeoutMs?: number;
  /** Deadline of creating + starting one sandbox (and opening its channel). @default 30_000 */
  createTimeoutMs?: number;
  /** Creates in flight per endpoint (refills and hot-path creates together); avoids refill stampedes. @default 2 */
  maxConcurrentCreatesPerEndpoint?: number;
  /**
   * After an idle sandbox is handed out, how long the refill that replaces it waits, so that the holder's first
   * command runs before a new sandbox's start competes with it for CPU. In-process callers need 0 (the refill runs
   * on the next macrotask, after the caller's first command is sent); a caller one network round trip away (the
   * sandbox service's clients) sends it later. A waiting acquire, a removal or anything else asking for a refill
   * meanwhile runs it at once. @default 0
   */
  refillAfterHandOutMs?: number;
  /**
   * How long sandboxes ride out an endpoint outage such as a dockerd restart (certificate rotation, Docker
   * upgrades; containers survive thanks to live-restore): a sandbox whose attach stream is cut keeps trying to
   * re-attach for this long, and the idle sandboxes of an endpoint that stops answering are kept (never handed
   * out meanwhile) for this long before they are written off. 0 = write them off at once.
   * @default 30_000
   */
  endpointOutageGraceMs?: number;
  /** Named sandbox profiles. @default { default: { image: $SANDFLEET_IMAGE } } when SANDFLEET_IMAGE is set */
  profiles?: Record<string, SandboxProfileInput>;
  /** Profile used when `acquire()` names none. @default "default" (or the only profile) */
  defaultProfile?: string;
  placement?: PlacementOptions;
  circuitBreaker?: CircuitBreakerOptions;
  /** Remove containers an earlier instance with the same pool id left behind, at start. @default true */
  reconcileOnStart?: boolean;
}

const ms = (name: string) => z.number({ invalid_type_error: `${name} must be a number of milliseconds` }).int().nonnegative();
const positiveMs = (name: string) => ms(name).positive(`${name} must be more than 0 ms`);

const placementSchema = z
  .object({
    mode: z.enum(["local", "remote", "hybrid"]).default("remote"),
    strategy: z.enum(["spread", "binpack", "weighted"]).default("spread"),
    localWeight: z.number().positive().default(1),
    localSocketPath: z.string().min(1).default("/var/run/docker.sock"),
    localMaxContainers: z.number().int().positive().default(8),
    localLabels: z.record(z.string().min(1).max(63), z.string().max(63)).default({}),
    powerOfK: z.number().int().min(1).default(2),
    nearEqualPoints: z.number().nonnegative().default(5),
    preferredWeightCap: z.number().nonnegative().default(100),
  })
  .strict()
  .default({});

const circuitBreakerSchema = z
  .object({
    failureThreshold: z.number().int().min(1).default(3),
    baseBackoffMs: positiveMs("circuitBreaker.baseBackoffMs").default(1_000),
    maxBackoffMs: positiveMs("circuitBreaker.maxBackoffMs").default(60_000),
  })
  .strict()
  .default({});

export const poolOptionsSchema = z
  .object({
    registry: z.unknown().optional(),
    registryFile: z.string().min(1).optional(),
    watchRegistryFile: z.boolean().default(false),
    poolId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lower-case letters, digits, '.', '_' or '-' (max 63), as it is a label value and part of container names")
      .optional(),
    minIdle: z.union([z.number().int().nonnegative(), z.record(z.number().int().nonnegative())]).default(2),
    maxTotal: z.number().int().positive().optional(),
    idleTimeoutMs: positiveMs("idleTimeoutMs").default(300_000),
    acquireTimeoutMs: positiveMs("acquireTimeoutMs").default(30_000),
    healthIntervalMs: positiveMs("healthIntervalMs").default(5_000),
    healthTimeoutMs: positiveMs("healthTimeoutMs").default(2_000),
    maxLeaseMs: ms("maxLeaseMs").default(900_000),
    closeGraceMs: ms("closeGraceMs").default(10_000),
    callTimeoutMs: positiveMs("callTimeoutMs").default(10_000),
    createTimeoutMs: positiveMs("createTimeoutMs").default(30_000),
    maxConcurrentCreatesPerEndpoint: z.number().int().positive().default(2),
    refillAfterHandOutMs: ms("refillAfterHandOutMs").default(0),
    endpointOutageGraceMs: ms("endpointOutageGraceMs").default(30_000),
    profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,30}$/, "profile names are lower-case letters, digits, '_' or '-' (max 31)"), z.unknown()).optional(),
    defaultProfile: z.string().min(1).optional(),
    placement: placementSchema,
    circuitBreaker: circuitBreakerSchema,
    reconcileOnStart: z.boolean().default(true),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.healthTimeoutMs >= o.healthIntervalMs) {
      ctx.addIssue({ code: "custom", path: ["healthTimeoutMs"], message: `must be below healthIntervalMs (${o.healthIntervalMs}); lower it or raise healthIntervalMs` });
    }
    if (o.circuitBreaker.baseBackoffMs > o.circuitBreaker.maxBackoffMs) {
      ctx.addIssue({ code: "custom", path: ["circuitBreaker", "baseBackoffMs"], message: "must not exceed circuitBreaker.maxBackoffMs" });
    }
  });

export interface ResolvedPoolOptions {
  registry: EndpointRegistry | undefined;
  registryFile: string | undefined;
  watchRegistryFile: boolean;
  poolId: string | undefined;
  /** Per profile name. */
  minIdle: Record<string, number>;
  maxTotal: number | undefined;
  idleTimeoutMs: number;
  acquireTimeoutMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  maxLeaseMs: number;
  closeGraceMs: number;
  callTimeoutMs: number;
  createTimeoutMs: number;
  maxConcurrentCreatesPerEndpoint: number;
  refillAfterHandOutMs: number;
  endpointOutageGraceMs: number;
  profiles: Record<string, SandboxProfile>;
  defaultProfile: string;
  placement: Required<PlacementOptions>;
  circuitBreaker: Required<CircuitBreakerOptions>;
  reconcileOnStart: boolean;
}

type EnvSpec = { path: string[]; kind: "int" | "number" | "string" };
/** SANDFLEET_* variable -> option path (see the table at the top of this file). */
export const ENV_OPTIONS: Readonly<Record<string, EnvSpec>> = {
  SANDFLEET_REGISTRY_FILE: { path: ["registryFile"], kind: "string" },
  SANDFLEET_POOL_ID: { path: ["poolId"], kind: "string" },
  SANDFLEET_MIN_IDLE: { path: ["minIdle"], kind: "int" },
  SANDFLEET_MAX_TOTAL: { path: ["maxTotal"], kind: "int" },
  SANDFLEET_IDLE_TIMEOUT_MS: { path: ["idleTimeoutMs"], kind: "int" },
  SANDFLEET_ACQUIRE_TIMEOUT_MS: { path: ["acquireTimeoutMs"], kind: "int" },
  SANDFLEET_HEALTH_INTERVAL_MS: { path: ["healthIntervalMs"], kind: "int" },
  SANDFLEET_HEALTH_TIMEOUT_MS: { path: ["healthTimeoutMs"], kind: "int" },
  SANDFLEET_MAX_LEASE_MS: { path: ["maxLeaseMs"], kind: "int" },
  SANDFLEET_CLOSE_GRACE_MS: { path: ["closeGraceMs"], kind: "int" },
  SANDFLEET_CALL_TIMEOUT_MS: { path: ["callTimeoutMs"], kind: "int" },
  SANDFLEET_CREATE_TIMEOUT_MS: { path: ["createTimeoutMs"], kind: "int" },
  SANDFLEET_MAX_CONCURRENT_CREATES_PER_ENDPOINT: { path: ["maxConcurrentCreatesPerEndpoint"], kind: "int" },
  SANDFLEET_ENDPOINT_OUTAGE_GRACE_MS: { path: ["endpointOutageGraceMs"], kind: "int" },
  SANDFLEET_PLACEMENT_MODE: { path: ["placement", "mode"], kind: "string" },
  SANDFLEET_PLACEMENT_STRATEGY: { path: ["placement", "strategy"], kind: "string" },
  SANDFLEET_LOCAL_WEIGHT: { path: ["placement", "localWeight"], kind: "number" },
  SANDFLEET_LOCAL_SOCKET_PATH: { path: ["placement", "localSocketPath"], kind: "string" },
};

/** Options from SANDFLEET_* variables, shaped like PoolOptions. Throws InvalidOptionsError naming the variable. */
export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_OPTIONS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown = raw;
    if (spec.kind !== "string") {
      const parsed = Number(raw.trim());
      if (!Number.isFinite(parsed) || (spec.kind === "int" && !Number.isInteger(parsed))) {
        throw new InvalidOptionsError(`${name}=${JSON.stringify(raw)} is not ${spec.kind === "int" ? "an integer" : "a number"}; fix or unset the environment variable`);
      }
      value = parsed;
    }
    let target = out;
    for (const key of spec.path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[spec.path[spec.path.length - 1]!] = value;
  }
  if (env.SANDFLEET_IMAGE) out.profiles = { default: { image: env.SANDFLEET_IMAGE } };
  return out;
}

/** Explicit options over environment options, one level deep for nested objects (placement, circuitBreaker). */
function mergeOptions(fromEnv: Record<string, unknown>, explicit: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...fromEnv };
  for (const [key, value] of Object.entries(explicit)) {
    if (value === undefined) continue;
    const envValue = fromEnv[key];
    const bothObjects = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
    merged[key] = (key === "placement" || key === "circuitBreaker") && bothObjects(envValue) && bothObjects(value)
      ? { ...(envValue as object), ...(value as object) }
      : value;
  }
  // An explicit registry wins over SANDFLEET_REGISTRY_FILE (they are one option in two forms).
  if (explicit.registry !== undefined && explicit.registryFile === undefined) delete merged.registryFile;
  return merged;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.join(".") : "options";
      if (issue.code === "unrecognized_keys") {
        return `${where}: unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")} (check the spelling; see PoolOptions)`;
      }
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

/**
 * Validates and defaults pool options (environment first, explicit options on top). The registry itself is
 * validated here when given inline; a `registryFile` is read later (async) by createPool.
 */
export function resolvePoolOptions(
  options: PoolOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedPoolOptions {
  if (typeof options !== "object" || options === null) throw new InvalidOptionsError("createPool needs an options object, e.g. createPool({ registryFile: 'registry.json', profiles: { default: { image } } })");
  const merged = mergeOptions(optionsFromEnv(env), options as Record<string, unknown>);
  const result = poolOptionsSchema.safeParse(merged);
  if (!result.success) throw new InvalidOptionsError(`invalid pool options: ${describeIssues(result.error)}`);
  const o = result.data;

  if ((o.registry === undefined) === (o.registryFile === undefined)) {
    throw new InvalidOptionsError(
      o.registry === undefined
        ? "invalid pool options: give 'registry' (the parsed registry JSON) or 'registryFile' (its path), or set SANDFLEET_REGISTRY_FILE"
        : "invalid pool options: give either 'registry' or 'registryFile', not both",
    );
  }
  const registry = o.registry === undefined ? undefined : parseRegistry(o.registry, "options.registry");
  if (o.watchRegistryFile && o.registryFile === undefined) {
    throw new InvalidOptionsError("invalid pool options: watchRegistryFile needs registryFile (an inline registry has no file to watch; call pool.updateRegistry() instead)");
  }

  const rawProfiles = o.profiles ?? {};
  if (Object.keys(rawProfiles).length === 0) {
    throw new InvalidOptionsError("invalid pool options: 'profiles' needs at least one profile, e.g. profiles: { default: { image: 'python:3.12-slim' } } (or set SANDFLEET_IMAGE)");
  }
  const profiles: Record<string, SandboxProfile> = {};
  for (const [name, raw] of Object.entries(rawProfiles)) {
    const parsed = sandboxProfileSchema.safeParse(raw);
    if (!parsed.success) {
      const fixed = new z.ZodError(parsed.error.issues.map((i) => ({ ...i, path: ["profiles", name, ...i.path] })));
      throw new InvalidOptionsError(`invalid pool options: ${describeIssues(fixed)}`);
    }
    profiles[name] = parsed.data;
  }
  const names = Object.keys(profiles);
  const defaultProfile = o.defaultProfile ?? (profiles.default ? "default" : names.length === 1 ? names[0]! : undefined);
  if (!defaultProfile || !profiles[defaultProfile]) {
    throw new InvalidOptionsError(
      `invalid pool options: defaultProfile ${JSON.stringify(o.defaultProfile ?? "default")} is not one of the profiles (${names.join(", ")}); set defaultProfile to one of them`,
    );
  }
  const minIdle: Record<string, number> = {};
  if (typeof o.minIdle === "number") {
    for (const name of names) minIdle[name] = o.minIdle;
  } else {
    for (const key of Object.keys(o.minIdle)) {
      if (!profiles[key]) throw new InvalidOptionsError(`invalid pool options: minIdle.${key}: there is no profile "${key}" (profiles: ${names.join(", ")})`);
    }
    for (const name of names) minIdle[name] = o.minIdle[name] ?? 0;
  }
  return {
    registry,
    registryFile: o.registryFile,
    watchRegistryFile: o.watchRegistryFile,
    poolId: o.poolId,
    minIdle,
    maxTotal: o.maxTotal,
    idleTimeoutMs: o.idleTimeoutMs,
    acquireTimeoutMs: o.acquireTimeoutMs,
    healthIntervalMs: o.healthIntervalMs,
    healthTimeoutMs: o.healthTimeoutMs,
    maxLeaseMs: o.maxLeaseMs,
    closeGraceMs: o.closeGraceMs,
    callTimeoutMs: o.callTimeoutMs,
    createTimeoutMs: o.createTimeoutMs,
    maxConcurrentCreatesPerEndpoint: o.maxConcurrentCreatesPerEndpoint,
    refillAfterHandOutMs: o.refillAfterHandOutMs,
    endpointOutageGraceMs: o.endpointOutageGraceMs,
    profiles,
    defaultProfile,
    placement: o.placement,
    circuitBreaker: o.circuitBreaker,
    reconcileOnStart: o.reconcileOnStart,
  };
}

/** The default pool id: `${stack}-${hostname}`, made a valid label value. */
export function defaultPoolId(stack: string, host = hostname()): string {
  const id = `${stack}-${host}`.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "");
  return (id || "sandfleet").slice(0, 63);
}
