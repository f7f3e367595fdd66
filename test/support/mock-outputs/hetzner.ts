/**
 * Outputs of mocked @pulumi/hcloud resources. Hetzner ids are numbers (the program converts them with
 * `id.apply(Number)`), so every id here is numeric-looking; addresses come from documentation ranges
 * (RFC 5737 / RFC 3849): servers 203.0.113.0/24, floating IPs 198.51.100.0/24, load balancers 192.0.2.0/24.
 */
import type { OutputsFn } from "./index";
import { docAddress } from "./documentation-address";

const numericId = (n: number) => String(100000 + n);

export const outputs: Record<string, OutputsFn> = {
  "hcloud:index/network:Network": (_args, n) => ({ __id: numericId(n) }),
  "hcloud:index/networkSubnet:NetworkSubnet": (args) => ({
    // The real id is "<network id>-<ip range>".
    __id: `${args.inputs.networkId}-${args.inputs.ipRange}`,
    gateway: "10.0.0.1",
  }),
  "hcloud:index/sshKey:SshKey": (_args, n) => ({ __id: numericId(n), fingerprint: `aa:bb:cc:${n}` }),
  "hcloud:index/firewall:Firewall": (_args, n) => ({ __id: numericId(n) }),
  "hcloud:index/placementGroup:PlacementGroup": (args, n) => ({ __id: numericId(n), servers: [], type: args.inputs.type }),
  "hcloud:index/server:Server": (args, n) => ({
    __id: numericId(n),
    ipv4Address: docAddress("203.0.113", n),
    ipv6Address: `2001:db8::${n.toString(16)}`,
    ipv6Network: `2001:db8:${n.toString(16)}::/64`,
    status: "running",
    datacenter: `${args.inputs.location}-dc1`,
    primaryDiskSize: 40,
    backupWindow: "",
  }),
  "hcloud:index/volume:Volume": (_args, n) => ({ __id: numericId(n), linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${numericId(n)}` }),
  "hcloud:index/volumeAttachment:VolumeAttachment": (_args, n) => ({ __id: numericId(n) }),
  "hcloud:index/floatingIp:FloatingIp": (_args, n) => ({ __id: numericId(n), ipAddress: docAddress("198.51.100", n), ipNetwork: "" }),
  "hcloud:index/floatingIpAssignment:FloatingIpAssignment": (_args, n) => ({ __id: numericId(n) }),
  "hcloud:index/loadBalancer:LoadBalancer": (args, n) => ({
    __id: numericId(n),
    ipv4: docAddress("192.0.2", n),
    ipv6: `2001:db8:1b::${n.toString(16)}`,
    networkZone: args.inputs.networkZone ?? "",
  }),
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": (_args, n) => ({ __id: numericId(n) }),
  "hcloud:index/loadBalancerService:LoadBalancerService": (args) => ({ __id: `${args.inputs.loadBalancerId}__${args.inputs.listenPort}` }),
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": (_args, n) => ({ __id: `lb-target-${n}` }),
};

export const calls = {};
