/**
 * A workspace's disk quota, enforced by the host: its own ext4 filesystem in a sparse image on the host's data
 * volume, made, removed and measured by the host script cloud-init installs (cloud-init/workspace-disks.ts). The
 * runtime's only channel to a host is its Docker API, so the script runs in a one-shot container that enters the
 * host's mount namespace (`nsenter -t 1 -m`) and is removed afterwards, whatever happens.
 *
 * That container is the one privileged thing sandfleet starts (docs/security.md): runc, not gVisor (gVisor has no
 * host namespaces to enter); the host's user namespace (under userns-remap its root is not the host's); the host's
 * PID namespace (to name PID 1); and only the capabilities the script needs, not `Privileged` (which also fails
 * where the host itself lacks a capability, as the local fleet's test hosts do): SYS_ADMIN (setns, mount), SYS_PTRACE
 * (PID 1's namespace files), SYS_CHROOT (setns into a mount namespace), MKNOD (a loop device node on hosts without
 * devtmpfs), DAC_OVERRIDE and FOWNER; devices: loop-control and loop block devices only. No network.
 *
 * The image is the workspace profile's own (already on the host; the pool never pulls; a missing one is the same
 * ImageNotFoundError a sandbox create gives): it must carry `nsenter`
 * (util-linux in every Debian or Ubuntu image, busybox's applet elsewhere).
 */
import type { EndpointClient } from "../docker/endpoint-client";
import { DockerStreamDemuxer } from "../docker/multiplexed-stream";
import { ImageNotFoundError, WorkspaceUnavailableError } from "../errors";
import { workspaceHostDiskContainerName, workspaceLabels } from "./labels";
import type { WorkspaceRecord } from "./record";

/** Where cloud-init installs the script (cloud-init/workspace-disks.ts, pinned equal by a unit test). */
export const HOST_DISK_SCRIPT_PATH = "/usr/local/sbin/sandfleet-workspace-disk";
/** The directory the script mounts images under; a volume whose `device` is inside is quota-backed. */
export const HOST_DISK_MOUNTS_DIR = "/var/lib/sandfleet/workspace-mounts";
const RESULT_PREFIX = "SANDFLEET_WORKSPACE_DISK";

/** A quota in whole GiB as the script's size in MiB. */
export function quotaMiB(quotaGb: number): number {
  return quotaGb * 1024;
}

export interface HostDiskResult {
  exitCode: number;
  output: string;
}

/** Runs the host script with `args` in a one-shot container; the container is removed whatever happens. */
export async function runHostDiskScript(client: EndpointClient, record: WorkspaceRecord, image: string, args: string[], timeoutMs = 120_000): Promise<HostDiskResult> {
  const name = workspaceHostDiskContainerName(record.id);
  await client.removeContainer(name); // a crashed earlier call's
  const container = await client
    .call("create host disk helper", (docker) =>
      docker.createContainer({
        name,
        Image: image,
        Entrypoint: ["nsenter"],
        Cmd: ["-t", "1", "-m", "--", HOST_DISK_SCRIPT_PATH, ...args],
        Labels: workspaceLabels(record, "disk"),
        NetworkDisabled: true,
        HostConfig: {
          Runtime: "runc",
          UsernsMode: "host",
          PidMode: "host",
          NetworkMode: "none",
          CapDrop: ["ALL"],
          CapAdd: ["SYS_ADMIN", "SYS_PTRACE", "SYS_CHROOT", "MKNOD", "DAC_OVERRIDE", "FOWNER"],
          // Docker's seccomp and AppArmor profiles forbid setns and mount even with SYS_ADMIN in some versions.
          SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
          // loop-control (10:237) and the loop block devices (major 7).
          DeviceCgroupRules: ["c 10:237 rwm", "b 7:* rwm"],
        },
      }),
    )
    .catch((err: unknown) => {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 && /no such image/i.test(String((err as Error).message))) {
        throw new ImageNotFoundError(image, [client.id]);
      }
      throw err;
    });
  try {
    try {
      await client.call("start host disk helper", () => container.start());
    } catch (err) {
      // runc could not exec nsenter: the image lacks it.
      if (/executable file not found|no such file or directory/i.test(String((err as Error).message))) {
        throw new WorkspaceUnavailableError(
          `endpoint ${client.id}: image ${image} has no nsenter, which the host disk helper needs to reach the host; use a profile image with util-linux or busybox`,
        );
      }
      throw err;
    }
    const waited = (await client.call("wait for host disk helper", () => container.wait(), timeoutMs)) as { StatusCode: number };
    const logs = (await client.call("read host disk helper output", () => container.logs({ stdout: true, stderr: true, follow: false }))) as unknown as Buffer;
    const parts: Buffer[] = [];
    new DockerStreamDemuxer((_stream, payload) => parts.push(payload)).push(Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs)));
    return { exitCode: waited.StatusCode, output: Buffer.concat(parts).toString("utf8").trim() };
  } finally {
    await client.removeContainer(container.id).catch(() => undefined);
  }
}

