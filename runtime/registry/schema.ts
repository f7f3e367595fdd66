/**
 * The endpoint registry: the one contract between the provisioning half (components/, stacks/, local/)
 * and the pool runtime. This file is its single source of truth; both halves import it.
 *
 * Every change to the shape bumps {@link REGISTRY_VERSION}; the runtime refuses versions it does not know.
 * This file must never import @pulumi (the runtime runs on servers without it).
 */
import { z } from "zod";
import { RegistryError } from "../errors";

export { RegistryError };

/** The registry version this code writes and reads. */
export const REGISTRY_VERSION = 1;

/** Versions this runtime can read. */
export const SUPPORTED_REGISTRY_VERSIONS: readonly number[] = [1];

const pem = (block: "CERTIFICATE" | "PRIVATE KEY") =>
  z
    .string()
    .refine((s) => new RegExp(`-----BEGIN ([A-Z]+ )?${block}-----`).test(s), {
      message: `must be a PEM-encoded ${block.toLowerCase()} ("-----BEGIN ...${block}-----")`,
    });

const labelValue = z.string().max(63);

export const capacitySchema = z
  .object({
    cpus: z.number().positive(),
    memoryMb: z.number().int().positive(),
    diskGb: z.number().int().nonnegative(),
  })
  .strict();

export const endpointSchema = z
  .object({
    /** Stable, unique id, e.g. `hetzner-fsn1-standard-1`. Used in metrics and container labels. */
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lower-case letters, digits, '.', '_' or '-' (max 63)"),
    /** Address the pool dials (private IP on the same network, else public). */
    host: z.string().min(1),
    /** Docker TLS port; 2376 on real servers. */
    port: z.number().int().min(1).max(65535),
    /** Name to verify the server certificate against, when it differs from `host`. */
    serverName: z.string().min(1).optional(),
    /** Public address, for operators; the pool never dials it unless it is also `host`. */
    publicHost: z.string().min(1).optional(),
    provider: z.string().min(1),
    region: z.string().min(1),
    location: z.string().min(1),
    /** Container runtime sandboxes must use on this endpoint. */
    runtime: z.enum(["runsc", "runc"]),
    /** Upper bound of containers (idle + leased + starting) the pool keeps on this endpoint. */
    maxContainers: z.number().int().positive(),
    /** Relative share for the `weighted` strategy. */
    weight: z.number().positive(),
    capacity: capacitySchema,
    labels: z.record(z.string().min(1).max(63), labelValue),
    /** A draining endpoint keeps its leased sandboxes but receives no new ones (set before removing servers). */
    draining: z.boolean().optional(),
  })
  .strict();

export const registryTlsSchema = z
  .object({
    ca: pem("CERTIFICATE"),
    clientCert: pem("CERTIFICATE"),
    clientKey: pem("PRIVATE KEY"),
  })
  .strict();

export const registrySchema = z
  .object({
    version: z.literal(REGISTRY_VERSION),
    stack: z.string().min(1),
    tls: registryTlsSchema,
    endpoints: z.array(endpointSchema),
  })
  .strict()
  .superRefine((registry, ctx) => {
    const seen = new Set<string>();
    registry.endpoints.forEach((endpoint, index) => {
      if (seen.has(endpoint.id)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["endpoints", index, "id"],
          message: `duplicate endpoint id "${endpoint.id}"; every endpoint needs its own id`,
        });
      }
      seen.add(endpoint.id);
    });
  });

export type Capacity = z.infer<typeof capacitySchema>;
export type Endpoint = z.infer<typeof endpointSchema>;
export type RegistryTls = z.infer<typeof registryTlsSchema>;
export type EndpointRegistry = z.infer<typeof registrySchema>;

/**
 * Validates an untrusted registry document (parsed JSON) and returns it typed.
 * Throws {@link RegistryError} naming the field, the rule and the fix.
 */
export function parseRegistry(input: unknown, source = "registry"): EndpointRegistry {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new RegistryError(
      `${source}: expected a JSON object; get one with 'pulumi stack output endpointRegistry --json --show-secrets > registry.json'`,
    );
  }
  const version = (input as { version?: unknown }).version;
  if (typeof version !== "number" || !SUPPORTED_REGISTRY_VERSIONS.includes(version)) {
    throw new RegistryError(
      `${source}: registry version ${JSON.stringify(version)} is not supported by this runtime ` +
        `(it reads version ${SUPPORTED_REGISTRY_VERSIONS.join(", ")}); ` +
        `upgrade the sandfleet runtime or re-export the registry from a matching sandfleet version`,
    );
  }
  const result = registrySchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
      .join("; ");
    throw new RegistryError(`${source}: invalid endpoint registry: ${problems}`);
  }
  return result.data;
}

/** Reads and validates a registry JSON file. */
export async function readRegistryFile(path: string): Promise<EndpointRegistry> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new RegistryError(
      `registry file ${path} cannot be read (${(err as Error).message}); ` +
        `write it with 'pulumi stack output endpointRegistry --json --show-secrets > ${path}'`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(`registry file ${path} is not valid JSON (${(err as Error).message})`);
  }
  return parseRegistry(json, path);
}
