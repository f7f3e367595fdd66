/**
 * A workspace's data volume on its endpoint: created with the workspace's labels, handed to the profile's user
 * (a fresh volume's root belongs to root), measured, removed. Ownership and archives go through a helper container
 * that is created and never started (io-container.ts), so they work on a stopped workspace and need no shell.
 */
import type { EndpointClient } from "../docker/endpoint-client";
import { directoryOwnerTar } from "../docker/single-file-tar";
import type { SandboxProfile } from "../sandbox/profile";
import { withIoContainer } from "./io-container";
import { workspaceLabels, workspaceVolumeName } from "./labels";
import type { WorkspaceRecord } from "./record";
import { numericUser, WORKSPACE_MOUNT_PATH } from "./request";

export async function createWorkspaceVolume(client: EndpointClient, record: WorkspaceRecord, profile: SandboxProfile): Promise<void> {
  await client.call("create volume", (docker) =>
    docker.createVolume({ Name: workspaceVolumeName(record.id), Driver: "local", Labels: workspaceLabels(record, "data") }) as Promise<unknown>,
  );
  const { uid, gid } = numericUser(profile.user, record.profile);
  await withIoContainer(client, record, profile, async (container) => {
    // Extracted at "/", the one entry lands on the mount point, i.e. the volume's root: its owner and mode change.
    await client.call("hand the volume to the workspace user", () =>
      container.putArchive(directoryOwnerTar(WORKSPACE_MOUNT_PATH.slice(1), uid, gid, 0o755), { path: "/" }),
    );
  });
}

/** Removes the volume; one that is gone already is fine. */
export async function removeWorkspaceVolume(client: EndpointClient, id: string): Promise<void> {
  try {
    await client.call("remove volume", (docker) => docker.getVolume(workspaceVolumeName(id)).remove({ force: true }) as Promise<unknown>);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return;
    throw err;
  }
}

/** Bytes the volume holds (Docker's disk-usage walk of the volume), or undefined when Docker does not say. */
export async function workspaceDiskUsed(client: EndpointClient, id: string): Promise<number | undefined> {
  const df = (await client.call("disk usage", (docker) => docker.df(), 30_000)) as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] };
  const size = df.Volumes?.find((v) => v.Name === workspaceVolumeName(id))?.UsageData?.Size;
  return typeof size === "number" && size >= 0 ? size : undefined;
}

/** The workspace volumes on the endpoint, with their labels (the hosts' record, for reconcile). */
export async function listWorkspaceVolumes(client: EndpointClient): Promise<{ Name: string; Labels: Record<string, string> | null }[]> {
  const result = (await client.call("list volumes", (docker) => docker.listVolumes({ filters: { label: ["dev.sandfleet.workspace.role=data"] } }) as Promise<unknown>)) as {
    Volumes?: { Name: string; Labels: Record<string, string> | null }[];
  };
  return result.Volumes ?? [];
}
