/**
 * A helper container for a workspace's data: the profile's image with the volume at /workspace, created and never
 * started, removed right after. Docker's archive API on it reads and writes the volume from the host side, so
 * snapshots, restores and the volume's ownership work whether the workspace runs or not, under runsc or runc, and
 * without a shell or tar in the image. It carries the workspace labels with role "io" so a reconcile removes one a
 * crash left behind.
 */
import type Dockerode from "dockerode";
import type { EndpointClient } from "../docker/endpoint-client";
import { ImageNotFoundError } from "../errors";
import type { SandboxProfile } from "../sandbox/profile";
import { workspaceIoContainerName, workspaceLabels, workspaceVolumeMount } from "./labels";
import type { WorkspaceRecord } from "./record";
import { WORKSPACE_MOUNT_PATH } from "./request";

export async function withIoContainer<T>(client: EndpointClient, record: WorkspaceRecord, profile: SandboxProfile, use: (container: Dockerode.Container) => Promise<T>): Promise<T> {
  const name = workspaceIoContainerName(record.id);
  await client.removeContainer(name); // a crashed earlier call's
  const container = await client.call("create io container", (docker) =>
    docker.createContainer({
      name,
      Image: profile.image,
      Entrypoint: [],
      Cmd: ["/bin/true"],
      Labels: workspaceLabels(record, "io"),
      NetworkDisabled: true,
      HostConfig: {
        Runtime: profile.runtime,
        NetworkMode: "none",
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges:true"],
        Mounts: [workspaceVolumeMount(record.id, WORKSPACE_MOUNT_PATH)],
        LogConfig: { Type: "none", Config: {} },
      },
    }),
  ).catch((err: unknown) => {
    // Docker never pulls here: a missing image is the same error a sandbox create gives.
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 && /no such image/i.test(String((err as Error).message))) throw new ImageNotFoundError(profile.image, [client.id]);
    throw err;
  });
  try {
    return await use(container);
  } finally {
    await client.removeContainer(container.id).catch(() => undefined);
  }
}
