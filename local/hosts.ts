/**
 * Test hosts: containers on the local Docker engine that behave like fresh cloud servers. Each one boots
 * `/sbin/init` (systemd) from the test-host image, finds its NoCloud seed (the user-data the cloud path
 * renders) and runs the real cloud-init, on a Docker network of its own that plays the private network.
 *
 * Ports are published on 127.0.0.1 only (random host ports): 22 for the post-boot step, 2376 for the pool.
 */
import { existsSync } from "node:fs";
import Docker from "dockerode";
import { singleFileTar } from "../runtime/docker/single-file-tar";
import { execInContainer } from "./container-exec";
import { fleetFilter, fleetLabels, LABEL_HOST, LABEL_ROLE } from "./labels";
import type { Progress } from "./progress";

export type HostRole = "platform" | "workspace";

/** Admin user on test hosts (a sudoer, like `admin` on cloud Debian images). */
export const LOCAL_ADMIN_USER = "sandfleet";

/** The private network of a local fleet. */
export interface PrivateNetwork {
  name: string;
  /** e.g. `10.213.0.0/24` */
  subnet: string;
  /** The engine's address on the network (where published ports and NAT come from). */
  gateway: string;
}

export interface HostSpec {
  /** Host name, also the container name suffix (e.g. `ws-1`). */
  name: string;
  role: HostRole;
  privateIp: string;
  /** cloud-init user-data (`#cloud-config ...`); never contains secrets. */
  userData: string;
}

export interface BootedHost {
  name: string;
  role: HostRole;
  containerId: string;
  containerName: string;
  privateIp: string;
  /** 127.0.0.1 port published for the host's sshd. */
  sshPort: number;
  /** 127.0.0.1 port published for the host's Docker TLS listener (2376). */
  dockerPort: number;
  /** Platform hosts: 127.0.0.1 port published for the sandbox service's HTTPS (443). */
  servicePort?: number;
}

/** How test hosts get the privileges systemd and a nested dockerd need. */
export type PrivilegeMode = "privileged" | "capabilities";

/**
 * Gateway `.1` and hosts from `.10` of an IPv4 subnet of /25 or larger that starts at `.0` (a /25 leaves the
 * upper half of a /24 for a second network a test creates, e.g. one whose sources are outside the private range).
 */
export function subnetAddresses(subnet: string): { gateway: string; hostIp: (index: number) => string } {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
  const bits = match ? Number(match[5]) : NaN;
  if (!match || bits > 25 || (bits === 25 && match[4] !== "0")) {
    throw new Error(`private network ${subnet}: expected an IPv4 CIDR of /25 or larger starting at .0, e.g. 10.213.0.0/24`);
  }
  const prefix = `${match[1]}.${match[2]}.${match[3]}`;
  const maxIndex = bits === 25 ? 100 : 200;
  return {
    gateway: `${prefix}.1`,
    hostIp: (index: number) => {
      if (index < 0 || index > maxIndex) throw new Error(`host index ${index} out of range (0-${maxIndex}) in ${subnet}`);
      return `${prefix}.${10 + index}`;
    },
  };
}

export function networkName(fleet: string): string {
  return `sandfleet-${fleet}-private`;
}

export function containerName(fleet: string, host: string): string {
  return `sandfleet-${fleet}-${host}`;
}

function dockerVolumeName(fleet: string, host: string): string {
  return `sandfleet-${fleet}-${host}-docker`;
}

