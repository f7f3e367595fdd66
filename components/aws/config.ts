/**
 * AWS-specific stack settings: the `sandfleet:aws` config object. Parsed once by the stack config
 * (stacks/providers.ts registers this schema); every key is optional and has a safe default.
 * Credentials are not here: the AWS provider reads them as usual (`aws:profile` / `AWS_PROFILE`,
 * `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`, SSO, an instance role, ...).
 */
import { z } from "zod";

export const awsDefaults = {
  /** Region (or zone) of a stack whose `location` is not set for AWS. */
  location: "eu-central-1",
  platformServerType: "t3.medium",
  workspaceServerType: "m6i.large",
} as const;

export const awsConfigSchema = z
  .object({
    /**
     * Pin the AMI (e.g. `ami-0123...`). @default the newest official Debian 13 amd64 AMI (owner
     * 136693071363) at the time each server is created; later AMI releases never replace servers.
     */
    ami: z.string().regex(/^ami-[0-9a-f]{8,17}$/, "must be an AMI id like ami-0123456789abcdef0").optional(),
    /** User the post-boot step logs in as; the Debian AMIs provision `admin`. @default "admin" */
    sshUser: z.string().min(1).default("admin"),
    /** Size of the (encrypted) root volume in GB. @default 20 */
    rootVolumeGb: z.number().int().min(8).max(1024).default(20),
    /** EBS type of root and data volumes. @default "gp3" */
    volumeType: z.enum(["gp3", "gp2", "io2"]).default("gp3"),
    /** KMS key (id or ARN) for EBS encryption. @default the account's default EBS key (aws/ebs) */
    kmsKeyId: z.string().min(1).optional(),
    /** Highest hourly price for spot servers, in USD (e.g. "0.05"). @default the on-demand price */
    spotMaxPrice: z.string().regex(/^\d+(\.\d+)?$/, "must be a price in USD like \"0.05\"").optional(),
    /** Nitro x86_64 instance types AWS added after this release: name -> { cpus, memoryMb }. @default {} */
    extraInstanceTypes: z
      .record(z.string().min(1), z.object({ cpus: z.number().positive(), memoryMb: z.number().int().positive() }).strict())
      .default({}),
  })
  .strict();

export type AwsConfig = z.infer<typeof awsConfigSchema>;
