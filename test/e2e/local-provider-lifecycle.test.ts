/**
 * The `local` provider's dynamic-resource functions, called directly (they are plain async functions):
 * create boots a real test host and waits for cloud-init, delete removes it and its volume.
 * A minimal user-data keeps this fast; the full cloud-init path is covered by local-fleet.test.ts.
 */
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { createLocalHost, createLocalNetwork, deleteLocalHost, deleteLocalNetwork } from "../../components/local/host-lifecycle";
import { removeFleetResources } from "../../local/hosts";
import { fleetFilter } from "../../local/labels";
import { skipWithoutLocalEngine } from "../support/local-engine";

const FLEET = "e2e-lifecycle";
const SUBNET = "10.213.2.0/24";
const skip = skipWithoutLocalEngine("local provider lifecycle test", "test/e2e/local-provider-lifecycle.test.ts");

describe.skipIf(skip)("the local provider's create and delete functions", () => {
  const docker = new Docker();
  afterAll(async () => {
    await removeFleetResources(docker, FLEET).catch(() => undefined);
  });

  it("create a network and a host that finished cloud-init, and delete both without leftovers", async () => {
    await removeFleetResources(docker, FLEET);
    const network = await createLocalNetwork({ fleet: FLEET, subnet: SUBNET }, docker);
    expect(network.outs).toMatchObject({ networkName: `sandfleet-${FLEET}-private`, gateway: "10.213.2.1" });

    const userData = "#cloud-config\nwrite_files:\n  - path: /etc/sandfleet-lifecycle\n    content: booted\n";
    const host = await createLocalHost(
      { fleet: FLEET, hostName: "ws-1", role: "workspace", privateIp: "10.213.2.10", subnet: SUBNET, userData },
      docker,
    );
    expect(host.id).toBe(`sandfleet-${FLEET}-ws-1`);
    expect(host.outs.cloudInitStatus).toBe("done");
    expect(host.outs.sshPort).toBeGreaterThan(0);
    expect(host.outs.dockerPort).toBeGreaterThan(0);
    const inspected = await docker.getContainer(host.outs.containerId).inspect();
    expect(inspected.NetworkSettings.Networks[network.outs.networkName].IPAddress).toBe("10.213.2.10");
    for (const binding of Object.values(inspected.NetworkSettings.Ports ?? {})) {
      for (const b of binding ?? []) expect(b.HostIp).toBe("127.0.0.1");
    }

    // Only a platform host publishes the sandbox service's 443: pulumi up -s local's serviceUrl is built from it.
    expect(host.outs.servicePort).toBeUndefined();
    const platform = await createLocalHost(
      { fleet: FLEET, hostName: "platform-1", role: "platform", privateIp: "10.213.2.11", subnet: SUBNET, userData },
      docker,
    );
    expect(platform.outs.servicePort).toBeGreaterThan(0);
    const published = (await docker.getContainer(platform.outs.containerId).inspect()).NetworkSettings.Ports?.["443/tcp"];
    expect(published).toEqual([expect.objectContaining({ HostIp: "127.0.0.1", HostPort: String(platform.outs.servicePort) })]);
    expect(await deleteLocalHost(platform.outs, docker)).toContain(`container sandfleet-${FLEET}-platform-1`);

    const removed = await deleteLocalHost(host.outs, docker);
    expect(removed).toEqual([`container sandfleet-${FLEET}-ws-1`, `volume sandfleet-${FLEET}-ws-1-docker`]);
    await deleteLocalNetwork(network.outs, docker);
    await deleteLocalNetwork(network.outs, docker); // deleting twice is harmless (Pulumi may retry)
    const filters = JSON.stringify(fleetFilter(FLEET));
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
  });
});
