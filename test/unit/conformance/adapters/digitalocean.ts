/** DigitalOcean: firewalls select Droplets by tag (or id); attachments, reserved IPs and load balancers reference numeric Droplet ids. */
import type { MockRecorder } from "../../../support/pulumi-mocks";
import { byId, hostnameOf, type ProviderAdapter, type ViewServer } from "./fleet-view";
import { inboundRulesOf } from "./inbound-rules";

export const digitaloceanAdapter: ProviderAdapter = {
  servers(mocks: MockRecorder): ViewServer[] {
    const ids = byId(mocks);
    const firewalls = mocks.ofType("digitalocean:index/firewall:Firewall");
    return mocks.ofType("digitalocean:index/droplet:Droplet").map((droplet) => {
      const dropletId = Number(droplet.state.__id);
      const tags: string[] = droplet.inputs.tags ?? [];
      const rules = firewalls
        .filter((f) => (f.inputs.tags ?? []).some((t: string) => tags.includes(t)) || (f.inputs.dropletIds ?? []).includes(dropletId))
        .flatMap(inboundRulesOf);
      // DigitalOcean encrypts every volume at rest; there is no setting.
      const volumes = mocks
        .ofType("digitalocean:index/volumeAttachment:VolumeAttachment")
        .filter((a) => a.inputs.dropletId === dropletId)
        .map((a) => ({ origin: ids.get(a.inputs.volumeId)?.name ?? a.inputs.volumeId, encrypted: "provider-default" as const }));
      const assignment = mocks.ofType("digitalocean:index/reservedIpAssignment:ReservedIpAssignment").find((a) => a.inputs.dropletId === dropletId);
      return {
        hostname: hostnameOf(droplet.inputs.userData),
        resource: droplet,
        userData: droplet.inputs.userData,
        rules,
        volumes,
        stableIp: assignment?.inputs.ipAddress,
        publicIp: droplet.state.ipv4Address,
      };
    });
  },
  loadBalancerPoolTypes: ["digitalocean:index/loadBalancer:LoadBalancer"],
  loadBalancerTargets(mocks) {
    const droplets = mocks.ofType("digitalocean:index/droplet:Droplet");
    return mocks
      .ofType("digitalocean:index/loadBalancer:LoadBalancer")
      .flatMap((lb) => lb.inputs.dropletIds ?? [])
      .map((id: number) => hostnameOf(droplets.find((d) => Number(d.state.__id) === id)!.inputs.userData));
  },
};
