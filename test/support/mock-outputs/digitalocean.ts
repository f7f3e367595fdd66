/**
 * Outputs of mocked @pulumi/digitalocean resources. Ids of Droplets, volumes' attachments, firewalls,
 * ... are numbers (as strings) or UUIDs, as the API returns them. Droplets get their private IP by DHCP
 * from their VPC's range (the mock hands out addresses from .100 up in the range's first /24), public
 * ones from documentation ranges (RFC 5737): Droplets 203.0.113.0/24, reserved IPs 198.51.100.0/24,
 * load balancers 192.0.2.0/24.
 */
import type { OutputsFn } from "./index";
import { docAddress } from "./documentation-address";

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
/** VPC id -> range base "a.b.c". */
const vpcs = new Map<string, string>();
/**
 * DHCP leases, `<range base>::<droplet name>` -> host number, kept across programs run in one process: a real
 * droplet keeps its private address for life, so a second run of the program (the second-up tier) must see an
 * unchanged droplet at the address the first run gave it, and a new droplet at a free one.
 */
const leases = new Map<string, number>();
function leaseOf(base: string, droplet: string): number {
  const key = `${base}::${droplet}`;
  const held = leases.get(key);
  if (held !== undefined) return held;
  const taken = new Set([...leases].filter(([k]) => k.startsWith(`${base}::`)).map(([, host]) => host));
  let host = 100;
  while (taken.has(host)) host++;
  leases.set(key, host);
  return host;
}

export const outputs: Record<string, OutputsFn> = {
  "digitalocean:index/vpc:Vpc": (args, n) => {
    const id = uuid(n);
    const base = String(args.inputs.ipRange ?? "10.10.10.0/24").split("/")[0].split(".").slice(0, 3).join(".");
    vpcs.set(id, base);
    return { __id: id, urn: `do:vpc:${id}` };
  },
  "digitalocean:index/sshKey:SshKey": (_args, n) => ({ __id: String(4000000 + n), fingerprint: `3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:${(n % 256).toString(16).padStart(2, "0")}` }),
  "digitalocean:index/tag:Tag": (args) => ({ __id: args.inputs.name, dropletsCount: 0 }),
  "digitalocean:index/firewall:Firewall": (_args, n) => ({ __id: uuid(n), status: "succeeded" }),
  "digitalocean:index/droplet:Droplet": (args, n) => {
    const base = vpcs.get(args.inputs.vpcUuid);
    const privateIp = base ? `${base}.${leaseOf(base, args.name)}` : `10.10.10.${(n % 150) + 100}`;
    return {
      __id: String(300000000 + n),
      urn: `do:droplet:${300000000 + n}`,
      ipv4Address: docAddress("203.0.113", n),
      ipv4AddressPrivate: privateIp,
      status: "active",
    };
  },
  "digitalocean:index/volume:Volume": (args, n) => ({ __id: uuid(n), urn: `do:volume:${uuid(n)}`, filesystemType: args.inputs.initialFilesystemType ?? "" }),
  "digitalocean:index/volumeAttachment:VolumeAttachment": (args) => ({ __id: `${args.inputs.dropletId}-${args.inputs.volumeId}` }),
  "digitalocean:index/reservedIp:ReservedIp": (_args, n) => {
    const ip = docAddress("198.51.100", n);
    return { __id: ip, ipAddress: ip, urn: `do:reservedip:${ip}` };
  },
  "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": (args) => ({ __id: `${args.inputs.ipAddress}-${args.inputs.dropletId}` }),
  "digitalocean:index/loadBalancer:LoadBalancer": (_args, n) => ({ __id: uuid(n), ip: docAddress("192.0.2", n), status: "active", urn: `do:loadbalancer:${uuid(n)}` }),
};

export const calls = {};
