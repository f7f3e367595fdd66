/**
 * Azure-specific stack settings: the `sandfleet:azure` config object. Parsed once by the stack config
 * (stacks/providers.ts registers this schema); every key is optional and has a safe default.
 * Credentials come from the azure-native provider as usual (`az login`, `ARM_CLIENT_ID` +
 * `ARM_CLIENT_SECRET` + `ARM_TENANT_ID`, managed identity) and `azure-native:subscriptionId`.
 */
import { z } from "zod";
import { TARGET_DEBIAN, otherDebianReleaseProblem } from "../../cloud-init/debian-release";

export const azureDefaults = {
  location: "westeurope",
  platformServerType: "Standard_B2s",
  workspaceServerType: "Standard_D2as_v5",
} as const;

export const azureConfigSchema = z
  .object({
    /**
     * Marketplace image of every VM. @default Debian 13 Gen2 (publisher Debian, offer debian-13, sku 13-gen2):
     * the release the cloud-init renderer targets (cloud-init/debian-release.ts). URN checked 2026-12-01.
     */
    image: z
      .object({
        publisher: z.string().min(1),
        offer: z.string().min(1).refine((offer) => !otherDebianReleaseProblem(offer), (offer) => ({ message: otherDebianReleaseProblem(offer) })),
        sku: z.string().min(1),
        version: z.string().min(1).default("latest"),
      })
      .strict()
      .default({ publisher: "Debian", offer: `debian-${TARGET_DEBIAN.version}`, sku: `${TARGET_DEBIAN.version}-gen2`, version: "latest" }),
    /** Admin user (SSH keys only, no password). @default "sandfleet" */
    sshUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Linux user name (lower-case, at most 32 characters)")
      .refine((u) => !["root", "admin", "administrator"].includes(u), "is reserved by Azure; pick another name such as sandfleet")
      .default("sandfleet"),
    /** Size of the OS disk in GB. @default 30 */
    osDiskGb: z.number().int().min(30).max(4095).default(30),
    /** Storage type of OS and data disks. @default "StandardSSD_LRS" */
    diskSku: z.enum(["StandardSSD_LRS", "Premium_LRS", "Standard_LRS", "StandardSSD_ZRS", "Premium_ZRS"]).default("StandardSSD_LRS"),
    /** Highest hourly price for spot VMs in USD; -1 = up to the on-demand price. @default -1 */
    spotMaxPrice: z.number().min(-1).default(-1),
    /** x86_64 Gen2 sizes with SCSI disks Azure added after this release: name -> { cpus, memoryMb }. @default {} */
    extraVmSizes: z
      .record(z.string().min(1), z.object({ cpus: z.number().positive(), memoryMb: z.number().int().positive() }).strict())
      .default({}),
  })
  .strict();

export type AzureConfig = z.infer<typeof azureConfigSchema>;
