/**
 * A workspace's data volume on its endpoint: created with the workspace's labels, handed to the profile's user
 * (a fresh volume's root belongs to root), measured, removed. Ownership and archives go through a helper container
 * that is created and never started (io-container.ts), so they work on a stopped workspace and need no shell.
 *
 * A workspace with a quota (quotaGb > 0) gets its own filesystem of that size on the host first (host-disk.ts), and
 * its volume is a bind of a directory in it (the local driver's `type=none,o=bind,device=...`): the host's kernel
 * enforces the quota. quotaGb 0 is a plain local volume, bounded only by the data volume.
 */
import type { EndpointClient } from "../docker/endpoint-client";
import { directoryOwnerTar } from "../docker/single-file-tar";
import type { SandboxProfile } from "../sandbox/profile";
import { createHostDisk, deleteHostDisk, HOST_DISK_MOUNTS_DIR, hostDiskUsed } from "./host-disk";
import { withIoContainer } from "./io-container";
import { workspaceLabels, workspaceVolumeName } from "./labels";
import type { WorkspaceRecord } from "./record";
import { numericUser, WORKSPACE_MOUNT_PATH } from "./request";

export async function createWorkspaceVolume(client: EndpointClient, record: WorkspaceRecord, profile: SandboxProfile): Promise<void> {
  const { uid, gid } = numericUser(profile.user, record.profile);
  const source = record.quotaGb > 0 ? await createHostDisk(client, record, profile.image) : undefined;
  await client.call("create volume", (docker) =>
    docker.createVolume({
      Name: workspaceVolumeName(record.id),
      Driver: "local",
      ...(source ? { DriverOpts: { type: "none", o: "bind", device: source } } : {}),
      Labels: workspaceLabels(record, "data"),
    }) as Promise<unknown>,
  );
  await withIoContainer(client, record, profile, async (container) => {
    // Extracted at "/", the one entry lands on the mount point, i.e. the volume's root: its owner and mode change.
    await client.call("hand the volume to the workspace user", () =>
      container.putArchive(directoryOwnerTar(WORKSPACE_MOUNT_PATH.slice(1), uid, gid, 0o755), { path: "/" }),
    );
  });
}

/** Whether the volume binds a host disk (a quota the host enforces); undefined when the volume is gone. */
async function volumeHostDisk(client: EndpointClient, id: string): Promise<boolean | undefined> {
  try {
    const volume = (await client.call("inspect volume", (docker) => docker.getVolume(workspaceVolumeName(id)).inspect() as Promise<unknown>)) as { Options?: Record<string, string> | null };
    return (volume.Options?.device ?? "").startsWith(`${HOST_DISK_MOUNTS_DIR}/`);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Removes the volume and, when it binds a host disk, that disk (`hostDisk: true` removes the disk even when the
 * volume is gone: a create that failed between the two). One that is gone already is fine.
 */
export async function removeWorkspaceVolume(client: EndpointClient, record: WorkspaceRecord, helperImage: string, options: { hostDisk?: boolean } = {}): Promise<void> {
  const bindsHostDisk = await volumeHostDisk(client, record.id);
  try {
    await client.call("remove volume", (docker) => docker.getVolume(workspaceVolumeName(record.id)).remove({ force: true }) as Promise<unknown>);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  if (bindsHostDisk || options.hostDisk) await deleteHostDisk(client, record, helperImage);
}

/** Bytes the workspace holds (its own filesystem's use, or Docker's disk-usage walk of a plain volume), or undefined when unknown. */
export async function workspaceDiskUsed(client: EndpointClient, record: WorkspaceRecord, helperImage: string): Promise<number | undefined> {
  if (await volumeHostDisk(client, record.id)) return hostDiskUsed(client, record, helperImage);
  const df = (await client.call("disk usage", (docker) => docker.df(), 30_000)) as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] };
  const size = df.Volumes?.find((v) => v.Name === workspaceVolumeName(record.id))?.UsageData?.Size;
  return typeof size === "number" && size >= 0 ? size : undefined;
}

/** The workspace volumes on the endpoint, with their labels (the hosts' record, for reconcile). */
export async function listWorkspaceVolumes(client: EndpointClient): Promise<{ Name: string; Labels: Record<string, string> | null }[]> {
  const result = (await client.call("list volumes", (docker) => docker.listVolumes({ filters: { label: ["dev.sandfleet.workspace.role=data"] } }) as Promise<unknown>)) as {
    Volumes?: { Name: string; Labels: Record<string, string> | null }[];
  };
  return result.Volumes ?? [];
}
