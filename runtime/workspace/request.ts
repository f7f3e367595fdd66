/**
 * What creating a workspace takes, parsed once at the edge (library call or API body) into typed values: a bad
 * field fails at once with InvalidWorkspaceRequestError naming the field, the rule and the fix.
 */
import { z } from "zod";
import { InvalidWorkspaceRequestError } from "../errors";
import type { AcquireOptions } from "../pool/acquire-request";

/** Where the data volume is mounted in every workspace container, and where commands start. */
export const WORKSPACE_MOUNT_PATH = "/workspace";

export const workspaceNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 lower-case letters, digits, '_' or '-', starting with a letter or digit");

export const createWorkspaceSchema = z
  .object({
    name: workspaceNameSchema,
    owner: z.string().min(1).max(128),
    /** Profile of the pool (image, limits, runtime). @default the pool's defaultProfile */
    profile: z.string().min(1).optional(),
    /** Disk quota in GB; 0 = no quota. @default 10 */
    quotaGb: z.number().int().min(0).max(16_384).default(10),
    /** The user's labels (kept on the volume). */
    labels: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "label keys are lower-case letters, digits, '.', '_' or '-'"), z.string().max(256)).default({}),
    affinity: z.unknown().optional(),
    preferred: z.unknown().optional(),
  })
  .strict();

export type CreateWorkspaceInput = z.input<typeof createWorkspaceSchema>;
export type CreateWorkspace = z.infer<typeof createWorkspaceSchema> & Pick<AcquireOptions, "affinity" | "preferred">;

export function parseCreateWorkspace(input: CreateWorkspaceInput): CreateWorkspace {
  const result = createWorkspaceSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidWorkspaceRequestError(
      `workspace create: ${result.error.issues.map((i) => `${i.path.join(".") || "(request)"}: ${i.message}`).join("; ")}; fix the named field(s)`,
    );
  }
  return result.data as CreateWorkspace;
}

/** A workspace's uid:gid, numeric: the volume's root is given to this owner before the first start. */
export function numericUser(user: string, profile: string): { uid: number; gid: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) {
    throw new InvalidWorkspaceRequestError(
      `profile "${profile}": user "${user}" is a name; workspaces need a numeric uid[:gid] (e.g. "1000:1000") so the data volume can be handed to that owner before the container's /etc/passwd is readable`,
    );
  }
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}
