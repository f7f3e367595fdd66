/**
 * GCP-specific stack settings: the `sandfleet:gcp` config object. Parsed once by the stack config
 * (stacks/providers.ts registers this schema); every key is optional and has a safe default.
 * Credentials come from the GCP provider as usual (`gcloud auth application-default login`,
 * `GOOGLE_CREDENTIALS`, workload identity); the project from `gcp:project` unless set here.
 */
import { z } from "zod";
import { TARGET_DEBIAN, otherDebianReleaseProblem } from "../../cloud-init/debian-release";

export const gcpDefaults = {
  location: "europe-west3",
  platformServerType: "e2-medium",
  workspaceServerType: "n2d-standard-2",
} as const;

export const gcpConfigSchema = z
  .object({
    /** Project of every resource. @default the provider's `gcp:project` */
    project: z.string().min(1).optional(),
    /**
     * Boot image (a family resolves to its newest image). @default "debian-cloud/debian-13": the release the
     * cloud-init renderer targets (cloud-init/debian-release.ts). Family checked 2026-12-01.
     */
    image: z.string().min(1).refine((image) => !otherDebianReleaseProblem(image), (image) => ({ message: otherDebianReleaseProblem(image) })).default(`debian-cloud/debian-${TARGET_DEBIAN.version}`),
    /**
     * Google's Debian images run the guest agent, not cloud-init: a startup script installs cloud-init
     * on first boot and runs it on the `user-data` metadata. Turn off for an image that ships cloud-init
     * (e.g. Ubuntu). @default true
     */
    bootstrapCloudInit: z.boolean().default(true),
    /** User the post-boot step logs in as (created by the guest agent from `ssh-keys`). @default "sandfleet" */
    sshUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Linux user name (lower-case, at most 32 characters)")
      .default("sandfleet"),
    /** Size of the boot disk in GB. @default 20 */
    bootDiskGb: z.number().int().min(10).max(2048).default(20),
    /** Type of boot and data disks. @default "pd-balanced" */
    diskType: z.enum(["pd-balanced", "pd-ssd", "pd-standard"]).default("pd-balanced"),
    /** x86_64 machine types Google added after this release: name -> { cpus, memoryMb }. @default {} */
    extraMachineTypes: z
      .record(z.string().min(1), z.object({ cpus: z.number().positive(), memoryMb: z.number().int().positive() }).strict())
      .default({}),
  })
  .strict();

export type GcpConfig = z.infer<typeof gcpConfigSchema>;
