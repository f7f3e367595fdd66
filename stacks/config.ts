/**
 * The stack config (namespace `sandfleet`), parsed once at the edge into a typed {@link StackConfig}.
 *
 * `parseStackConfig` is pure (no @pulumi import) so the cost CLI and tests can use it on a stack file;
 * the program reads the engine's config with `readStackConfig()` (stacks/read-stack-config.ts).
 * Every problem is reported as `sandfleet:<key>: <rule>; <fix>` and all problems are reported at once.
 */
import { defaultRenewWithinDays } from "../components/tls/renewal";
import { BlockList, isIP } from "node:net";
import { z } from "zod";
import {
  addressPlanProblems,
  MAX_NETWORK_PREFIX,
  MAX_SERVERS_PER_POOL,
  MIN_NETWORK_PREFIX,
} from "../components/fleet/address-plan";
import { DEFAULT_SANDBOX_DNS, MAX_SANDBOX_DNS, sandboxDnsProblem } from "../cloud-init/sandbox-dns";
import { SSH_PUBLIC_KEY } from "../cloud-init/validate";
import { checkCidr, isPrivateIpv4Range, parseIpv4Cidr } from "../components/fleet/ip-cidr";
import { POOL_NAME_PATTERN } from "../components/fleet/naming";
import { DOCKER_PLAIN_PORT, DOCKER_TLS_PORT, SSH_PORT } from "../components/ingress";
import { SERVICE_HTTPS_PORT } from "../cloud-init/service-host";
import { ORIGIN_CA_VALIDITY_DAYS, type OriginCaValidityDays } from "../components/dns/origin-ca-validity";
import { digitaloceanVpcRangeProblem } from "../components/digitalocean/vpc-range";
import { DEFAULT_ROLLOUT_WAVES } from "../components/post-boot/rollout-waves";
import type { ProviderName } from "../components/provider";
import { providerRegistry, type ProviderRegistry } from "./providers";

export const CONFIG_NAMESPACE = "sandfleet";

