/**
 * The sandbox service's HTTP API, as zod schemas: the one description of every request and response body. The
 * service validates requests with them, /openapi.json is generated from them (openapi.ts), and the typed client
 * (client.ts) takes its types from them, so the three cannot drift apart. Written with `zod/v4` (shipped inside
 * zod 3.25) for its `z.toJSONSchema`.
 */
import * as z from "zod/v4";
import { EGRESS_MODES } from "../sandbox/egress";

/**
 * Names of the schemas that become OpenAPI components. A registry of this module's own, not zod's global one:
 * the global registry refuses an id twice, and this module may be evaluated more than once in one process
 * (test runners that isolate files share the zod module).
 */
export const apiSchemaIds = z.registry<{ id: string }>();

/** The one error body of every non-2xx answer. `code` is stable: the runtime's typed error codes, or the service's own below. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable code: a runtime error's (POOL_EXHAUSTED, IMAGE_NOT_FOUND, ...) or the service's (UNAUTHORIZED, LIMIT_*, ...)" }),
      message: z.string().meta({ description: "What happened, naming the field, limit, sandbox or endpoint concerned" }),
      hint: z.string().meta({ description: "What to change" }),
    }),
  })
  .register(apiSchemaIds, { id: "Error" });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Codes the service itself raises (besides the runtime's). */
export const SERVICE_ERROR_CODES = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INVALID_REQUEST: 400,
  NOT_FOUND: 404,
  SANDBOX_GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  LIMIT_REQUESTS_PER_SECOND: 429,
  LIMIT_CONCURRENT_SANDBOXES: 429,
  LIMIT_LEASE_LENGTH: 429,
  ENDPOINT_LOST: 503,
  INTERNAL: 500,
} as const;

const envSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string());

/**
 * A sandbox's egress policy (docs/egress.md). The shape only: the rules (host name syntax, CIDRs, that a change
 * may only narrow the profile's policy) are the runtime's (runtime/sandbox/egress.ts), checked by the service.
 */
export const egressPolicyBodySchema = z
  .strictObject({
    mode: z.enum(EGRESS_MODES).meta({ description: "none | allowlist | internet" }),
    hosts: z.array(z.string()).max(256).optional().meta({ description: 'Names: "api.example.com" or "*.example.com"' }),
    cidrs: z.array(z.string()).max(256).optional().meta({ description: "Ranges for literal-address requests" }),
    ports: z.array(z.int().min(1).max(65535)).min(1).max(64).optional().meta({ description: "Destination ports; default [80, 443]" }),
  })
  .register(apiSchemaIds, { id: "EgressPolicy" });

export const createSandboxRequestSchema = z
  .strictObject({
    profile: z.string().min(1).optional().meta({ description: "Profile name; the service's default profile when absent" }),
    affinity: z.unknown().optional().meta({ description: "Required endpoint affinity (the runtime's RequiredAffinity)" }),
    preferred: z.unknown().optional().meta({ description: "Preferred affinity terms (the runtime's PreferredAffinityTerm[])" }),
    leaseMs: z.int().positive().optional().meta({ description: "Lease length; the sandbox is destroyed when it runs out. Default: the service's defaultLeaseMs" }),
    acquireTimeoutMs: z.int().positive().max(300_000).optional(),
    egress: egressPolicyBodySchema
      .optional()
      .meta({ description: "This sandbox's egress policy, within its profile's (narrowing only, 403 EGRESS_WIDENED otherwise; the rule of PUT /v1/sandboxes/{id}/egress). Default: the profile's" }),
  })
  .register(apiSchemaIds, { id: "CreateSandboxRequest" });
export type CreateSandboxRequest = z.infer<typeof createSandboxRequestSchema>;

export const sandboxSchema = z
  .object({
    id: z.string(),
    profile: z.string(),
    endpointId: z.string(),
    containerId: z.string(),
    leasedAt: z.string().meta({ description: "ISO 8601" }),
    expiresAt: z.string().meta({ description: "ISO 8601; extend with POST /v1/sandboxes/{id}/lease" }),
    state: z.enum(["leased", "released", "expired", "reclaimed", "broken"]),
  })
  .register(apiSchemaIds, { id: "Sandbox" });