/** Creates the fleet's private network, or reuses it when it exists with the same subnet. */
export async function ensurePrivateNetwork(docker: Docker, fleet: string, subnet: string): Promise<PrivateNetwork> {
  const name = networkName(fleet);
  const { gateway } = subnetAddresses(subnet);
  try {
    const existing = await docker.getNetwork(name).inspect();
    const existingSubnet = existing.IPAM?.Config?.[0]?.Subnet;
    if (existingSubnet === subnet) return { name, subnet, gateway };
    throw new Error(
      `network ${name} exists with subnet ${existingSubnet}, not ${subnet}: run 'npm run local:down' first`,
    );
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  await docker.createNetwork({
    Name: name,
    Driver: "bridge",
    CheckDuplicate: true,
    IPAM: { Driver: "default", Config: [{ Subnet: subnet, Gateway: gateway }] },
    Labels: fleetLabels(fleet),
  });
  return { name, subnet, gateway };
}

let detectedMode: PrivilegeMode | undefined;

/**
 * `--privileged` where the engine can grant it (ordinary laptops); else every capability but
 * CAP_SYS_RESOURCE with seccomp, AppArmor and the masked paths off: on the project's build machines the
 * bounding set lacks CAP_SYS_RESOURCE, and `--privileged` fails there with "unable to apply caps:
 * operation not permitted" (measured 2026-11). Such hosts cannot raise rlimits either (cloud-init's
 * container-limits step caps containers' nofile for that reason).
 * Probed once per process with a throwaway container; SANDFLEET_LOCAL_PRIVILEGE forces a mode.
 */
export async function detectPrivilegeMode(docker: Docker, image: string): Promise<PrivilegeMode> {
  const forced = process.env.SANDFLEET_LOCAL_PRIVILEGE;
  if (forced === "privileged" || forced === "capabilities") return forced;
  if (detectedMode) return detectedMode;
  const probe = await docker.createContainer({
    Image: image,
    Entrypoint: ["/bin/true"],
    Cmd: [],
    Labels: fleetLabels("probe"),
    HostConfig: { Privileged: true, NetworkMode: "none" },
  });
  try {
    await probe.start();
    const result = (await probe.wait()) as { StatusCode: number };
    detectedMode = result.StatusCode === 0 ? "privileged" : "capabilities";
  } catch {
    detectedMode = "capabilities";
  } finally {
    await probe.remove({ force: true }).catch(() => undefined);
  }
  return detectedMode;
}

function privilegeHostConfig(mode: PrivilegeMode): Docker.HostConfig {
  // Both modes: systemd wants the host cgroup tree writable and tmpfs on /run.
  const common = {
    CgroupnsMode: "host", // not in @types/dockerode yet; Docker API >= 1.41
    Binds: ["/sys/fs/cgroup:/sys/fs/cgroup:rw"],
    Tmpfs: { "/run": "rw,exec", "/run/lock": "rw" },
  } as Docker.HostConfig;
  if (mode === "privileged") return { ...common, Privileged: true };
  return {
    ...common,
    CapAdd: ["ALL"],
    CapDrop: ["SYS_RESOURCE"],
    SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
    // `--security-opt systempaths=unconfined` of the CLI: nothing under /proc and /sys masked or read-only.
    MaskedPaths: [],
    ReadonlyPaths: [],
  } as Docker.HostConfig;
}

export interface BootHostOptions {
  docker: Docker;
  fleet: string;
  image: string;
  network: PrivateNetwork;
  spec: HostSpec;
  mode: PrivilegeMode;
  progress: Progress;
}

/**
 * Creates and starts one test host (replacing a container of the same name left by an earlier run).
 * Returns as soon as the container runs; {@link waitForCloudInit} follows the boot.
 */
export async function bootHost(options: BootHostOptions): Promise<BootedHost> {
  const { docker, fleet, spec, network, progress } = options;
  const name = containerName(fleet, spec.name);
  await removeHost(docker, fleet, spec.name);
  const labels = fleetLabels(fleet, { [LABEL_ROLE]: spec.role, [LABEL_HOST]: spec.name });
  // The nested dockerd needs a real filesystem for overlay2 (overlay on overlay fails): a volume of its own.
  const volume = dockerVolumeName(fleet, spec.name);
  await docker.createVolume({ Name: volume, Labels: labels });
  const privileges = privilegeHostConfig(options.mode);
  // Workspace hosts mount each quota'd workspace's ext4 image on a loop device (cloud-init/workspace-disks.ts):
  // loop-control and the loop block devices (major 7). The nodes of /dev/loopN are created inside as needed (a
  // container's /dev is not a devtmpfs); the devices are the engine machine's kernel's, shared by every test host,
  // and a mount's loop device detaches itself when the host's mount namespace goes.
  const loopDevices: Docker.HostConfig =
    spec.role === "workspace" && existsSync("/dev/loop-control")
      ? {
          Devices: [{ PathOnHost: "/dev/loop-control", PathInContainer: "/dev/loop-control", CgroupPermissions: "rwm" }],
          DeviceCgroupRules: ["b 7:* rwm"],
        }
      : {};
  const container = await docker.createContainer({
    name,
    Image: options.image,
    Hostname: spec.name,
    Env: ["container=docker"],
    StopSignal: "SIGRTMIN+3",
    Labels: labels,
    // Platform hosts also publish 443, the sandbox service's HTTPS (the one port the platform serves).
    ExposedPorts: { "22/tcp": {}, "2376/tcp": {}, ...(spec.role === "platform" ? { "443/tcp": {} } : {}) },
    HostConfig: {
      ...privileges,
      ...loopDevices,
      Binds: [...(privileges.Binds ?? []), `${volume}:/var/lib/docker`],
      NetworkMode: network.name,
      PortBindings: {
        "22/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
        "2376/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
        ...(spec.role === "platform" ? { "443/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } : {}),
      },
    },
    NetworkingConfig: {
      EndpointsConfig: { [network.name]: { IPAMConfig: { IPv4Address: spec.privateIp } } },
    },
  });
  // NoCloud seed, written through the API before boot (works with remote engines, leaves no local files).
  const instanceId = `${name}-${Date.now()}`;
  const seed = {
    "var/lib/cloud/seed/nocloud/user-data": spec.userData,
    "var/lib/cloud/seed/nocloud/meta-data": `instance-id: ${instanceId}\nlocal-hostname: ${spec.name}\n`,
  };
  for (const [path, content] of Object.entries(seed)) {
    await container.putArchive(singleFileTar(path, Buffer.from(content, "utf8"), 0o600), { path: "/" });
  }
  await container.start();
  progress.host(spec.name, `container started (${options.mode}), private IP ${spec.privateIp}`);
  const info = await container.inspect();
  const port = (p: string) => Number(info.NetworkSettings.Ports?.[p]?.[0]?.HostPort);
  return {
    name: spec.name,
    role: spec.role,
    containerId: info.Id,
    containerName: name,
    privateIp: spec.privateIp,
    sshPort: port("22/tcp"),
    dockerPort: port("2376/tcp"),
    ...(spec.role === "platform" ? { servicePort: port("443/tcp") } : {}),
  };
}

export interface CloudInitResult {
  /** `done`, `error`, or `timeout`. */
  status: string;
  /** Exit code of `cloud-init status --wait --long`. */
  exitCode: number;
  /** Output of `cloud-init status --wait --long`. */
  detail: string;
  durationMs: number;
}

/**
 * Follows cloud-init in the host (stage changes are reported as progress) until it finished, then
 * returns the verdict of `cloud-init status --wait --long`.
 */
export async function waitForCloudInit(
  docker: Docker,
  host: BootedHost,
  progress: Progress,
  timeoutMs = 600_000,
): Promise<CloudInitResult> {
  const started = Date.now();
  const container = docker.getContainer(host.containerId);
  let lastStage = "";
  while (Date.now() - started < timeoutMs) {
    const probe = await execInContainer(
      container,
      ["sh", "-c", "test -f /run/cloud-init/result.json && echo FINISHED; cat /run/cloud-init/status.json 2>/dev/null || true"],
      { timeoutMs: 30_000 },
    ).catch((err: Error) => ({ exitCode: -1, stdout: "", stderr: err.message }));
    const stage = cloudInitStage(probe.stdout);
    if (stage && stage !== lastStage) {
      progress.host(host.name, `cloud-init: ${stage}`);
      lastStage = stage;
    }
    if (probe.stdout.startsWith("FINISHED")) break;
    await sleep(2_000);
  }
  if (Date.now() - started >= timeoutMs) {
    return { status: "timeout", exitCode: -1, detail: `cloud-init did not finish within ${timeoutMs} ms`, durationMs: Date.now() - started };
  }
  const final = await execInContainer(container, ["cloud-init", "status", "--wait", "--long"], { timeoutMs: 120_000 });
  const status = /status:\s*(\S+)/.exec(final.stdout)?.[1] ?? "unknown";
  const durationMs = Date.now() - started;
  progress.host(host.name, `cloud-init: ${status} after ${(durationMs / 1000).toFixed(0)} s`);
  return { status, exitCode: final.exitCode, detail: (final.stdout + final.stderr).trim(), durationMs };
}

/** The running stage from `/run/cloud-init/status.json` (e.g. `modules-config`), `finished`, or "". */
function cloudInitStage(output: string): string {
  const json = output.replace(/^FINISHED\n?/, "").trim();
  if (!json) return output.startsWith("FINISHED") ? "finished" : "";
  try {
    const v1 = (JSON.parse(json) as { v1?: { stage?: string | null } }).v1;
    if (output.startsWith("FINISHED")) return "finished";
    // Between stages `stage` is null: keep the last one rather than flicker.
    return v1?.stage ? v1.stage.replace(/^modules-/, "modules:") : "";
  } catch {
    return "";
  }
}

/** Runs a removal through the engine; false when the object was already gone (404), any other error is thrown. */
export async function removeIfPresent(remove: () => Promise<unknown>): Promise<boolean> {
  try {
    await remove();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    return false;
  }
}

/** Removes one host: its container and its /var/lib/docker volume. */
export async function removeHost(docker: Docker, fleet: string, host: string): Promise<string[]> {
  const removed: string[] = [];
  const name = containerName(fleet, host);
  if (await removeIfPresent(() => docker.getContainer(name).remove({ force: true, v: true }))) removed.push(`container ${name}`);
  const volume = dockerVolumeName(fleet, host);
  if (await removeIfPresent(() => docker.getVolume(volume).remove({ force: true }))) removed.push(`volume ${volume}`);
  return removed;
}

/** Removes every container, volume and network labelled with `fleet`; returns what it removed. */
export async function removeFleetResources(docker: Docker, fleet: string): Promise<string[]> {
  const removed: string[] = [];
  const filters = JSON.stringify(fleetFilter(fleet));
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true, v: true });
    removed.push(`container ${c.Names[0]?.replace(/^\//, "") ?? c.Id}`);
  }
  const volumes = await docker.listVolumes({ filters });
  for (const v of volumes.Volumes ?? []) {
    await docker.getVolume(v.Name).remove({ force: true });
    removed.push(`volume ${v.Name}`);
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove();
    removed.push(`network ${n.Name}`);
  }
  return removed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