/** Raised for an invalid stack config; the message lists every problem with its key and fix. */
export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n  ${problems.join("\n  ")}`);
  }
}

/** Ports nothing may publish: SSH is admin-only, 2376 is the private Docker API, 2375 is unauthenticated Docker. */
const RESERVED_PORTS: Record<number, string> = {
  [SSH_PORT]: "SSH is reachable only from adminCidrs",
  [DOCKER_PLAIN_PORT]: "2375 is Docker without TLS and is never opened",
  [DOCKER_TLS_PORT]: "2376 is the Docker API, reachable only from the private network",
};
const MAX_CA_LEAF_VALIDITY_HOURS = 5 * 8760;
/** The private range of a stack that sets none (not on DigitalOcean, where every stack must choose its own). */
const DEFAULT_NETWORK_CIDR = "10.0.0.0/16";
const LABEL_PATTERN = /^[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?$/;
/** Labels the registry sets itself, so the runtime's affinity rules can rely on them. */
const RESERVED_LABELS = ["provider", "region", "location", "pool"];
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const DNS_RECORD = /^(@|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)$/;
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

// The engine hands every value over as a string (objects as JSON); stack files give typed YAML.
// Accept both, without `z.coerce` (which would turn "false" into true).
const bool = (def: boolean) =>
  z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean()).default(def);
const int = (min: number, max: number, rule: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z.number().int(`must be a whole number; ${rule}`).min(min, rule).max(max, rule),
  );
const num = (min: number, max: number, rule: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v),
    z.number().gt(min, rule).max(max, rule),
  );

const port = z.preprocess(
  (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
  z
    .number()
    .int()
    .min(1, "a port is 1-65535")
    .max(65535, "a port is 1-65535")
    .superRefine((p, ctx) => {
      if (RESERVED_PORTS[p]) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `port ${p} cannot be published: ${RESERVED_PORTS[p]}; remove it` });
    }),
);

const volumeGb = (def: number) =>
  int(0, 10240, "use 0 (no volume) or 10 to 10240 GB")
    .refine((n) => n === 0 || n >= 10, "use 0 (no volume) or 10 to 10240 GB")
    .default(def);

const loadBalancerSchema = z
  .object({
    /** @default false */
    enabled: bool(false),
    /** Provider-specific type/size (Hetzner `lb11`). @default the provider's smallest */
    type: z.string().min(1).optional(),
    /** Listen port -> platform port; a bare number means the same port on both. @default [80, 443] */
    ports: z
      .array(
        z.preprocess(
          (v) => (typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v)) ? { listen: v, target: v } : v),
          z.object({ listen: port, target: port }).strict(),
        ),
      )
      .min(1, "a load balancer needs at least one port, e.g. [80, 443]")
      .default([80, 443]),
    /** Platform port the health check probes. @default the first target port */
    healthCheckPort: port.optional(),
  })
  .strict();

const platformSchema = z
  .object({
    /** Server type / size, e.g. `cx33`. Required. */
    serverType: z.string({ required_error: "is required; set the platform server's type, e.g. cx33" }).min(1),
    /** @default the stack's `location` */
    location: z.string().min(1).optional(),
    /** Data volume for the platform's services. @default 20 */
    volumeGb: volumeGb(20),
    /** A stable public IP (floating / elastic / reserved / static). @default true */
    floatingIp: bool(true),
    /** @default disabled */
    loadBalancer: loadBalancerSchema.default({}),
    /** Ports the platform server serves itself to the internet (e.g. [80, 443]). @default [] */
    publicPorts: z.array(port).default([]),
  })
  .strict();

const serviceSchema = z
  .object({
    /** Install the sandbox service (HTTPS API on 443) on the platform server. @default true */
    enabled: bool(true),
    /**
     * Machine type of the Node the stack ships to the platform (`x64`, `arm64`). @default from the platform's
     * server type where the provider's table knows it (Hetzner cax: arm64), else x64
     */
    nodeArch: z.enum(["x64", "arm64"]).optional(),
    /** The service's pool settings (the runtime's createPool options, e.g. profiles). @default {} (the service's defaults) */
    pool: z.record(z.unknown()).default({}),
  })
  .strict();

const poolSchema = z
  .object({
    /** Number of workspace servers. Required. */
    count: int(0, 100_000, `use 0 to ${MAX_SERVERS_PER_POOL}`),
    /** Server type / size, e.g. `cx43`. Required. */
    serverType: z.string({ required_error: "is required; set the pool's server type, e.g. cx43" }).min(1),
    /** @default the stack's `provider` */
    provider: z.string().min(1).optional(),
    /** @default the stack's `location` (required when the pool uses another provider) */
    location: z.string().min(1).optional(),
    /** Volume for /var/lib/docker; 0 = the server's local disk. @default 0 */
    volumeGb: volumeGb(0),
    /** Containers the pool may keep on each server. Required. */
    maxContainers: int(1, 1000, "use 1 to 1000 containers per server"),
    /** Share for the `weighted` placement strategy. @default 1 */
    weight: num(0, 1000, "use a number above 0 and at most 1000").default(1),
    /** Extra endpoint labels for affinity rules (e.g. tier). @default { tier: <pool name> } */
    labels: z.record(z.string(), z.string()).default({}),
    /** Spot / preemptible capacity where the provider offers it. @default false */
    spot: bool(false),
    /** Spread servers over physical hosts where the provider offers it. @default true */
    spread: bool(true),
    /** Keep the servers but tell the runtime to place nothing new there (before removing a pool). @default false */
    draining: bool(false),
    /** Explicit /24 address block in networkCidr (1..); @default derived from the pool name */
    addressBlock: int(1, 65535, "use a block index of 1 or more").optional(),
  })
  .strict();

const cloudflareSchema = z
  .object({
    /** Zone id (32 hex characters, Cloudflare dashboard -> Overview). Required. */
    zoneId: z
      .string({ required_error: "is required with any sandfleet:cloudflare setting (records, originCertificate); set the zone's id from the Cloudflare dashboard (Overview), or remove sandfleet:cloudflare" })
      .regex(/^[0-9a-f]{32}$/, "must be the 32-character hex zone id from the Cloudflare dashboard"),
    /** The zone's domain, e.g. `example.com`. Required. */
    domain: z
      .string({ required_error: "is required with any sandfleet:cloudflare setting (records, originCertificate); set the zone's domain, e.g. example.com, or remove sandfleet:cloudflare" })
      .regex(DNS_NAME, "must be a lower-case domain name such as example.com"),
    /** Record name of the platform inside the domain (`@` = apex). @default `sandfleet-<stack>` */
    platformRecord: z.string().regex(DNS_RECORD, "must be a DNS name relative to the domain (e.g. sandbox) or @").optional(),
    /** Proxy the platform record through Cloudflare (HTTP(S) only). @default false */
    proxied: bool(false),
    /** Also create `ws-<pool>-<n>.<stack>.<domain>` records for workspace servers. @default false */
    workspaceRecords: bool(false),
    /**
     * A Cloudflare Origin CA certificate for the proxied platform name, served by the sandbox service to handshakes
     * with that name as SNI, so the zone's SSL mode can be Full (strict) (docs/service-host.md). Opt-in: the API
     * token then also needs Zone -> SSL and Certificates -> Edit. Needs `proxied: true` and the service.
     * @default { enabled: false, validityDays: 365 }
     */
    originCertificate: z
      .object({
        /** @default false */
        enabled: bool(false),
        /** Days Cloudflare makes it valid; renewed on `pulumi up` inside the tls.renewWithinDays window. @default 365 */
        validityDays: int(1, 5475, `use one of ${ORIGIN_CA_VALIDITY_DAYS.join(", ")} (the validities Cloudflare's Origin CA issues)`)
          .refine((days) => (ORIGIN_CA_VALIDITY_DAYS as readonly number[]).includes(days), `must be one of ${ORIGIN_CA_VALIDITY_DAYS.join(", ")} days (the validities Cloudflare's Origin CA issues); e.g. 365`)
          .default(365),
      })
      .strict()
      .default({}),
    /** @default 300 */
    ttl: int(60, 86400, "use 60 to 86400 seconds").default(300),
  })
  .strict();

