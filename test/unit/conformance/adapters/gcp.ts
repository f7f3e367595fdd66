/** GCP: firewall rules select instances by network tag; disks are attached by the instance; the NLB reaches instances through an instance group. */
import type { MockRecorder } from "../../../support/pulumi-mocks";
import { hostnameOf, type ProviderAdapter, type ViewServer } from "./fleet-view";
import { inboundRulesOf } from "./inbound-rules";

const selfLinkName = (link: string) => link.split("/").pop();

export const gcpAdapter: ProviderAdapter = {
  servers(mocks: MockRecorder): ViewServer[] {
    const firewalls = mocks.ofType("gcp:compute/firewall:Firewall");
    const addresses = new Set(mocks.ofType("gcp:compute/address:Address").map((a) => a.state.address));
    return mocks.ofType("gcp:compute/instance:Instance").map((instance) => {
      const tags: string[] = instance.inputs.tags ?? [];
      const rules = firewalls
        .filter((f) => !f.inputs.targetTags || f.inputs.targetTags.some((t: string) => tags.includes(t)))
        .flatMap(inboundRulesOf);
      const disks = mocks.ofType("gcp:compute/disk:Disk");
      // Compute Engine encrypts every persistent disk at rest (Google-managed keys by default).
      const volumes = (instance.inputs.attachedDisks ?? []).map((d: any) => ({
        origin: disks.find((disk) => String(disk.state.__id) === d.source || disk.state.selfLink === d.source)?.name ?? String(d.source),
        encrypted: "provider-default" as const,
      }));
      const natIp = instance.inputs.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIp;
      const userData = instance.inputs.metadata?.["user-data"] ?? "";
      return { hostname: hostnameOf(userData), resource: instance, userData, rules, volumes, stableIp: natIp && addresses.has(natIp) ? natIp : undefined, publicIp: instance.state.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIp };
    });
  },
  loadBalancerPoolTypes: ["gcp:compute/regionBackendService:RegionBackendService"],
  loadBalancerTargets(mocks) {
    const instances = mocks.ofType("gcp:compute/instance:Instance");
    const groups = mocks.ofType("gcp:compute/instanceGroup:InstanceGroup");
    const backends = mocks.ofType("gcp:compute/regionBackendService:RegionBackendService");
    return mocks.ofType("gcp:compute/forwardingRule:ForwardingRule").flatMap((rule) => {
      const backend = backends.find((b) => b.state.selfLink === rule.inputs.backendService || String(b.state.__id) === rule.inputs.backendService);
      const groupLinks: string[] = (backend?.inputs.backends ?? []).map((b: any) => b.group);
      return groups
        .filter((g) => groupLinks.includes(g.state.selfLink))
        .flatMap((g) => g.inputs.instances as string[])
        .map((link) => instances.find((i) => i.state.selfLink === link || i.inputs.name === selfLinkName(link))!)
        .map((i) => hostnameOf(i.inputs.metadata["user-data"]));
    });
  },
};
