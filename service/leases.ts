/**
 * The sandboxes this service has handed out: the runtime's Sandbox objects in memory, their leases in the
 * database. A lease belongs to one API key; only that key sees the sandbox (another key gets 404, as for a name
 * that never existed). A lease ends exactly once:
 *   - released (DELETE): answered at once, the container is removed in the background;
 *   - expired: its timer destroys the sandbox;
 *   - reclaimed: the service stopped (SIGTERM) or died with it leased. The pool's id is stable, so the next start
 *     removes the containers of the earlier run (the runtime's reconcile-on-start), and this class marks their
 *     leases reclaimed: no sandbox outlives the service process that held it, none is orphaned.
 * Calls on an ended lease get 410 saying how it ended.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { AcquireOptions, Pool, Sandbox } from "../runtime/index";
import type { SandboxInfo } from "../runtime/api/schemas";
import type { ApiKeyRecord } from "./db/api-keys";
import { ApiError } from "./api-error";

type EndReason = "released" | "expired" | "reclaimed" | "broken";

interface HeldSandbox {
  sandbox: Sandbox;
  keyId: string;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

interface LeaseRow {
  sandbox_id: string;
  key_id: string;
  container_id: string;
  endpoint_id: string;
  profile: string;
  leased_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: EndReason | null;
}

export interface CreateLease {
  profile?: string;
  affinity?: unknown;
  preferred?: unknown;
  leaseMs: number;
  acquireTimeoutMs?: number;
  /** Within the profile's egress (the runtime checks it: EGRESS_WIDENED otherwise). */
  egress?: AcquireOptions["egress"];
}

export class SandboxLeases {
  readonly #held = new Map<string, HeldSandbox>();
  /** Creates in flight per key: they count against concurrentSandboxes before they resolve. */
  readonly #creating = new Map<string, number>();
  /** Releases whose container removal is still running (close() waits for them). */
  readonly #removals = new Set<Promise<void>>();
  /** The statements of every sandbox call, prepared once. */
  readonly #sql: Record<"insert" | "row" | "extend" | "end", StatementSync>;

  constructor(
    private readonly pool: Pool,
    private readonly db: DatabaseSync,
    private readonly now: () => number = Date.now,
  ) {
    this.#sql = {
      insert: db.prepare("INSERT INTO leases (sandbox_id, key_id, container_id, endpoint_id, profile, leased_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      row: db.prepare("SELECT * FROM leases WHERE sandbox_id = ?"),
      extend: db.prepare("UPDATE leases SET expires_at = ? WHERE sandbox_id = ?"),
      end: db.prepare("UPDATE leases SET ended_at = ?, end_reason = ? WHERE sandbox_id = ? AND ended_at IS NULL"),
    };
  }

  /** At start: leases an earlier run left open are reclaimed (their containers are gone with that run's pool). */
  reclaimLeftovers(): number {
    const result = this.db.prepare("UPDATE leases SET ended_at = ?, end_reason = 'reclaimed' WHERE ended_at IS NULL").run(this.now());
    return Number(result.changes);
  }

  get size(): number {
    return this.#held.size;
  }

  async create(key: ApiKeyRecord, request: CreateLease): Promise<SandboxInfo> {
    const { concurrentSandboxes, maxLeaseMs } = key.limits;
    if (request.leaseMs > maxLeaseMs) {
      throw ApiError.of("LIMIT_LEASE_LENGTH", `leaseMs ${request.leaseMs} is over this key's maxLeaseMs limit of ${maxLeaseMs}`, `ask for at most ${maxLeaseMs} ms and extend the lease when needed, or raise the key's maxLeaseMs`);
    }
    const holding = this.#countOf(key.id) + (this.#creating.get(key.id) ?? 0);
    if (holding >= concurrentSandboxes) {
      throw ApiError.of(
        "LIMIT_CONCURRENT_SANDBOXES",
        `key ${key.id} (${key.name}) holds ${holding} sandbox(es), its concurrentSandboxes limit is ${concurrentSandboxes}`,
        "release a sandbox first (DELETE /v1/sandboxes/{id}), or raise the key's concurrentSandboxes limit",
      );
    }
    this.#creating.set(key.id, (this.#creating.get(key.id) ?? 0) + 1);
    let sandbox: Sandbox;
    try {
      const options: AcquireOptions = {};
      if (request.profile !== undefined) options.profile = request.profile;
      if (request.affinity !== undefined) options.affinity = request.affinity as AcquireOptions["affinity"];
      if (request.preferred !== undefined) options.preferred = request.preferred as AcquireOptions["preferred"];
      if (request.acquireTimeoutMs !== undefined) options.timeoutMs = request.acquireTimeoutMs;
      if (request.egress !== undefined) options.egress = request.egress;
      sandbox = await this.pool.acquire(options);
    } finally {
      this.#creating.set(key.id, (this.#creating.get(key.id) ?? 1) - 1);
    }
    const leasedAt = this.now();
    const expiresAt = leasedAt + request.leaseMs;
    try {
      this.#sql.insert.run(sandbox.name, key.id, sandbox.id, sandbox.endpointId, sandbox.profile, leasedAt, expiresAt);
    } catch (err) {
      void sandbox.release().catch(() => undefined); // unrecorded, it would belong to nobody
      throw err;
    }
    this.#held.set(sandbox.name, { sandbox, keyId: key.id, expiresAt, timer: this.#expiryTimer(sandbox.name, request.leaseMs) });
    return this.info(key, sandbox.name);
  }