const dockerSchema = z
  .object({
    /** `upstream` (Docker's and gVisor's apt repositories) or `distro` (Debian packages). @default upstream */
    packageSource: z.enum(["upstream", "distro"]).default("upstream"),
    /** runsc platform: `systrap` on VMs, `kvm` only on bare metal, `ptrace` as fallback. @default systrap */
    gvisorPlatform: z.enum(["systrap", "ptrace", "kvm"]).default("systrap"),
    /** runsc network: `sandbox` (gVisor's netstack), `none`, or `host` (test only). @default sandbox */
    gvisorNetwork: z.enum(["sandbox", "none", "host"]).default("sandbox"),
    /** Images every workspace server pulls at boot. @default [] */
    prePullImages: z.array(z.string().regex(IMAGE_REF, "must be an image reference such as python:3.12-slim")).default([]),
    /**
     * DNS servers of every container (1 to 3, public addresses). The hosts' own resolvers are often in ranges
     * DOCKER-USER keeps containers away from (AWS's VPC resolver 10.x.0.2 / 169.254.169.253, GCP's metadata
     * server), so sandboxes get these instead. @default ["1.1.1.1", "9.9.9.9"]
     */
    sandboxDns: z
      .array(z.string())
      .min(1, `needs at least one DNS server; use e.g. ${JSON.stringify(DEFAULT_SANDBOX_DNS)}`)
      .max(MAX_SANDBOX_DNS, `lists more than ${MAX_SANDBOX_DNS} DNS servers; a resolver reads only the first ${MAX_SANDBOX_DNS}, so remove the rest`)
      .superRefine((servers, ctx) =>
        servers.forEach((address, i) => {
          const problem = sandboxDnsProblem(address);
          if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: `${problem}; use a public resolver such as 1.1.1.1 or 9.9.9.9` });
        }),
      )
      .default([...DEFAULT_SANDBOX_DNS]),
  })
  .strict();

const tlsSchema = z
  .object({
    /** Validity of server and client certs. @default 8760 (one year) */
    validityHours: int(24, MAX_CA_LEAF_VALIDITY_HOURS, `use 24 to ${MAX_CA_LEAF_VALIDITY_HOURS} hours (the CA lives 10 years)`).default(8760),
    /** Bump to re-issue every server and client cert (and their keys) on the next `pulumi up`. @default 0 */
    epoch: int(0, 1_000_000, "use a whole number of 0 or more").default(0),
    /**
     * In how many waves each pool's post-boot TLS step (a dockerd restart) rolls out: `ceil(count / waves)`
     * servers of a pool at a time. 1 = all at once. @default 4
     */
    rolloutWaves: int(1, MAX_SERVERS_PER_POOL, `use 1 (all servers of a pool at once) to ${MAX_SERVERS_PER_POOL} (one server at a time)`).default(DEFAULT_ROLLOUT_WAVES),
    /**
     * `pulumi up` re-issues every leaf once it has fewer than this many days left (components/tls/renewal.ts);
     * `sandfleet doctor` warns with the same window. @default 30, or a third of validityHours when that is shorter
     */
    renewWithinDays: int(0, 3650, "use a whole number of days, 0 or more").optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    // The renewal period is validity - window: it must be positive, or every leaf would always be due.
    if (t.renewWithinDays !== undefined && t.renewWithinDays * 24 >= t.validityHours) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["renewWithinDays"],
        message: `${t.renewWithinDays} days is not shorter than the leaves' validity (tls.validityHours ${t.validityHours} = ${(t.validityHours / 24).toFixed(1)} days), so every leaf would always be due; use at most ${Math.ceil(t.validityHours / 24) - 1} (a third of the validity is usual), or raise tls.validityHours`,
      });
    }
  })
  .transform((t) => ({ ...t, renewWithinDays: t.renewWithinDays ?? defaultRenewWithinDays(t.validityHours) }));

const protectionSchema = z
  .object({
    /** Cloud-side delete protection on servers (and volumes). @default false */
    deleteProtection: bool(false),
    /** Keep data volumes when the stack is destroyed (`retainOnDelete`). @default false */
    retainVolumes: bool(false),
    /**
     * Kept volumes to attach instead of creating new ones, by server name (`platform`, `ws-standard-1`):
     * `{ ws-standard-1: "<volume id>" }`. Hetzner and DigitalOcean only. @default {}
     */
    adoptVolumes: z.record(z.string().min(1)).default({}),
  })
  .strict();

/** Providers whose kept volumes can be adopted by id (see components/hetzner/README.md, components/digitalocean/README.md). */
const ADOPTABLE_VOLUME_IDS: Partial<Record<string, { pattern: RegExp; example: string }>> = {
  hetzner: { pattern: /^[1-9][0-9]*$/, example: "104857600 (hcloud volume list)" },
  digitalocean: { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, example: "506f78a4-e098-11e5-ad9f-000f53306ae1 (doctl compute volume list)" },
};

const HOST_NAME_OR_IP = /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$|^[0-9a-fA-F:.]+$/;

/**
 * The deployer's jump host: `pulumi up` from a machine whose address is not in adminCidrs (a hosted CI runner)
 * reaches the servers through it. See components/post-boot/ssh-connection.ts.
 */
const bastionSchema = z
  .object({
    /** Fixed IP address (or DNS name) of the jump host; must lie inside adminCidrs. Required. */
    host: z
      .string({ required_error: "is required; set the jump host's fixed address, e.g. 203.0.113.10" })
      .regex(HOST_NAME_OR_IP, "must be the jump host's fixed IP address or DNS name, e.g. 203.0.113.10"),
    /** @default 22 */
    port: int(1, 65535, "a port is 1-65535").default(22),
    /** Login user on the jump host. Required. */
    user: z
      .string({ required_error: "is required; set the login user on the jump host, e.g. deploy" })
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a login name such as deploy or ubuntu"),
    /** Key for the jump host (set it as a secret). @default the deploy key */
    privateKey: z.string().optional(),
    /** The jump host's public host key (one line of /etc/ssh/ssh_host_ed25519_key.pub). @default not checked */
    hostKey: z.string().optional(),
    /** The jump host reaches the private network (servers without a public address are dialled privately). @default false */
    reachesPrivateNetwork: bool(false),
  })
  .strict();

const sshSchema = z
  .object({
    /** @default none: the machine running `pulumi up` dials the servers itself */
    bastion: bastionSchema.optional(),
  })
  .strict();

