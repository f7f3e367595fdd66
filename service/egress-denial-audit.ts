/**
 * Egress refusals into the audit log as the pool sees them (pool.onEgressDenied: each leased sandbox's denial log is
 * read on every health round and after its release), not when someone reads them: an operator finds what an agent
 * tried in the audit table even if nobody ever called GET .../egress. One row per refusal, under the key that holds
 * the lease (db/audit-log.ts recordEgressDenials). Subscribed before the first lease and kept until the pool is
 * closed, so the last reads of sandboxes released at shutdown are written too.
 */
import type { Pool } from "../runtime/index";
import type { AuditLog } from "./db/audit-log";
import type { SandboxLeases } from "./leases";

/** Starts writing the pool's egress refusals to the audit log; returns the function that stops it. */
export function auditEgressDenials(pool: Pick<Pool, "onEgressDenied">, leases: Pick<SandboxLeases, "holderOf">, audit: AuditLog): () => void {
  return pool.onEgressDenied((sandbox, denials) => audit.recordEgressDenials(leases.holderOf(sandbox.name), sandbox, denials));
}