  /** The caller's live sandbox; 404 when it is not the caller's, 410 when its lease ended. */
  sandbox(key: ApiKeyRecord, id: string): Sandbox {
    const held = this.#held.get(id);
    if (held && held.keyId === key.id) return held.sandbox;
    const row = this.#row(id);
    if (!row || row.key_id !== key.id) {
      throw ApiError.of("NOT_FOUND", `no sandbox "${id}" for key ${key.id}`, "use an id returned by POST /v1/sandboxes with this key (GET /v1/sandboxes lists them)");
    }
    throw gone(row);
  }

  /** The key that holds or held the sandbox (its lease row outlives the lease); undefined for a name never leased. */
  holderOf(id: string): string | undefined {
    return this.#held.get(id)?.keyId ?? this.#row(id)?.key_id;
  }

  info(key: ApiKeyRecord, id: string): SandboxInfo {
    this.sandbox(key, id); // 404 / 410
    return this.#infoOf(this.#row(id)!);
  }

  list(key: ApiKeyRecord): SandboxInfo[] {
    return [...this.#held.entries()].filter(([, h]) => h.keyId === key.id).map(([id]) => this.#infoOf(this.#row(id)!));
  }

  extend(key: ApiKeyRecord, id: string, leaseMs: number): SandboxInfo {
    this.sandbox(key, id);
    if (leaseMs > key.limits.maxLeaseMs) {
      throw ApiError.of("LIMIT_LEASE_LENGTH", `leaseMs ${leaseMs} is over this key's maxLeaseMs limit of ${key.limits.maxLeaseMs}`, `extend by at most ${key.limits.maxLeaseMs} ms at a time`);
    }
    const held = this.#held.get(id)!;
    clearTimeout(held.timer);
    held.expiresAt = this.now() + leaseMs;
    held.timer = this.#expiryTimer(id, leaseMs);
    this.#sql.extend.run(held.expiresAt, id);
    return this.#infoOf(this.#row(id)!);
  }

  /** Ends the lease now; the container is removed in the background (close() waits for that). */
  release(key: ApiKeyRecord, id: string): SandboxInfo {
    this.sandbox(key, id);
    this.#end(id, "released");
    return this.#infoOf(this.#row(id)!);
  }

  /** A sandbox whose container or endpoint is gone: end its lease so it no longer counts against the key. */
  markBroken(id: string): void {
    if (this.#held.has(id)) this.#end(id, "broken");
  }

  /** Ends every lease (service shutdown) and waits for the containers' removal. */
  async closeAll(): Promise<void> {
    for (const id of [...this.#held.keys()]) this.#end(id, "reclaimed");
    await Promise.all([...this.#removals]);
  }

  #countOf(keyId: string): number {
    let n = 0;
    for (const h of this.#held.values()) if (h.keyId === keyId) n++;
    return n;
  }

  #expiryTimer(id: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#end(id, "expired"), ms);
    timer.unref();
    return timer;
  }

  #end(id: string, reason: EndReason): void {
    const held = this.#held.get(id);
    if (!held) return;
    this.#held.delete(id);
    clearTimeout(held.timer);
    this.#sql.end.run(this.now(), reason, id);
    // After this turn of the event loop: the answer to the caller goes out first, the Docker calls of the removal
    // (and the refill it triggers) after it.
    const removal = new Promise<void>((resolve) => setImmediate(resolve)).then(() => held.sandbox.release()).catch(() => undefined);
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
  }

  #row(id: string): LeaseRow | undefined {
    return this.#sql.row.get(id) as LeaseRow | undefined;
  }

  #infoOf(row: LeaseRow): SandboxInfo {
    const state = row.end_reason ?? "leased";
    return {
      id: row.sandbox_id,
      profile: row.profile,
      endpointId: row.endpoint_id,
      containerId: row.container_id,
      leasedAt: new Date(row.leased_at).toISOString(),
      expiresAt: new Date(row.expires_at).toISOString(),
      state,
    };
  }
}

function gone(row: LeaseRow): ApiError {
  const at = new Date(row.ended_at ?? 0).toISOString();
  const how: Record<EndReason, string> = {
    released: `was released at ${at}`,
    expired: `lease expired at ${at}; the sandbox was destroyed`,
    reclaimed: `was reclaimed at ${at} (the service restarted or stopped while it was leased)`,
    broken: `was lost at ${at} (its container or endpoint ${row.endpoint_id} failed)`,
  };
  return ApiError.of("SANDBOX_GONE", `sandbox ${row.sandbox_id} ${how[row.end_reason ?? "released"]}`, "create a new sandbox (POST /v1/sandboxes); extend leases before they run out");
}