/** Whether an IP address lies inside one of the CIDR ranges (IPv4 and IPv6). */
function insideAnyCidr(address: string, cidrs: string[]): boolean {
  const ranges = new BlockList();
  for (const cidr of cidrs) {
    const check = checkCidr(cidr);
    if (check.ok) ranges.addSubnet(cidr.split("/")[0], check.prefix, check.family === 6 ? "ipv6" : "ipv4");
  }
  return ranges.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

const stringList = (item: z.ZodTypeAny) =>
  z.preprocess((v) => (typeof v === "string" && v.trim().startsWith("[") ? safeJson(v) : v), z.array(item));

/** Field-local rules run even when other keys are wrong, so one run reports as much as possible. */
function adminCidrRules(adminCidrs: string[], ctx: z.RefinementCtx): void {
  const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  if (adminCidrs.length === 0) {
    fail([], "is empty; SSH needs at least one admin range; set your office/VPN range, e.g. 198.51.100.0/24");
  }
  adminCidrs.forEach((cidr) => {
    const check = checkCidr(cidr);
    if (!check.ok && check.reason === "syntax") {
      fail([], `${JSON.stringify(cidr)} is not a CIDR; write an address with a prefix, e.g. 198.51.100.0/24 or 203.0.113.7/32`);
    } else if (!check.ok) {
      fail([], `${cidr} has host bits set; use the network address${check.suggestion ? `, e.g. ${check.suggestion}` : ""}`);
    } else if (check.prefix === 0) {
      fail([], `${cidr} opens SSH to the internet; set your office/VPN range, e.g. 198.51.100.0/24`);
    }
  });
  if (new Set(adminCidrs).size !== adminCidrs.length) fail([], "lists a range twice; remove the duplicate");
}

/** The OpenSSH key types Azure puts on a Linux VM; every other type is refused when a server runs on Azure. */
const AZURE_SSH_KEY_TYPES = ["ssh-rsa", "ssh-ed25519"];

function sshPublicKeyRules(keys: string[], ctx: z.RefinementCtx): void {
  keys.forEach((key, i) => {
    if (/PRIVATE KEY/.test(key)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: "is a private key; never put private keys here, use the .pub file's content" });
    } else if (!SSH_PUBLIC_KEY.test(key.trim())) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: "is not an OpenSSH public key; paste one line of a .pub file, e.g. 'ssh-ed25519 AAAA... you@host'" });
    }
  });
}

function buildSchema(registry: ProviderRegistry) {
  const providerNames = Object.keys(registry) as ProviderName[];
  const providerSchemaShape: Record<string, z.ZodTypeAny> = {};
  for (const [name, entry] of Object.entries(registry)) {
    providerSchemaShape[name] = (entry?.configSchema ?? z.record(z.unknown())).optional();
  }
  return z
    .object({
      /** Cloud of the platform server and the default for pools. Required. */
      provider: z.string({ required_error: `is required; set it to one of: ${providerNames.join(", ")}` }),
      /** Default location / region / zone of the stack provider, e.g. `fsn1`. Required. */
      location: z.string({ required_error: "is required; set the provider's location, e.g. fsn1 for Hetzner Falkenstein" }).min(1),
      /** Private network range. @default 10.0.0.0/16; required on DigitalOcean (see components/digitalocean/vpc-range.ts) */
      networkCidr: z.string().optional(),
      platform: platformSchema,
      pools: z.record(z.string(), poolSchema),
      /** Where SSH may come from. Required, never the whole internet. */
      adminCidrs: stringList(z.string()).superRefine(adminCidrRules),
      /** Extra admin keys (OpenSSH public keys). @default [] */
      sshPublicKeys: stringList(z.string()).superRefine(sshPublicKeyRules).default([]),
      /** The deploy key's private half (secret) when you bring your own; @default generated by the stack */
      deployPrivateKey: z.string().optional(),
      /** The deploy key's public half (OpenSSH), required with deployPrivateKey. */
      deployPublicKey: z.string().optional(),
      cloudflare: cloudflareSchema.optional(),
      ssh: sshSchema.default({}),
      docker: dockerSchema.default({}),
      tls: tlsSchema.default({}),
      protection: protectionSchema.default({}),
      service: serviceSchema.default({}),
      ...providerSchemaShape,
    })
    .strict()
    .superRefine((c, ctx) => crossFieldRules(c as unknown as RawParsed, ctx, registry));
}

interface RawParsed {
  provider: string;
  location: string;
  networkCidr?: string;
  platform: z.infer<typeof platformSchema>;
  pools: Record<string, z.infer<typeof poolSchema>>;
  adminCidrs: string[];
  sshPublicKeys: string[];
  deployPrivateKey?: string;
  deployPublicKey?: string;
  cloudflare?: z.infer<typeof cloudflareSchema>;
  ssh: z.infer<typeof sshSchema>;
  protection: { adoptVolumes: Record<string, string> };
  service: z.infer<typeof serviceSchema>;
  [provider: string]: unknown;
}

