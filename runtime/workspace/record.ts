/**
 * The durable record of a workspace and where it is kept. The library keeps it in memory by default; the sandbox
 * service keeps it in its database (service/db/workspaces.ts). Together with the hosts' volume labels (labels.ts)
 * these are the two records of one truth that a reconcile makes agree. The record is what still names a workspace
 * whose host is gone from the registry: it is listed `unavailable`, never recreated empty elsewhere.
 */
export interface WorkspaceRecord {
  /** 12 hex digits; the volume and container are `sandfleet-ws-<id>`. */
  id: string;
  /** The owner (the service: the API key's id). Names are unique per owner. */
  owner: string;
  name: string;
  profile: string;
  /** The one endpoint the data lives on; it never moves. */
  endpointId: string;
  /** Disk quota in GB (0: none); see docs/workspaces.md for how the host enforces it. */
  quotaGb: number;
  labels: Record<string, string>;
  /** ms since the epoch. */
  createdAt: number;
  /** Last exec, shell or file call; idle auto-stop counts from here. */
  lastActivityAt: number;
}

export interface WorkspaceStore {
  list(owner?: string): WorkspaceRecord[];
  get(id: string): WorkspaceRecord | undefined;
  byName(owner: string, name: string): WorkspaceRecord | undefined;
  insert(record: WorkspaceRecord): void;
  touch(id: string, at: number): void;
  remove(id: string): void;
}

/** The library's default store: lost with the process (a reconcile re-adopts the hosts' volumes). */
export class MemoryWorkspaceStore implements WorkspaceStore {
  readonly #records = new Map<string, WorkspaceRecord>();
  list(owner?: string): WorkspaceRecord[] {
    return [...this.#records.values()].filter((r) => owner === undefined || r.owner === owner).map((r) => ({ ...r }));
  }
  get(id: string): WorkspaceRecord | undefined {
    const r = this.#records.get(id);
    return r && { ...r };
  }
  byName(owner: string, name: string): WorkspaceRecord | undefined {
    return this.list(owner).find((r) => r.name === name);
  }
  insert(record: WorkspaceRecord): void {
    this.#records.set(record.id, { ...record });
  }
  touch(id: string, at: number): void {
    const r = this.#records.get(id);
    if (r) r.lastActivityAt = at;
  }
  remove(id: string): void {
    this.#records.delete(id);
  }
}
