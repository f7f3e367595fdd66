/**
 * Labels on a workspace's Docker volume and container: the hosts' own record of the workspace, next to the
 * service's database. Docker labels cannot change after creation, so they hold only what never changes (owner,
 * name, profile, quota, creation time, the user's labels); activity and state live in the store and in memory.
 * A reconcile reads them back (reconcile.ts). The container also carries the pool labels' `managed` and a `pool`
 * value no pool id can take ("@workspaces": pool ids start with a letter or digit), so every pool counts running
 * workspaces as used slots (other-pools.ts) and no pool's orphan reconciler ever removes one.
 */
import type Dockerode from "dockerode";
import { POOL_LABELS } from "../pool/labels";
import type { WorkspaceRecord } from "./record";

export const WORKSPACE_POOL_LABEL_VALUE = "@workspaces";

export const WORKSPACE_LABELS = {
  /** The workspace id (12 hex digits); names the volume and container. */
  id: "dev.sandfleet.workspace",
  name: "dev.sandfleet.workspace.name",
  owner: "dev.sandfleet.workspace.owner",
  profile: "dev.sandfleet.workspace.profile",
  quotaGb: "dev.sandfleet.workspace.quota-gb",
  createdAt: "dev.sandfleet.workspace.created-at",
  /** "data" on the volume, "run" on the running container, "io" on the never-started archive helper, "disk" on the host disk helper. */
  role: "dev.sandfleet.workspace.role",
  /** Prefix of the user's own labels. */
  userPrefix: "dev.sandfleet.workspace.label.",
} as const;

export type WorkspaceRole = "data" | "run" | "io" | "disk";

/** Docker names of a workspace's resources (one volume, at most one running container, a short-lived io helper). */
export const workspaceVolumeName = (id: string) => `sandfleet-ws-${id}`;
export const workspaceContainerName = (id: string) => `sandfleet-ws-${id}`;
export const workspaceIoContainerName = (id: string) => `sandfleet-ws-${id}-io`;
export const workspaceHostDiskContainerName = (id: string) => `sandfleet-ws-${id}-disk`;

/**
 * The data volume's mount in every container of the workspace. NoCopy: on an empty volume Docker would otherwise
 * copy the image's (root-owned) mount point over the volume's root at start, taking it back from the workspace user.
 */
export function workspaceVolumeMount(id: string, target: string): Dockerode.MountSettings {
  return { Type: "volume", Source: workspaceVolumeName(id), Target: target, VolumeOptions: { NoCopy: true, Labels: {}, DriverConfig: { Name: "local", Options: {} } } };
}

export function workspaceLabels(record: WorkspaceRecord, role: WorkspaceRole): Record<string, string> {
  const labels: Record<string, string> = {
    [POOL_LABELS.managed]: "true",
    [POOL_LABELS.pool]: WORKSPACE_POOL_LABEL_VALUE,
    [POOL_LABELS.profile]: record.profile,
    [POOL_LABELS.endpoint]: record.endpointId,
    [WORKSPACE_LABELS.id]: record.id,
    [WORKSPACE_LABELS.name]: record.name,
    [WORKSPACE_LABELS.owner]: record.owner,
    [WORKSPACE_LABELS.profile]: record.profile,
    [WORKSPACE_LABELS.quotaGb]: String(record.quotaGb),
    [WORKSPACE_LABELS.createdAt]: new Date(record.createdAt).toISOString(),
    [WORKSPACE_LABELS.role]: role,
  };
  for (const [k, v] of Object.entries(record.labels)) labels[`${WORKSPACE_LABELS.userPrefix}${k}`] = v;
  return labels;
}

/** The record a volume's labels describe (lastActivityAt unknown: its creation time), or undefined if they are not a workspace's. */
export function recordFromLabels(labels: Record<string, string> | undefined, endpointId: string): WorkspaceRecord | undefined {
  if (!labels || labels[WORKSPACE_LABELS.role] !== "data") return undefined;
  const id = labels[WORKSPACE_LABELS.id];
  const name = labels[WORKSPACE_LABELS.name];
  const owner = labels[WORKSPACE_LABELS.owner];
  const profile = labels[WORKSPACE_LABELS.profile];
  if (!id || !name || !owner || !profile) return undefined;
  const createdAt = Date.parse(labels[WORKSPACE_LABELS.createdAt] ?? "") || Date.now();
  const user: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k.startsWith(WORKSPACE_LABELS.userPrefix)) user[k.slice(WORKSPACE_LABELS.userPrefix.length)] = v;
  return { id, name, owner, profile, endpointId, quotaGb: Number(labels[WORKSPACE_LABELS.quotaGb] ?? 0), labels: user, createdAt, lastActivityAt: createdAt };
}