/** `protection.adoptVolumes`: each key a server of this stack, on a provider that can adopt, with an id of its form. */
function adoptedVolumeRules(c: RawParsed, fail: (path: (string | number)[], message: string) => void): void {
  for (const [server, id] of Object.entries(c.protection?.adoptVolumes ?? {})) {
    const path = ["protection", "adoptVolumes", server];
    const pool = Object.entries(c.pools).find(([name, p]) => new RegExp(`^ws-${name}-([0-9]+)$`).test(server) && Number(server.split("-").pop()) <= p.count)?.[1];
    if (server !== "platform" && !pool) {
      fail(path, `${server} is no such server in this stack; use platform or a workspace server name (ws-<pool>-<n>, n up to the pool's count)`);
      continue;
    }
    const provider = server === "platform" ? c.provider : (pool!.provider ?? c.provider);
    const rule = ADOPTABLE_VOLUME_IDS[provider];
    if (!rule) {
      fail(path, `${server} runs on ${provider}, where a kept volume cannot be adopted by id (only ${Object.keys(ADOPTABLE_VOLUME_IDS).join(", ")}); remove the entry and use pulumi import for that volume`);
    } else if (!rule.pattern.test(id)) {
      fail(path, `"${id}" is not a ${provider} volume id; use its id, e.g. ${rule.example}`);
    }
  }
}

