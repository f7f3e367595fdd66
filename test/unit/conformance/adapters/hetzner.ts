/** Hetzner: servers carry firewall ids; volumes, floating IPs and LB targets reference servers by numeric id. */
import type { MockRecorder } from "../../../support/pulumi-mocks";
import { byId, hostnameOf, type ProviderAdapter, type ViewServer } from "./fleet-view";
import { inboundRulesOf } from "./inbound-rules";

export const hetznerAdapter: ProviderAdapter = {
  servers(mocks: MockRecorder): ViewServer[] {
    const ids = byId(mocks);
    return mocks.ofType("hcloud:index/server:Server").map((server) => {
      const serverId = String(server.state.__id);
      const rules = (server.inputs.firewallIds ?? []).flatMap((id: number) => inboundRulesOf(ids.get(String(id))!));
      const volumes = mocks
        .ofType("hcloud:index/volumeAttachment:VolumeAttachment")
        .filter((a) => String(a.inputs.serverId) === serverId)
        .map((a) => ({ origin: ids.get(String(a.inputs.volumeId))!.name, encrypted: "not-offered" as const }));
      const floating = mocks.ofType("hcloud:index/floatingIpAssignment:FloatingIpAssignment").find((a) => String(a.inputs.serverId) === serverId);
      return {
        hostname: hostnameOf(server.inputs.userData),
        resource: server,
        userData: server.inputs.userData,
        rules,
        volumes,
        stableIp: floating ? ids.get(String(floating.inputs.floatingIpId))?.state.ipAddress : undefined,
        publicIp: server.state.ipv4Address,
      };
    });
  },
  loadBalancerPoolTypes: ["hcloud:index/loadBalancer:LoadBalancer"],
  loadBalancerTargets(mocks) {
    const ids = byId(mocks);
    return mocks
      .ofType("hcloud:index/loadBalancerTarget:LoadBalancerTarget")
      .map((t) => hostnameOf(ids.get(String(t.inputs.serverId))!.inputs.userData));
  },
};
