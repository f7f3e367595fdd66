/**
 * DigitalOcean-specific stack settings: the `sandfleet:digitalocean` config object. Parsed once by the
 * stack config (stacks/providers.ts registers this schema); every key is optional and has a safe
 * default. The API token comes from the provider as usual (`pulumi config set --secret
 * digitalocean:token`, or `DIGITALOCEAN_TOKEN`).
 */
import { z } from "zod";
import { TARGET_DEBIAN, otherDebianReleaseProblem } from "../../cloud-init/debian-release";

export const digitaloceanDefaults = {
  location: "fra1",
  platformServerType: "s-2vcpu-4gb",
  workspaceServerType: "s-4vcpu-8gb",
} as const;

export const digitaloceanConfigSchema = z
  .object({
    /**
     * Droplet image slug. @default "debian-13-x64": the release the cloud-init renderer targets
     * (cloud-init/debian-release.ts). Slug checked 2026-12-01 in public Droplet definitions.
     */
    image: z.string().min(1).refine((image) => !otherDebianReleaseProblem(image), (image) => ({ message: otherDebianReleaseProblem(image) })).default(`debian-${TARGET_DEBIAN.version}-x64`),
    /** User the post-boot step logs in as; DigitalOcean images provision root. @default "root" */
    sshUser: z.string().min(1).default("root"),
    /**
     * Ids or fingerprints of SSH keys already in the account to authorise as well. DigitalOcean refuses
     * to store one public key twice per account, so a key shared by several stacks goes here instead of
     * sshPublicKeys. @default []
     */
    existingSshKeys: z.array(z.string().min(1)).default([]),
    /** Load balancer size units (1-100; each unit is one node's capacity). @default 1 */
    loadBalancerSizeUnits: z.number().int().min(1).max(100).default(1),
    /** Turn on DigitalOcean's metrics agent on every Droplet. @default true */
    monitoring: z.boolean().default(true),
    /** Droplet sizes DigitalOcean added after this release: slug -> { cpus, memoryMb }. @default {} */
    extraSizes: z
      .record(z.string().min(1), z.object({ cpus: z.number().positive(), memoryMb: z.number().int().positive() }).strict())
      .default({}),
  })
  .strict();

export type DigitaloceanConfig = z.infer<typeof digitaloceanConfigSchema>;