function crossFieldRules(c: RawParsed, ctx: z.RefinementCtx, registry: ProviderRegistry): void {
  const fail = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  const available = Object.keys(registry);
  if (!available.includes(c.provider)) {
    fail(["provider"], `"${c.provider}" is not an available provider; use one of: ${available.join(", ")}`);
  }

  // Network range: private, and able to hold the address plan.
  const networkCidr = c.networkCidr ?? DEFAULT_NETWORK_CIDR;
  const network = parseIpv4Cidr(networkCidr);
  const usesDigitalocean = [c.provider, ...Object.values(c.pools).map((p) => p.provider)].includes("digitalocean");
  const digitaloceanProblem = network && usesDigitalocean ? digitaloceanVpcRangeProblem(c.networkCidr, network.prefix) : undefined;
  if (digitaloceanProblem) {
    fail(["networkCidr"], digitaloceanProblem);
  } else if (!network) {
    fail(["networkCidr"], `${networkCidr} is not an IPv4 network in CIDR notation; use e.g. 10.0.0.0/16`);
  } else if (!isPrivateIpv4Range(network)) {
    fail(["networkCidr"], `${networkCidr} is not a private (RFC 1918) range; use e.g. 10.0.0.0/16`);
  } else if (network.prefix < MIN_NETWORK_PREFIX || network.prefix > MAX_NETWORK_PREFIX) {
    fail(["networkCidr"], `/${network.prefix} cannot hold a platform block and pool blocks; use a prefix from /${MIN_NETWORK_PREFIX} to /${MAX_NETWORK_PREFIX}, e.g. 10.0.0.0/16`);
  }

  if ((c.deployPrivateKey === undefined) !== (c.deployPublicKey === undefined)) {
    fail([c.deployPrivateKey === undefined ? "deployPrivateKey" : "deployPublicKey"], "deployPrivateKey and deployPublicKey go together; set both, or neither to let the stack generate the deploy key");
  }
  if (c.deployPrivateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(c.deployPrivateKey)) {
    fail(["deployPrivateKey"], "is not a PEM/OpenSSH private key; set it with 'pulumi config set --secret sandfleet:deployPrivateKey < key'");
  }
  if (c.deployPublicKey !== undefined && !SSH_PUBLIC_KEY.test(c.deployPublicKey.trim())) {
    fail(["deployPublicKey"], "is not an OpenSSH public key; use the content of the key's .pub file");
  }

  // The jump host: its address must pass the servers' firewalls, which admit SSH only from adminCidrs.
  const bastion = c.ssh.bastion;
  if (bastion && isIP(bastion.host) && !insideAnyCidr(bastion.host, c.adminCidrs)) {
    const single = isIP(bastion.host) === 6 ? `${bastion.host}/128` : `${bastion.host}/32`;
    fail(["ssh", "bastion", "host"], `${bastion.host} is not inside any adminCidrs range, so the servers' cloud and host firewalls drop its SSH; add ${single} to sandfleet:adminCidrs`);
  }
  if (bastion?.privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(bastion.privateKey)) {
    fail(["ssh", "bastion", "privateKey"], "is not a PEM/OpenSSH private key; set it with 'pulumi config set --secret --path sandfleet:ssh.bastion.privateKey < key'");
  }
  if (bastion?.hostKey !== undefined && (/PRIVATE KEY/.test(bastion.hostKey) || !SSH_PUBLIC_KEY.test(bastion.hostKey.trim()))) {
    fail(["ssh", "bastion", "hostKey"], "is not an OpenSSH public host key; use one line of the jump host's /etc/ssh/ssh_host_ed25519_key.pub (or ssh-keyscan -t ed25519 <host>)");
  }

  // Platform ports.
  const lb = c.platform.loadBalancer;
  const listens = lb.ports.map((p) => p.listen);
  const duplicate = listens.find((p, i) => listens.indexOf(p) !== i);
  if (duplicate !== undefined) fail(["platform", "loadBalancer", "ports"], `listen port ${duplicate} appears twice; each listen port needs its own entry`);
  if (new Set(c.platform.publicPorts).size !== c.platform.publicPorts.length) fail(["platform", "publicPorts"], "lists a port twice; remove the duplicate");
  if (lb.healthCheckPort !== undefined && !lb.enabled) fail(["platform", "loadBalancer", "healthCheckPort"], "is set but the load balancer is disabled; set platform.loadBalancer.enabled: true or remove it");
  if (c.service.enabled && lb.enabled && !lb.ports.some((p) => p.target === SERVICE_HTTPS_PORT)) {
    fail(["platform", "loadBalancer", "ports"], `forwards nothing to ${SERVICE_HTTPS_PORT}, where the sandbox service listens; add ${SERVICE_HTTPS_PORT} (listen ${SERVICE_HTTPS_PORT} -> target ${SERVICE_HTTPS_PORT}) or set sandfleet:service.enabled: false`);
  }

  // Pools.
  const poolNames = Object.keys(c.pools);
  if (poolNames.length === 0) fail(["pools"], "is empty; define at least one pool, e.g. pools: { standard: { count: 2, serverType: cx33, maxContainers: 10 } }");
  else if (poolNames.every((n) => c.pools[n].count === 0)) fail(["pools"], "has no workspace servers; set count: 1 or more on at least one pool");
  adoptedVolumeRules(c, fail);
  const usedProviders = new Set<string>([c.provider]);
  for (const name of poolNames) {
    const pool = c.pools[name];
    if (!POOL_NAME_PATTERN.test(name)) {
      fail(["pools", name], `pool name "${name}" is not DNS-safe; use 1-20 lower-case letters, digits or '-', starting with a letter, e.g. standard`);
    }
    const provider = pool.provider ?? c.provider;
    usedProviders.add(provider);
    if (!available.includes(provider)) {
      fail(["pools", name, "provider"], `"${provider}" is not an available provider; use one of: ${available.join(", ")}`);
    }
    if (provider !== c.provider && pool.location === undefined) {
      fail(["pools", name, "location"], `is required because the pool uses provider ${provider}, not the stack's ${c.provider}; set the ${provider} location`);
    }
    for (const [key, value] of Object.entries(pool.labels)) {
      if (RESERVED_LABELS.includes(key)) fail(["pools", name, "labels", key], `"${key}" is set by sandfleet itself; remove it (reserved: ${RESERVED_LABELS.join(", ")})`);
      else if (!LABEL_PATTERN.test(key)) fail(["pools", name, "labels", key], "label keys are 1-63 lower-case letters, digits, '.', '_' or '-'; rename it");
      if (!LABEL_PATTERN.test(value)) fail(["pools", name, "labels", key], `value ${JSON.stringify(value)} is not a label value; use 1-63 lower-case letters, digits, '.', '_' or '-'`);
    }
  }
  if (network && isPrivateIpv4Range(network) && network.prefix >= MIN_NETWORK_PREFIX && network.prefix <= MAX_NETWORK_PREFIX) {
    const plan = addressPlanProblems({
      networkCidr,
      pools: poolNames.filter((n) => POOL_NAME_PATTERN.test(n)).map((n) => ({ name: n, count: c.pools[n].count, addressBlock: c.pools[n].addressBlock })),
    });
    for (const problem of plan) fail(problem.path.split("."), problem.message);
  }

  // Azure VMs take only RSA and Ed25519 keys (SshEncryptionTypes in @azure/arm-compute 22.4 lists RSA and
  // Ed25519; checked 2026-12-01): an ECDSA or FIDO key would fail at VM creation, long after preview.
  const onAzure = [
    ...(c.provider === "azure" ? ["platform"] : []),
    ...poolNames.filter((n) => (c.pools[n].provider ?? c.provider) === "azure" && c.pools[n].count > 0).map((n) => `pool ${n}`),
  ];
  if (onAzure.length > 0) {
    c.sshPublicKeys.forEach((key, i) => {
      const type = key.trim().split(" ")[0];
      if (SSH_PUBLIC_KEY.test(key.trim()) && !AZURE_SSH_KEY_TYPES.includes(type)) {
        fail(["sshPublicKeys", String(i)], `is an ${type} key, but Azure VMs accept only ${AZURE_SSH_KEY_TYPES.join(" and ")} keys (servers on Azure: ${onAzure.join(", ")}); use an Ed25519 key ('ssh-keygen -t ed25519') or RSA of at least 2048 bits`);
      }
    });
    const deployType = c.deployPublicKey?.trim().split(" ")[0];
    if (deployType !== undefined && SSH_PUBLIC_KEY.test(c.deployPublicKey!.trim()) && !AZURE_SSH_KEY_TYPES.includes(deployType)) {
      fail(["deployPublicKey"], `is an ${deployType} key, but Azure VMs accept only ${AZURE_SSH_KEY_TYPES.join(" and ")} keys; use an Ed25519 deploy key, or unset deployPrivateKey and deployPublicKey to let the stack generate one`);
    }
  }

  // Provider-specific sections only for providers the stack uses.
  for (const name of available) {
    if (c[name] !== undefined && !usedProviders.has(name)) {
      fail([name], `is set but no server uses provider ${name}; remove it, or set provider (or pools.<name>.provider) to ${name}`);
    }
  }

  // Cloudflare.
  if (c.cloudflare?.proxied && !lb.enabled && !c.platform.publicPorts.some((p) => p === 80 || p === 443)) {
    fail(["cloudflare", "proxied"], "proxies only HTTP(S), but the platform serves neither 80 nor 443; enable platform.loadBalancer or add 80/443 to platform.publicPorts, or set proxied: false");
  }
  if (c.cloudflare?.originCertificate.enabled) {
    const path = ["cloudflare", "originCertificate", "enabled"];
    if (!c.cloudflare.proxied) {
      fail(path, "is true but cloudflare.proxied is false: only Cloudflare trusts an Origin CA certificate, so clients reaching the platform by its name directly could not verify it; set cloudflare.proxied: true (then the zone's SSL mode Full (strict)), or originCertificate.enabled: false (clients verify serviceCaCert)");
    }
    if (!c.service.enabled) {
      fail(path, "is true but sandfleet:service.enabled is false: the sandbox service is what serves the certificate; set service.enabled: true, or originCertificate.enabled: false");
    }
  }
}

