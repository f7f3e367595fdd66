/**
 * Hetzner-specific stack settings: the `sandfleet:hetzner` config object. Parsed once by the stack config
 * (stacks/providers.ts registers this schema); every key is optional and has a safe default.
 */
import { z } from "zod";
import { TARGET_DEBIAN, otherDebianReleaseProblem } from "../../cloud-init/debian-release";
import { capacitySchema } from "../../runtime/registry/schema";
import { hetznerNetworkZones } from "./locations";

export const hetznerConfigSchema = z
  .object({
    /**
     * OS image of every server. @default "debian-13": the release the cloud-init renderer targets
     * (cloud-init/debian-release.ts; its bootstrap refuses any other). Checked 2026-12-01: Hetzner names its
     * system images `<distribution>-<version>`, and public hcloud_server definitions boot `debian-13`.
     */
    image: z.string().min(1).refine((image) => !otherDebianReleaseProblem(image), (image) => ({ message: otherDebianReleaseProblem(image) })).default(`debian-${TARGET_DEBIAN.version}`),
    /**
     * Network zone of the private subnet. @default derived from the site location
     * (fsn1/nbg1/hel1 -> eu-central, ash -> us-east, hil -> us-west, sin -> ap-southeast).
     */
    networkZone: z.enum(hetznerNetworkZones).optional(),
    /** Load balancer type when the stack asks for one without a type. @default "lb11" */
    loadBalancerType: z.string().min(1).default("lb11"),
    /**
     * Private IP of the load balancer in the network. @default offset 250 of the network's first /24
     * (e.g. 10.0.0.250), which the core's address plan never gives to a server.
     */
    loadBalancerPrivateIp: z.string().ip({ version: "v4" }).optional(),
    /** User the post-boot step logs in as; Hetzner images only provision root. @default "root" */
    sshUser: z.string().min(1).default("root"),
    /**
     * Names or ids of SSH keys already in the Hetzner project to authorise as well. Hetzner refuses to
     * store one public key twice in a project, so a key shared by several stacks is referenced here
     * instead of listed in sshPublicKeys. @default []
     */
    existingSshKeys: z.array(z.string().min(1)).default([]),
    /** Give servers a public IPv6 address (free on Hetzner; IPv4 stays on for apt and SSH). @default true */
    publicIpv6: z.boolean().default(true),
    /** Server types Hetzner added after this release: name -> { cpus, memoryMb, diskGb }. @default {} */
    extraServerTypes: z.record(z.string().min(1), capacitySchema).default({}),
  })
  .strict();

export type HetznerConfig = z.infer<typeof hetznerConfigSchema>;
