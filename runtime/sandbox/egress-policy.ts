/**
 * Delivering a sandbox's egress policy to its workspace host and reading back what the host's proxy refused,
 * through the Docker API only (the pool's one way onto a workspace host): Docker's archive calls on a
 * never-started holder container that bind-mounts the host's egress state directory (egress-host.ts). The
 * proxy's helper reads the policy file on every request, so a write here applies from the next request on.
 */
import type Dockerode from "dockerode";
import type { EndpointClient } from "../docker/endpoint-client";
import { readSingleFileTar, singleFileTar } from "../docker/single-file-tar";
import type { EgressPolicy } from "./egress";
import {
  EGRESS_DENIED_SUBDIR,
  EGRESS_HOLDER_CONTAINER,
  EGRESS_HOLDER_MOUNT,
  EGRESS_NETWORK,
  EGRESS_POLICY_SUBDIR,
  EGRESS_STATE_DIR,
  EgressDenial,
  EgressPolicyFile,
} from "./egress-host";

/** Per client (endpoint): the holder container's creation, done once. */
const holders = new WeakMap<EndpointClient, Promise<void>>();

/**
 * Creates the holder if the host has none. Never started (no process, no gVisor sandbox); `UsernsMode: host`
 * so files it writes are root's on the host (workspace daemons remap container root to an unprivileged UID,
 * which would own the policy files otherwise). Made from the sandbox's own image, the one image the endpoint
 * is sure to have.
 */
function ensureHolder(client: EndpointClient, image: string): Promise<void> {
  let pending = holders.get(client);
  if (!pending) {
    pending = (async () => {
      try {
        await client.call("inspect egress holder", (docker) => docker.getContainer(EGRESS_HOLDER_CONTAINER).inspect());
        return;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
      const spec: Dockerode.ContainerCreateOptions = {
        name: EGRESS_HOLDER_CONTAINER,
        Image: image,
        Cmd: ["/nonexistent"],
        Entrypoint: [],
        Labels: { "sandfleet.role": "egress-holder" },
        NetworkDisabled: true,
        HostConfig: {
          Binds: [`${EGRESS_STATE_DIR}:${EGRESS_HOLDER_MOUNT}`],
          UsernsMode: "host",
          NetworkMode: "none",
          RestartPolicy: { Name: "no" },
          LogConfig: { Type: "none", Config: {} },
        },
      };
      try {
        await client.call("create egress holder", (docker) => docker.createContainer(spec));
      } catch (err) {
        // Another pool created it meanwhile: that one serves as well.
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      }
    })();
    holders.set(client, pending);
    pending.catch(() => holders.delete(client));
  }
  return pending;
}

/** The sandbox's address on the egress network: the key of its policy on the host. */
export async function egressAddress(client: EndpointClient, containerId: string, timeoutMs?: number): Promise<string> {
  const info = await client.call("inspect container", (docker) => docker.getContainer(containerId).inspect(), timeoutMs);
  const address = info.NetworkSettings?.Networks?.[EGRESS_NETWORK]?.IPAddress;
  if (!address) {
    throw new Error(
      `sandbox ${containerId.slice(0, 12)} has no address on ${EGRESS_NETWORK}: the workspace host ${client.id} lacks its egress proxy (cloud-init egress-proxy step); re-run its bootstrap`,
    );
  }
  return address;
}

/** Writes the policy of the sandbox at `address` (replacing the last one). */
export async function writeEgressPolicy(
  client: EndpointClient,
  image: string,
  address: string,
  sandbox: string,
  policy: EgressPolicy | { mode: "none" },
  timeoutMs?: number,
): Promise<void> {
  await ensureHolder(client, image);
  const file: EgressPolicyFile =
    policy.mode === "none"
      ? { sandbox, mode: "none", hosts: [], cidrs: [], ports: [] }
      : { sandbox, mode: policy.mode, hosts: policy.hosts, cidrs: policy.cidrs, ports: policy.ports };
  const tar = singleFileTar(`${EGRESS_POLICY_SUBDIR}/${address}.json`, Buffer.from(`${JSON.stringify(file)}\n`), 0o644);
  await client.call(
    "write egress policy",
    (docker) => docker.getContainer(EGRESS_HOLDER_CONTAINER).putArchive(tar, { path: EGRESS_HOLDER_MOUNT }),
    timeoutMs,
  );
}

/** Every refusal logged for the sandbox (by its container name) so far, oldest first; [] when there is none. */
export async function readEgressDenials(client: EndpointClient, image: string, sandbox: string, timeoutMs?: number): Promise<EgressDenial[]> {
  await ensureHolder(client, image);
  let tar: Buffer;
  try {
    tar = await client.call(
      "read egress denials",
      async (docker) => {
        const stream = await docker.getContainer(EGRESS_HOLDER_CONTAINER).getArchive({ path: `${EGRESS_HOLDER_MOUNT}/${EGRESS_DENIED_SUBDIR}/${sandbox}.jsonl` });
        const chunks: Buffer[] = [];
        for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
        return Buffer.concat(chunks);
      },
      timeoutMs,
    );
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw err;
  }
  const text = readSingleFileTar(tar)?.toString("utf8") ?? "";
  const denials: EgressDenial[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      denials.push(JSON.parse(line) as EgressDenial);
    } catch {
      // A line cut short by the size cap or a concurrent append: skipped, the next read sees it whole.
    }
  }
  return denials;
}
