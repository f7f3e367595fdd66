/**
 * The audit log: one row per API call (key, sandbox, endpoint, route, status, outcome), written when the answer
 * has been sent, failures and refused keys included; and one row per egress refusal of a leased sandbox, written
 * when the pool sees it (egress-denial-audit.ts), whether or not anyone asked. `sandfleet keys` and operators
 * read it with plain SQL.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { EgressDenial } from "../../runtime/index";

export interface AuditEntry {
  keyId: string | undefined;
  sandboxId: string | undefined;
  /** The workspace a /v1/workspaces call concerned (its id). */
  workspaceId?: string | undefined;
  endpointId: string | undefined;
  method: string;
  route: string;
  status: number;
  /** "ok", or the error code of the answer. */
  outcome: string;
  durationMs: number;
}

export class AuditLog {
  readonly #insert: StatementSync;

  constructor(private readonly db: DatabaseSync) {
    this.#insert = db.prepare(
      "INSERT INTO audit_log (at, key_id, sandbox_id, workspace_id, endpoint_id, method, route, status, outcome, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
  }

  record(entry: AuditEntry, at = Date.now()): void {
    this.#insert.run(at, entry.keyId ?? null, entry.sandboxId ?? null, entry.workspaceId ?? null, entry.endpointId ?? null, entry.method, entry.route, entry.status, entry.outcome, entry.durationMs);
  }

  /**
   * One row per refusal of the host's egress proxy (method EGRESS, route "egress-denied <host>:<port>", status 403,
   * outcome "denied"), at the time the host logged it, under the key that holds (or held) the sandbox.
   */
  recordEgressDenials(keyId: string | undefined, sandbox: { name: string; endpointId: string }, denials: readonly EgressDenial[]): void {
    for (const denial of denials) {
      this.record(
        {
          keyId,
          sandboxId: sandbox.name,
          endpointId: sandbox.endpointId,
          method: "EGRESS",
          route: `egress-denied ${denial.host}:${denial.port}`,
          status: 403,
          outcome: "denied",
          durationMs: 0,
        },
        Date.parse(denial.time) || Date.now(),
      );
    }
  }

  /** Latest entries first. */
  recent(limit = 100): (AuditEntry & { at: Date })[] {
    const rows = this.db.prepare("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?").all(limit) as unknown as Record<string, unknown>[];
    return rows.map((r) => ({
      at: new Date(Number(r.at)),
      keyId: (r.key_id as string | null) ?? undefined,
      sandboxId: (r.sandbox_id as string | null) ?? undefined,
      workspaceId: (r.workspace_id as string | null) ?? undefined,
      endpointId: (r.endpoint_id as string | null) ?? undefined,
      method: String(r.method),
      route: String(r.route),
      status: Number(r.status),
      outcome: String(r.outcome),
      durationMs: Number(r.duration_ms),
    }));
  }
}
