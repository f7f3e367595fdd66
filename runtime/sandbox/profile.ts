/**
 * A sandbox profile: what every container of one warm pool looks like. Parsed once, at pool construction;
 * the rest of the runtime reads the typed result and never re-validates.
 */
import { z } from "zod";
import { egressPolicySchema } from "./egress";

const MiB = 1024 * 1024;

const absolutePath = z.string().regex(/^\/[^\0]*$/, "must be an absolute path inside the container");

export const tmpfsMountSchema = z
  .object({
    /** Mount point inside the container. */
    path: absolutePath,
    /** Size limit of the tmpfs (counts against the container's memory). */
    sizeBytes: z.number().int().positive(),
  })
  .strict();

export const sandboxProfileSchema = z
  .object({
    /** Image to run; must be present on every endpoint (no registry pulls on the hot path). */
    image: z.string().min(1),
    /** Memory limit (swap disabled). @default 512 MiB */
    memoryBytes: z.number().int().min(16 * MiB).default(512 * MiB),
    /** CPU limit, in CPUs (fractions allowed). @default 1 */
    cpus: z.number().positive().max(256).default(1),
    /**
     * Max processes/threads (fork-bomb guard). Under runsc the pids cgroup also counts gVisor's own host threads
     * (measured: 32 kills the sandbox at start, 64 works), hence the minimum. @default 256
     */
    pidsLimit: z.number().int().min(64, "must be at least 64: under gVisor the limit also counts the sandbox kernel's own threads").default(256),
    /** Root filesystem read-only; writable space comes from the tmpfs mounts. @default true */
    readOnlyRootfs: z.boolean().default(true),
    /** Scratch space. @default { path: "/tmp", sizeBytes: 64 MiB } */
    tmpfs: tmpfsMountSchema.default({ path: "/tmp", sizeBytes: 64 * MiB }),
    /** Writable working directory (a tmpfs), where commands start. @default { path: "/work", sizeBytes: 256 MiB } */
    workdir: tmpfsMountSchema.default({ path: "/work", sizeBytes: 256 * MiB }),
    /**
     * "none" (default: no network at all) or the name of an existing Docker network. Never "host":
     * a sandbox must not share the host's network namespace.
     */
    network: z
      .string()
      .min(1)
      .refine((n) => n !== "host" && !n.startsWith("container:"), {
        message: 'must be "none" or the name of a Docker network; "host" and "container:..." would share a namespace',
      })
      .default("none"),
    /**
     * What the sandbox may reach outside, enforced on the workspace host (docs/egress.md): `{ mode: "none" }`
     * (default), an `allowlist` of host names / CIDRs and ports, or the public `internet`; never the private
     * network or the metadata address. Exclusive with `network`. @default { mode: "none" }
     */
    egress: egressPolicySchema.default({ mode: "none", hosts: [], cidrs: [], ports: [80, 443] }),
    /** uid[:gid] the sandbox runs as. @default "65534:65534" (nobody) */
    user: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, 'must be "uid", "uid:gid" or a user name')
      .default("65534:65534"),
    /** Environment of every command (exec `env` overrides per call). @default {} */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a shell identifier"), z.string()).default({}),
    /**
     * The shell sandfleet keeps running in the container for the fast exec channel. `null`: the image has no
     * shell; its own CMD keeps it running and every exec pays a `docker exec` (about 85 ms under gVisor).
     * A missing shell is also detected at start and falls back the same way. @default "/bin/sh"
     */
    shell: absolutePath.nullable().default("/bin/sh"),
    /** OCI runtime. "runc" only when set explicitly (no gVisor isolation). @default "runsc" */
    runtime: z.enum(["runsc", "runc"]).default("runsc"),
  })
  .strict()
  .refine((p) => p.network === "none" || p.egress.mode === "none", {
    message:
      'set either network (a Docker network of your own, unfiltered beyond DOCKER-USER) or egress (the host\'s proxied, allowlisted egress), not both: remove one',
    path: ["egress"],
  });

export type SandboxProfile = z.infer<typeof sandboxProfileSchema>;
export type SandboxProfileInput = z.input<typeof sandboxProfileSchema>;

/** Parses a profile (throws ZodError; the pool wraps it into InvalidOptionsError). */
export function parseSandboxProfile(input: SandboxProfileInput): SandboxProfile {
  return sandboxProfileSchema.parse(input);
}