export type ProviderConfigs = Partial<Record<ProviderName, Record<string, unknown>>>;

export interface PoolConfig {
  name: string;
  provider: ProviderName;
  location: string;
  count: number;
  serverType: string;
  volumeGb: number;
  maxContainers: number;
  weight: number;
  /** User labels plus `tier` (default: the pool's name). */
  labels: Record<string, string>;
  spot: boolean;
  spread: boolean;
  draining: boolean;
  addressBlock?: number;
}

/** The typed stack config. Defaults are applied; every value has passed its rule. */
export interface StackConfig {
  stack: string;
  provider: ProviderName;
  location: string;
  networkCidr: string;
  platform: {
    serverType: string;
    location: string;
    volumeGb: number;
    floatingIp: boolean;
    loadBalancer: { enabled: boolean; type?: string; ports: { listen: number; target: number }[]; healthCheckPort: number };
    publicPorts: number[];
  };
  /** In config order. */
  pools: PoolConfig[];
  adminCidrs: string[];
  sshPublicKeys: string[];
  deployKey?: { privateKey: string; publicKey: string };
  cloudflare?: {
    zoneId: string;
    domain: string;
    platformRecord: string;
    proxied: boolean;
    workspaceRecords: boolean;
    ttl: number;
    /** The Origin CA certificate for Full (strict) (docs/service-host.md). */
    originCertificate: { enabled: boolean; validityDays: OriginCaValidityDays };
  };
  ssh: {
    bastion?: { host: string; port: number; user: string; privateKey?: string; hostKey?: string; reachesPrivateNetwork: boolean };
  };
  docker: {
    packageSource: "upstream" | "distro";
    gvisorPlatform: "systrap" | "ptrace" | "kvm";
    gvisorNetwork: "sandbox" | "none" | "host";
    prePullImages: string[];
    sandboxDns: string[];
  };
  tls: { validityHours: number; epoch: number; rolloutWaves: number; renewWithinDays: number };
  protection: { deleteProtection: boolean; retainVolumes: boolean; adoptVolumes: Record<string, string> };
  /** The sandbox service on the platform server (docs/service-host.md). */
  service: { enabled: boolean; nodeArch?: "x64" | "arm64"; pool: Record<string, unknown> };
  /** `sandfleet:<provider>` sections, validated by each provider's schema (defaults applied). */
  providers: ProviderConfigs;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Takes the config as the engine (`pulumi.runtime.allConfig()`) or a stack file's `config:` map gives
 * it: keys `sandfleet:<key>`; other namespaces (`hcloud:token`, ...) are ignored. Object values may be
 * JSON strings (the engine's form) or objects (a parsed YAML file).
 */
export function namespacedValues(raw: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    values[name] = typeof value === "string" && /^\s*[[{]/.test(value) ? safeJson(value) : value;
  }
  return values;
}

function describeIssue(issue: z.ZodIssue, input: Record<string, unknown>): string {
  const key = `${CONFIG_NAMESPACE}:${issue.path.map(String).join(".")}`;
  switch (issue.code) {
    case z.ZodIssueCode.unrecognized_keys: {
      const where = issue.path.length ? key : CONFIG_NAMESPACE;
      return issue.keys
        .map((k) => `${where === CONFIG_NAMESPACE ? `${CONFIG_NAMESPACE}:${k}` : `${where}.${k}`}: unknown key; remove it or check its spelling`)
        .join("\n  ");
    }
    case z.ZodIssueCode.invalid_type:
      if (issue.received === "undefined") {
        return `${key}: ${issue.message === "Required" ? "is required; set it in Pulumi.<stack>.yaml (see README, Configuration)" : issue.message}`;
      }
      if (issue.expected === "integer") {
        return `${key}: must be a whole number, got ${JSON.stringify(valueAt(input, issue.path))}; write it without decimals`;
      }
      return `${key}: expected ${issue.expected}, got ${issue.received} (${JSON.stringify(valueAt(input, issue.path))}); write it as ${issue.expected}`;
    case z.ZodIssueCode.invalid_enum_value:
      return `${key}: ${JSON.stringify(issue.received)} is not allowed; use one of: ${issue.options.join(", ")}`;
    default:
      return `${key}: ${issue.message}`;
  }
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k as string] : undefined), input);
}

/**
 * Parses and validates the stack config. Pure: no @pulumi import, no I/O.
 * Throws {@link StackConfigError} listing every problem as `sandfleet:<key>: <rule>; <fix>`.
 */
