/**
 * The service's record of its workspaces (the runtime's WorkspaceStore, in service.db): what still names a workspace
 * whose host left the registry, and what a restarted service starts from. The hosts' volume labels are the other
 * record; the runtime's reconcile (run at every start) makes the two agree.
 */
import type { DatabaseSync } from "node:sqlite";
import type { WorkspaceRecord, WorkspaceStore } from "../../runtime/index";

interface WorkspaceRow {
  id: string;
  owner: string;
  name: string;
  profile: string;
  endpoint_id: string;
  quota_gb: number;
  labels: string;
  created_at: number;
  last_activity_at: number;
}

function fromRow(row: WorkspaceRow): WorkspaceRecord {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    profile: row.profile,
    endpointId: row.endpoint_id,
    quotaGb: Number(row.quota_gb),
    labels: JSON.parse(row.labels) as Record<string, string>,
    createdAt: Number(row.created_at),
    lastActivityAt: Number(row.last_activity_at),
  };
}

export class SqliteWorkspaceStore implements WorkspaceStore {
  constructor(private readonly db: DatabaseSync) {}

  list(owner?: string): WorkspaceRecord[] {
    const rows = (owner === undefined
      ? this.db.prepare("SELECT * FROM workspaces ORDER BY created_at").all()
      : this.db.prepare("SELECT * FROM workspaces WHERE owner = ? ORDER BY created_at").all(owner)) as unknown as WorkspaceRow[];
    return rows.map(fromRow);
  }

  get(id: string): WorkspaceRecord | undefined {
    const row = this.db.prepare("SELECT * FROM workspaces WHERE id = ?").get(id) as unknown as WorkspaceRow | undefined;
    return row && fromRow(row);
  }

  byName(owner: string, name: string): WorkspaceRecord | undefined {
    const row = this.db.prepare("SELECT * FROM workspaces WHERE owner = ? AND name = ?").get(owner, name) as unknown as WorkspaceRow | undefined;
    return row && fromRow(row);
  }

  insert(r: WorkspaceRecord): void {
    this.db
      .prepare("INSERT INTO workspaces (id, owner, name, profile, endpoint_id, quota_gb, labels, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(r.id, r.owner, r.name, r.profile, r.endpointId, r.quotaGb, JSON.stringify(r.labels), r.createdAt, r.lastActivityAt);
  }

  touch(id: string, at: number): void {
    this.db.prepare("UPDATE workspaces SET last_activity_at = ? WHERE id = ?").run(at, id);
  }

  remove(id: string): void {
    this.db.prepare("DELETE FROM workspaces WHERE id = ?").run(id);
  }
}
