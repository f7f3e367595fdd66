/**
 * API keys: created here, stored hashed, checked in constant time. A key is `sfk_` + 43 characters of base64url
 * (256 random bits); the database holds only its SHA-256. Verifying a wrong key costs the same as verifying a
 * right one (a lookup, then a timing-safe compare against the stored hash, or against a dummy when no row
 * matches), so response timing does not tell whether a key exists.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { KeyLimits } from "../config";

export interface ApiKeyRecord {
  id: string;
  name: string;
  admin: boolean;
  limits: KeyLimits;
  createdAt: Date;
  revokedAt: Date | undefined;
}

export const API_KEY_PREFIX = "sfk_";
const DUMMY_HASH = Buffer.alloc(32);

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

interface KeyRow {
  id: string;
  name: string;
  hash: string;
  admin: number;
  concurrent_sandboxes: number;
  max_lease_ms: number;
  requests_per_second: number;
  created_at: number;
  revoked_at: number | null;
}

function record(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    admin: row.admin === 1,
    limits: { concurrentSandboxes: row.concurrent_sandboxes, maxLeaseMs: row.max_lease_ms, requestsPerSecond: row.requests_per_second },
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? undefined : new Date(row.revoked_at),
  };
}

export class ApiKeys {
  /** Prepared once: every authenticated request runs it (compiling the SQL each time cost as much as the lookup). */
  readonly #byLookup: StatementSync;

  constructor(private readonly db: DatabaseSync) {
    this.#byLookup = db.prepare("SELECT * FROM api_keys WHERE lookup = ?");
  }

  /** Creates a key; the returned `key` is shown once and never stored. */
  create(name: string, limits: KeyLimits, options: { admin?: boolean } = {}): { key: string; record: ApiKeyRecord } {
    const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
    return { key, record: this.insertHash(name, hashApiKey(key), limits, options.admin ?? false) };
  }

  /** Inserts a key known only by its hash (the stack's initial key) unless that hash is already there. */
  ensureHash(name: string, sha256: string, limits: KeyLimits, admin: boolean): ApiKeyRecord {
    const row = this.db.prepare("SELECT * FROM api_keys WHERE hash = ?").get(sha256) as KeyRow | undefined;
    return row ? record(row) : this.insertHash(name, sha256, limits, admin);
  }

  /** The key's record when it exists and is not revoked; undefined otherwise (same cost either way). */
  verify(presented: string): ApiKeyRecord | undefined {
    const hash = Buffer.from(hashApiKey(presented), "hex");
    const row = this.#byLookup.get(hash.toString("hex").slice(0, 16)) as KeyRow | undefined;
    const stored = row ? Buffer.from(row.hash, "hex") : DUMMY_HASH;
    const equal = timingSafeEqual(hash, stored.length === 32 ? stored : DUMMY_HASH);
    if (!row || !equal || row.revoked_at !== null) return undefined;
    return record(row);
  }

  list(): ApiKeyRecord[] {
    return (this.db.prepare("SELECT * FROM api_keys ORDER BY created_at, id").all() as unknown as KeyRow[]).map(record);
  }

  get(id: string): ApiKeyRecord | undefined {
    const row = this.db.prepare("SELECT * FROM api_keys WHERE id = ?").get(id) as KeyRow | undefined;
    return row ? record(row) : undefined;
  }

  /** Revokes by id or name; returns the revoked record, or undefined when no such key. Idempotent. */
  revoke(idOrName: string, now = Date.now()): ApiKeyRecord | undefined {
    const row = this.db.prepare("SELECT * FROM api_keys WHERE id = ? OR name = ? ORDER BY created_at LIMIT 1").get(idOrName, idOrName) as KeyRow | undefined;
    if (!row) return undefined;
    if (row.revoked_at === null) this.db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").run(now, row.id);
    return this.get(row.id);
  }

  private insertHash(name: string, sha256: string, limits: KeyLimits, admin: boolean): ApiKeyRecord {
    const id = `key_${randomBytes(6).toString("hex")}`;
    this.db
      .prepare(
        "INSERT INTO api_keys (id, name, lookup, hash, admin, concurrent_sandboxes, max_lease_ms, requests_per_second, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(id, name, sha256.slice(0, 16), sha256, admin ? 1 : 0, limits.concurrentSandboxes, limits.maxLeaseMs, limits.requestsPerSecond, Date.now());
    return this.get(id)!;
  }
}