export function parseStackConfig(raw: Record<string, unknown>, stackName: string, registry: ProviderRegistry = providerRegistry): StackConfig {
  const input = namespacedValues(raw);
  const result = buildSchema(registry).safeParse(input);
  if (!result.success) {
    throw new StackConfigError(result.error.issues.map((issue) => describeIssue(issue, input)));
  }
  const c = result.data as unknown as RawParsed & {
    docker: StackConfig["docker"];
    tls: StackConfig["tls"];
    protection: StackConfig["protection"];
  };
  const provider = c.provider as ProviderName;
  const providers: ProviderConfigs = {};
  for (const name of Object.keys(registry) as ProviderName[]) {
    const section = c[name] as Record<string, unknown> | undefined;
    const used = name === provider || Object.values(c.pools).some((p) => (p.provider ?? provider) === name);
    // Defaults of a used provider's schema apply even when its section is absent.
    if (section !== undefined) providers[name] = section;
    else if (used && registry[name]?.configSchema) providers[name] = registry[name]!.configSchema!.parse({}) as Record<string, unknown>;
  }
  const lb = c.platform.loadBalancer;
  return {
    stack: stackName,
    provider,
    location: c.location,
    networkCidr: c.networkCidr ?? DEFAULT_NETWORK_CIDR,
    platform: {
      serverType: c.platform.serverType,
      location: c.platform.location ?? c.location,
      volumeGb: c.platform.volumeGb,
      floatingIp: c.platform.floatingIp,
      loadBalancer: {
        enabled: lb.enabled,
        type: lb.type,
        ports: lb.ports,
        healthCheckPort: lb.healthCheckPort ?? lb.ports[0].target,
      },
      publicPorts: c.platform.publicPorts,
    },
    pools: Object.entries(c.pools).map(([name, p]) => ({
      name,
      provider: (p.provider ?? provider) as ProviderName,
      location: p.location ?? c.location,
      count: p.count,
      serverType: p.serverType,
      volumeGb: p.volumeGb,
      maxContainers: p.maxContainers,
      weight: p.weight,
      labels: { tier: name, ...p.labels },
      spot: p.spot,
      spread: p.spread,
      draining: p.draining,
      ...(p.addressBlock !== undefined ? { addressBlock: p.addressBlock } : {}),
    })),
    adminCidrs: c.adminCidrs,
    sshPublicKeys: c.sshPublicKeys.map((k) => k.trim()),
    ...(c.deployPrivateKey && c.deployPublicKey
      ? { deployKey: { privateKey: c.deployPrivateKey, publicKey: c.deployPublicKey.trim() } }
      : {}),
    ...(c.cloudflare
      ? {
          cloudflare: {
            ...c.cloudflare,
            platformRecord: c.cloudflare.platformRecord ?? `sandfleet-${stackName}`,
            originCertificate: { ...c.cloudflare.originCertificate, validityDays: c.cloudflare.originCertificate.validityDays as OriginCaValidityDays },
          },
        }
      : {}),
    ssh: c.ssh.bastion ? { bastion: { ...c.ssh.bastion, ...(c.ssh.bastion.hostKey ? { hostKey: c.ssh.bastion.hostKey.trim() } : {}) } } : {},
    docker: c.docker,
    tls: c.tls,
    protection: c.protection,
    service: c.service,
    providers,
  };
}

/**
 * Why `pulumi up` from here cannot reach the servers, when that is known before anything is dialled: on a
 * GitHub-hosted runner (the deploy workflow passes GitHub's `runner.environment` as
 * `SANDFLEET_RUNNER_ENVIRONMENT`, `github-hosted` there), whose address is in no adminCidrs range
 * (those runners share Azure's ranges with every other GitHub user, so admitting them would admit everybody),
 * without a jump host, every post-boot SSH step would redial for 30 minutes. `undefined` when nothing is known
 * to be wrong (a self-hosted runner, a laptop, a jump host, a `local`-only stack).
 */
export function unreachableDeployProblem(config: StackConfig, runnerEnvironment: string | undefined): string | undefined {
  if (runnerEnvironment !== "github-hosted" || config.ssh.bastion) return undefined;
  if ([config.provider, ...config.pools.map((p) => p.provider)].every((p) => p === "local")) return undefined;
  return (
    `${CONFIG_NAMESPACE}:ssh.bastion: is not set, and pulumi up runs on a GitHub-hosted runner (SANDFLEET_RUNNER_ENVIRONMENT=github-hosted), ` +
    `whose address is in no adminCidrs range, so every post-boot SSH step would redial for 30 minutes and fail; ` +
    `set sandfleet:ssh.bastion to a jump host inside adminCidrs, or run the deploy on a self-hosted runner inside adminCidrs ` +
    `(see docs/operations.md, Deploying from CI)`
  );
}

/** Soft problems: allowed, but worth a `pulumi.log.warn` on every preview. */
export function stackConfigWarnings(config: StackConfig): string[] {
  const warnings: string[] = [];
  if (config.docker.gvisorNetwork === "host") {
    warnings.push(
      `${CONFIG_NAMESPACE}:docker.gvisorNetwork: "host" gives sandboxes the host's network stack; use it only for tests, set "sandbox" for production`,
    );
  }
  for (const cidr of config.adminCidrs) {
    const check = checkCidr(cidr);
    if (check.ok && ((check.family === 4 && check.prefix < 16) || (check.family === 6 && check.prefix < 32))) {
      warnings.push(`${CONFIG_NAMESPACE}:adminCidrs: ${cidr} is a very wide range for SSH; narrow it to your office/VPN range`);
    }
  }
  if (config.adminCidrs.some((cidr) => cidr.startsWith("203.0.113.") || cidr.startsWith("198.51.100.") || cidr.startsWith("192.0.2."))) {
    warnings.push(`${CONFIG_NAMESPACE}:adminCidrs: contains a documentation range (RFC 5737); replace it with your own office/VPN range or SSH and the post-boot step cannot reach the servers`);
  }
  const bastion = config.ssh.bastion;
  if (bastion && !isIP(bastion.host)) {
    warnings.push(
      `${CONFIG_NAMESPACE}:ssh.bastion.host: ${bastion.host} is a name, so sandfleet cannot check that its address is inside adminCidrs; make sure it is, or the servers drop its SSH and every post-boot step redials for up to 30 minutes`,
    );
  }
  if (bastion && !bastion.hostKey) {
    warnings.push(`${CONFIG_NAMESPACE}:ssh.bastion.hostKey: not set, so the jump host's identity is not checked; set it to the jump host's public host key`);
  }
  return warnings;
}
