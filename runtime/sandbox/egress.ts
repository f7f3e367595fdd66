/**
 * A sandbox's egress policy: what it may reach outside, enforced on the workspace host (its proxy and
 * firewall, see cloud-init/egress-proxy.ts), never inside the sandbox. One schema for the profile, a request's
 * narrowing and a running sandbox's change; {@link narrowEgress} is the one rule that a request may narrow
 * within its profile's policy, never widen it.
 */
import { BlockList, isIP } from "node:net";
import { z } from "zod";
import { EgressWidenedError } from "../errors";

/** `api.example.com`, or `*.example.com` for any name below example.com. Lower case, no trailing dot. */
const hostPattern = z
  .string()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be a lower-case host name such as "api.example.com" or "*.example.com" (a wildcard only as the first label)',
  )
  .max(253);

const cidr = z.string().refine(
  (value) => {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
    if (!match) return false;
    const family = isIP(match[1]!);
    return family !== 0 && Number(match[2]) <= (family === 4 ? 32 : 128);
  },
  { message: 'must be a CIDR such as "203.0.113.0/24" or "2001:db8::/32" (private ranges are refused by the host whatever is listed)' },
);

const port = z.number().int().min(1).max(65535);

export const EGRESS_MODES = ["none", "allowlist", "internet"] as const;

export const egressPolicySchema = z
  .object({
    /**
     * `none`: no network at all. `allowlist`: HTTP and HTTPS (CONNECT) through the host's proxy to `hosts` (and
     * literal addresses in `cidrs`) on `ports`. `internet`: any public destination on `ports`. In every mode the
     * metadata address, the private network and all private ranges stay unreachable. @default "none"
     */
    mode: z.enum(EGRESS_MODES).default("none"),
    /** Names an allowlist reaches. @default [] */
    hosts: z.array(hostPattern).max(256).default([]),
    /** Ranges a request for a literal address may go to (allowlist mode). @default [] */
    cidrs: z.array(cidr).max(256).default([]),
    /** Destination ports. @default [80, 443] */
    ports: z.array(port).min(1).max(64).default([80, 443]),
  })
  .strict()
  .refine((p) => p.mode !== "allowlist" || p.hosts.length + p.cidrs.length > 0, {
    message: 'an allowlist needs at least one entry in hosts or cidrs; for no network at all use mode "none"',
    path: ["hosts"],
  });

export type EgressPolicy = z.infer<typeof egressPolicySchema>;
export type EgressPolicyInput = z.input<typeof egressPolicySchema>;


const modeRank: Record<EgressPolicy["mode"], number> = { none: 0, allowlist: 1, internet: 2 };

/** A pattern of the profile that covers `host` (a name or a `*.` pattern of the request). */
function hostCovered(host: string, allowed: string[]): boolean {
  return allowed.some((a) => {
    if (a === host) return true;
    if (!a.startsWith("*.")) return false;
    const suffix = a.slice(1); // ".example.com"
    return host.endsWith(suffix) && host.length > suffix.length && (!host.startsWith("*.") || host.slice(1).endsWith(suffix));
  });
}

/** True when `inner` (a CIDR) lies inside one of `outer`. */
function cidrCovered(inner: string, outer: string[]): boolean {
  const [innerBase, innerPrefix] = inner.split("/") as [string, string];
  return outer.some((o) => {
    const [base, prefix] = o.split("/") as [string, string];
    if (isIP(base) !== isIP(innerBase) || Number(innerPrefix) < Number(prefix)) return false;
    const list = new BlockList();
    list.addSubnet(base, Number(prefix), isIP(base) === 4 ? "ipv4" : "ipv6");
    return list.check(innerBase, isIP(innerBase) === 4 ? "ipv4" : "ipv6");
  });
}

/**
 * The policy a request (`requested`) gets under its profile's (`limit`): the request itself, checked to be
 * no wider. Throws {@link EgressWidenedError} naming the first entry that the profile does not allow.
 */
export function narrowEgress(limit: EgressPolicy, requested: EgressPolicyInput): EgressPolicy {
  const wanted = egressPolicySchema.parse(requested);
  const fail = (what: string) => {
    throw new EgressWidenedError(`egress: ${what} is not allowed by the profile's egress policy (mode "${limit.mode}"); a request may only narrow it: ask for a policy within the profile's, or use a profile that allows more`);
  };
  if (modeRank[wanted.mode] > modeRank[limit.mode]) fail(`mode "${wanted.mode}"`);
  if (wanted.mode === "none") return wanted;
  for (const p of wanted.ports) if (!limit.ports.includes(p)) fail(`port ${p}`);
  if (limit.mode === "allowlist") {
    for (const h of wanted.hosts) if (!hostCovered(h, limit.hosts)) fail(`host "${h}"`);
    for (const c of wanted.cidrs) if (!cidrCovered(c, limit.cidrs)) fail(`cidr ${c}`);
  }
  return wanted;
}