/** The script's last `SANDFLEET_WORKSPACE_DISK ...` line, or a typed error that says what to do. */
async function hostDisk(client: EndpointClient, record: WorkspaceRecord, image: string, args: string[]): Promise<string> {
  const { exitCode, output } = await runHostDiskScript(client, record, image, args);
  // The script never ran: nsenter failed to enter the host (exec of the script, or setns), so nothing was made.
  // util-linux: "nsenter: failed to execute X: No such file or directory"; busybox: "nsenter: can't execute 'X': ...".
  const nsenterError = /^nsenter: .*$/m.exec(output)?.[0];
  if (nsenterError) {
    const reason = /(failed to|can't) execute .*No such file/.test(nsenterError)
      ? `it has no ${HOST_DISK_SCRIPT_PATH} (a host provisioned before workspace disk quotas)`
      : `the host disk helper could not enter the host (${nsenterError})`;
    throw new WorkspaceUnavailableError(
      `endpoint ${client.id} cannot enforce disk quotas: ${reason}, so quotaGb ${record.quotaGb} cannot be enforced there; ` +
        "re-provision the host with the current cloud-init, or create the workspace with quotaGb: 0 (no quota)",
    );
  }
  const result = output.split("\n").reverse().find((line) => line.startsWith(`${RESULT_PREFIX} `));
  if (exitCode !== 0 || !result) {
    throw new Error(`endpoint ${client.id}: ${HOST_DISK_SCRIPT_PATH} ${args.join(" ")} failed (exit ${exitCode}): ${output || "no output"}`);
  }
  return result.slice(RESULT_PREFIX.length + 1).trim();
}

/** Makes and mounts the workspace's filesystem of its quota; returns the host directory its volume binds. */
export async function createHostDisk(client: EndpointClient, record: WorkspaceRecord, image: string): Promise<string> {
  const source = await hostDisk(client, record, image, ["create", record.id, String(quotaMiB(record.quotaGb))]);
  if (!source.startsWith(`${HOST_DISK_MOUNTS_DIR}/`)) throw new Error(`endpoint ${client.id}: the host disk helper answered an unexpected path "${source}"`);
  return source;
}

/** Unmounts and removes the workspace's image; one that is gone already is fine. */
export async function deleteHostDisk(client: EndpointClient, record: WorkspaceRecord, image: string): Promise<void> {
  await hostDisk(client, record, image, ["delete", record.id]);
}

/** Bytes used in the workspace's filesystem (what counts against its quota). */
export async function hostDiskUsed(client: EndpointClient, record: WorkspaceRecord, image: string): Promise<number | undefined> {
  const [used] = (await hostDisk(client, record, image, ["usage", record.id])).split(/\s+/);
  const bytes = Number(used);
  return Number.isFinite(bytes) ? bytes : undefined;
}
