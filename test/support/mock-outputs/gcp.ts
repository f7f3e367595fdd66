/**
 * Outputs of mocked @pulumi/gcp resources. Ids are the API's relative resource names (the program passes
 * `id`/`selfLink` between resources); addresses come from documentation ranges (RFC 5737): instances
 * 203.0.113.0/24, static addresses 198.51.100.0/24.
 */
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import type { OutputsFn } from "./index";
import { docAddress } from "./documentation-address";

const project = "mock-project";
const named = (args: MockResourceArgs, n: number) => args.inputs.name ?? `${args.name}-${n.toString(16)}`;
const regional = (kind: string) => (args: MockResourceArgs, n: number) => {
  const id = `projects/${project}/regions/${args.inputs.region}/${kind}/${named(args, n)}`;
  return { __id: id, selfLink: `https://www.googleapis.com/compute/v1/${id}`, name: named(args, n) };
};
const zonal = (kind: string) => (args: MockResourceArgs, n: number) => {
  const id = `projects/${project}/zones/${args.inputs.zone}/${kind}/${named(args, n)}`;
  return { __id: id, selfLink: `https://www.googleapis.com/compute/v1/${id}`, name: named(args, n) };
};
const global = (kind: string) => (args: MockResourceArgs, n: number) => {
  const id = `projects/${project}/global/${kind}/${named(args, n)}`;
  return { __id: id, selfLink: `https://www.googleapis.com/compute/v1/${id}`, name: named(args, n) };
};

export const outputs: Record<string, OutputsFn> = {
  "gcp:compute/network:Network": global("networks"),
  "gcp:compute/firewall:Firewall": global("firewalls"),
  "gcp:compute/subnetwork:Subnetwork": (args, n) => ({ ...regional("subnetworks")(args, n), gatewayAddress: "10.0.0.1" }),
  "gcp:compute/address:Address": (args, n) => ({ ...regional("addresses")(args, n), address: docAddress("198.51.100", n) }),
  "gcp:compute/resourcePolicy:ResourcePolicy": regional("resourcePolicies"),
  "gcp:compute/regionHealthCheck:RegionHealthCheck": regional("healthChecks"),
  "gcp:compute/regionBackendService:RegionBackendService": regional("backendServices"),
  "gcp:compute/forwardingRule:ForwardingRule": regional("forwardingRules"),
  "gcp:compute/disk:Disk": zonal("disks"),
  "gcp:compute/instanceGroup:InstanceGroup": zonal("instanceGroups"),
  "gcp:compute/instance:Instance": (args, n) => ({
    ...zonal("instances")(args, n),
    instanceId: String(5000000 + n),
    networkInterfaces: (args.inputs.networkInterfaces ?? []).map((nic: any) => ({
      ...nic,
      networkIp: nic.networkIp ?? `10.0.0.${(n % 200) + 10}`,
      accessConfigs: (nic.accessConfigs ?? []).map((ac: any) => ({ ...ac, natIp: ac.natIp ?? docAddress("203.0.113", n) })),
    })),
  }),
};

export const calls = {};