export type SandboxInfo = z.infer<typeof sandboxSchema>;

export const sandboxEgressSchema = z
  .object({
    policy: z.object({ mode: z.enum(EGRESS_MODES), hosts: z.array(z.string()), cidrs: z.array(z.string()), ports: z.array(z.int()) }),
    denials: z
      .array(z.object({ time: z.string().meta({ description: "ISO 8601" }), host: z.string(), port: z.int(), method: z.string() }))
      .meta({ description: "What the host's egress proxy refused this sandbox, oldest first (each also in the audit log)" }),
  })
  .register(apiSchemaIds, { id: "SandboxEgress" });
export type SandboxEgress = z.infer<typeof sandboxEgressSchema>;

export const sandboxListSchema = z.object({ sandboxes: z.array(sandboxSchema) }).register(apiSchemaIds, { id: "SandboxList" });
export type SandboxList = z.infer<typeof sandboxListSchema>;

export const extendLeaseRequestSchema = z
  .strictObject({ leaseMs: z.int().positive().meta({ description: "New lease length, counted from now" }) })
  .register(apiSchemaIds, { id: "ExtendLeaseRequest" });
export type ExtendLeaseRequest = z.infer<typeof extendLeaseRequestSchema>;

export const execRequestSchema = z
  .strictObject({
    argv: z.array(z.string()).min(1).meta({ description: "The command and its arguments; no shell parsing" }),
    env: envSchema.optional(),
    cwd: z.string().startsWith("/").optional(),
    stdin: z.string().optional().meta({ description: "UTF-8 text fed to stdin" }),
    stdinBase64: z.string().optional().meta({ description: "Bytes fed to stdin, base64 (instead of stdin)" }),
    timeoutMs: z.int().positive().optional().meta({ description: "Kill the command after this long; the result then has timedOut true and exit code 137" }),
  })
  .register(apiSchemaIds, { id: "ExecRequest" });
export type ExecRequest = z.infer<typeof execRequestSchema>;

export const execResultSchema = z
  .object({ exitCode: z.int(), stdout: z.string(), stderr: z.string(), durationMs: z.number(), timedOut: z.boolean() })
  .register(apiSchemaIds, { id: "ExecResult" });
export type ExecResultBody = z.infer<typeof execResultSchema>;

/** One line of a streamed exec (application/x-ndjson): output chunks as produced, then exactly one exit or error line. */
export const execStreamEventSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("stdout"), data: z.string() }),
    z.object({ type: z.literal("stderr"), data: z.string() }),
    z.object({ type: z.literal("exit"), exitCode: z.int(), durationMs: z.number(), timedOut: z.boolean() }),
    z.object({ type: z.literal("error"), error: errorBodySchema.shape.error }),
  ])
  .register(apiSchemaIds, { id: "ExecStreamEvent" });
export type ExecStreamEvent = z.infer<typeof execStreamEventSchema>;

export const filePathQuerySchema = z.strictObject({ path: z.string().startsWith("/").meta({ description: "Absolute path inside the sandbox or workspace" }) });

export const keyLimitsBodySchema = z
  .strictObject({
    concurrentSandboxes: z.int().positive().optional(),
    maxLeaseMs: z.int().positive().optional(),
    requestsPerSecond: z.number().positive().optional(),
  })
  .register(apiSchemaIds, { id: "KeyLimits" });

export const createKeyRequestSchema = z
  .strictObject({ name: z.string().min(1).max(64), admin: z.boolean().optional(), limits: keyLimitsBodySchema.optional() })
  .register(apiSchemaIds, { id: "CreateKeyRequest" });
export type CreateKeyRequest = z.infer<typeof createKeyRequestSchema>;

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    admin: z.boolean(),
    limits: z.object({ concurrentSandboxes: z.int(), maxLeaseMs: z.int(), requestsPerSecond: z.number() }),
    createdAt: z.string(),
    revokedAt: z.string().optional(),
  })
  .register(apiSchemaIds, { id: "ApiKey" });
export type ApiKeyInfo = z.infer<typeof apiKeySchema>;

