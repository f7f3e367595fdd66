/**
 * Snapshot and restore of a workspace's data as a tar stream: Docker's getArchive / putArchive of /workspace on the
 * io helper container (io-container.ts). A snapshot's entries start with `workspace/` (as `docker cp` writes them)
 * and keep owners and modes; restore takes the same shape and unpacks it into a workspace's volume.
 */
import type { EndpointClient } from "../docker/endpoint-client";
import type { SandboxProfile } from "../sandbox/profile";
import { withIoContainer } from "./io-container";
import type { WorkspaceRecord } from "./record";
import { WORKSPACE_MOUNT_PATH } from "./request";

export async function snapshotWorkspace(client: EndpointClient, record: WorkspaceRecord, profile: SandboxProfile): Promise<Buffer> {
  return withIoContainer(client, record, profile, async (container) => {
    const stream = (await client.call("read the workspace's data", () => container.getArchive({ path: WORKSPACE_MOUNT_PATH }), 60_000)) as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  });
}

export async function restoreWorkspace(client: EndpointClient, record: WorkspaceRecord, profile: SandboxProfile, tar: Buffer): Promise<void> {
  await withIoContainer(client, record, profile, async (container) => {
    await client.call("write the workspace's data", () => container.putArchive(tar, { path: "/" }), 120_000);
  });
}
