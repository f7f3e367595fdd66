export { Workspaces } from "./workspaces";
export type { WorkspaceInfo, WorkspaceState, WorkspacesOptions, CreateWorkspaceOptions } from "./workspaces";
export { MemoryWorkspaceStore } from "./record";
export type { WorkspaceRecord, WorkspaceStore } from "./record";
export type { ReconcileFix, ReconcileReport } from "./reconcile";
export { WORKSPACE_MOUNT_PATH, workspaceNameSchema } from "./request";
export type { CreateWorkspaceInput } from "./request";
export { WORKSPACE_LABELS } from "./labels";