export const createdKeySchema = apiKeySchema.extend({ key: z.string().meta({ description: "The key itself, shown once" }) }).register(apiSchemaIds, { id: "CreatedApiKey" });
export const keyListSchema = z.object({ keys: z.array(apiKeySchema) }).register(apiSchemaIds, { id: "ApiKeyList" });

export const healthSchema = z.object({ ok: z.boolean(), endpointsReady: z.int(), endpoints: z.int() }).register(apiSchemaIds, { id: "Health" });
export type Health = z.infer<typeof healthSchema>;

export const serviceStatusSchema = z
  .object({
    version: z.string(),
    schemaVersion: z.int(),
    leases: z.int().meta({ description: "Sandboxes leased through this service" }),
    pool: z.unknown().meta({ description: "The runtime pool's status() object" }),
  })
  .register(apiSchemaIds, { id: "ServiceStatus" });
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

const workspaceNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 lower-case letters, digits, '_' or '-', starting with a letter or digit")
  .meta({ description: "Unique per API key" });

export const createWorkspaceRequestSchema = z
  .strictObject({
    name: workspaceNameSchema,
    profile: z.string().min(1).optional().meta({ description: "Profile name; the service's default profile when absent" }),
    quotaGb: z.int().min(0).max(16_384).optional().meta({ description: "Disk quota in GB (default 10; 0 = none). See docs/workspaces.md for how the host enforces it" }),
    labels: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/), z.string().max(256)).optional(),
    affinity: z.unknown().optional().meta({ description: "Required endpoint affinity (the runtime's RequiredAffinity)" }),
    preferred: z.unknown().optional().meta({ description: "Preferred affinity terms" }),
    start: z.boolean().optional().meta({ description: "Start the container at once (default true)" }),
  })
  .register(apiSchemaIds, { id: "CreateWorkspaceRequest" });
export type CreateWorkspaceRequest = z.infer<typeof createWorkspaceRequestSchema>;

export const workspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    profile: z.string(),
    endpointId: z.string().meta({ description: "The one host its data lives on; it never moves" }),
    state: z.enum(["running", "stopped", "unavailable"]),
    reason: z.string().optional().meta({ description: "Why it is unavailable (host drained, gone from the registry, not answering)" }),
    mountPath: z.string().meta({ description: "Where the data volume is mounted; commands start there" }),
    quotaGb: z.int(),
    diskUsedBytes: z.int().optional().meta({ description: "GET /v1/workspaces/{name} only, when the host answers" }),
    labels: z.record(z.string(), z.string()),
    createdAt: z.string().meta({ description: "ISO 8601" }),
    lastActivityAt: z.string().meta({ description: "ISO 8601; idle auto-stop counts from here" }),
  })
  .register(apiSchemaIds, { id: "Workspace" });
export type WorkspaceBody = z.infer<typeof workspaceSchema>;

export const workspaceListSchema = z.object({ workspaces: z.array(workspaceSchema) }).register(apiSchemaIds, { id: "WorkspaceList" });

export const deleteWorkspaceQuerySchema = z.strictObject({
  keepData: z.enum(["true", "false"]).optional().meta({ description: "true: keep the data volume on its host (a later reconcile re-adopts it)" }),
});

export const restoreWorkspaceQuerySchema = z.strictObject({
  name: workspaceNameSchema,
  profile: z.string().min(1).optional(),
  quotaGb: z.string().regex(/^\d+$/).optional(),
});

/** Messages of the interactive shell (WebSocket at /v1/sandboxes/{id}/shell): text frames, JSON. */
export const shellClientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stdin"), data: z.string() }),
  z.object({ type: z.literal("resize"), cols: z.int().min(1).max(1000), rows: z.int().min(1).max(1000) }),
]);
export type ShellClientMessage = z.infer<typeof shellClientMessageSchema>;
export const shellServerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stdout"), data: z.string() }),
  z.object({ type: z.literal("exit"), exitCode: z.int() }),
  z.object({ type: z.literal("error"), error: errorBodySchema.shape.error }),
]);
export type ShellServerMessage = z.infer<typeof shellServerMessageSchema>;
