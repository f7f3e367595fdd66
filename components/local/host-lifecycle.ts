/**
 * Create and delete of the `local` provider's resources as plain async functions (no @pulumi import):
 * the Pulumi dynamic providers call them, the tests call them directly. They are the very functions
 * `npm start` uses (local/), so `pulumi up -s local` and `npm start` boot identical hosts.
 */
import Docker from "dockerode";
import {
  bootHost,
  detectPrivilegeMode,
  ensurePrivateNetwork,
  removeHost,
  removeIfPresent,
  waitForCloudInit,
} from "../../local/hosts";
import { silentProgress, type Progress } from "../../local/progress";
import { ensureTestHostImage } from "../../local/test-host-image";

export interface LocalNetworkInputs {
  fleet: string;
  /** e.g. `10.213.0.0/24` (a /24 or larger IPv4 range). */
  subnet: string;
}

export interface LocalNetworkOutputs extends LocalNetworkInputs {
  networkName: string;
  gateway: string;
}

export async function createLocalNetwork(inputs: LocalNetworkInputs, docker = new Docker()): Promise<{ id: string; outs: LocalNetworkOutputs }> {
  const network = await ensurePrivateNetwork(docker, inputs.fleet, inputs.subnet);
  return { id: network.name, outs: { ...inputs, networkName: network.name, gateway: network.gateway } };
}

export async function deleteLocalNetwork(outs: Pick<LocalNetworkOutputs, "networkName">, docker = new Docker()): Promise<void> {
  await removeIfPresent(() => docker.getNetwork(outs.networkName).remove());
}

export interface LocalHostInputs {
  fleet: string;
  hostName: string;
  role: "platform" | "workspace";
  privateIp: string;
  subnet: string;
  /** cloud-init user-data rendered by the core (never a secret). */
  userData: string;
  /** Fail the create when cloud-init does not finish within this time. @default 600000 */
  cloudInitTimeoutMs?: number;
}

export interface LocalHostOutputs extends LocalHostInputs {
  containerId: string;
  containerName: string;
  imageTag: string;
  /** 127.0.0.1 ports the engine published for the host's sshd and Docker TLS listener. */
  sshPort: number;
  dockerPort: number;
  /** Platform hosts: the 127.0.0.1 port published for the sandbox service's 443. */
  servicePort?: number;
  cloudInitStatus: string;
  cloudInitMs: number;
}

/**
 * Boots one test host and waits for cloud-init. Builds the test-host image first when it is not cached.
 * Nothing half-created: when cloud-init fails, the host is removed before the error is thrown.
 */
export async function createLocalHost(
  inputs: LocalHostInputs,
  docker = new Docker(),
  progress: Progress = silentProgress,
): Promise<{ id: string; outs: LocalHostOutputs }> {
  const image = await ensureTestHostImage({ docker, progress });
  const network = await ensurePrivateNetwork(docker, inputs.fleet, inputs.subnet);
  const mode = await detectPrivilegeMode(docker, image.tag);
  const host = await bootHost({
    docker,
    fleet: inputs.fleet,
    image: image.tag,
    network,
    mode,
    progress,
    spec: { name: inputs.hostName, role: inputs.role, privateIp: inputs.privateIp, userData: inputs.userData },
  });
  const cloudInit = await waitForCloudInit(docker, host, progress, inputs.cloudInitTimeoutMs ?? 600_000);
  if (cloudInit.status !== "done" || cloudInit.exitCode !== 0) {
    await removeHost(docker, inputs.fleet, inputs.hostName).catch(() => undefined);
    throw new Error(`local host ${inputs.hostName}: cloud-init ended '${cloudInit.status}' (exit ${cloudInit.exitCode}): ${cloudInit.detail}`);
  }
  return {
    id: host.containerName,
    outs: {
      ...inputs,
      containerId: host.containerId,
      containerName: host.containerName,
      imageTag: image.tag,
      sshPort: host.sshPort,
      dockerPort: host.dockerPort,
      ...(host.servicePort ? { servicePort: host.servicePort } : {}),
      cloudInitStatus: cloudInit.status,
      cloudInitMs: cloudInit.durationMs,
    },
  };
}

export async function deleteLocalHost(outs: Pick<LocalHostInputs, "fleet" | "hostName">, docker = new Docker()): Promise<string[]> {
  return removeHost(docker, outs.fleet, outs.hostName);
}

/** Inputs whose change needs a new host (the container is the server: no in-place update). */
export const LOCAL_HOST_REPLACE_KEYS: (keyof LocalHostInputs)[] = ["fleet", "hostName", "role", "privateIp", "subnet", "userData"];

/** Which replace-keys differ between the old and new inputs. */
export function localHostChanges(olds: Partial<LocalHostInputs>, news: Partial<LocalHostInputs>): (keyof LocalHostInputs)[] {
  return LOCAL_HOST_REPLACE_KEYS.filter((key) => olds[key] !== news[key]);
}
