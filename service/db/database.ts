/**
 * The service's embedded database: SQLite through `node:sqlite` (built into Node 22.5+: no native build, no
 * dependency), one file `service.db` in the config's dataDir, on the platform's data volume. The schema version
 * is SQLite's `user_version`; each migration below runs once, in order, inside a transaction, so a service of a
 * newer release upgrades the file in place and an older release refuses a file newer than it knows.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";

/** Index = version reached after running it (migration 0 takes an empty file to version 1). Never edit one: append. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,                 -- public id, shown by 'keys list' and in the audit log
     name TEXT NOT NULL,
     lookup TEXT NOT NULL UNIQUE,         -- first 16 hex digits of the hash: finds the row, proves nothing
     hash TEXT NOT NULL,                  -- SHA-256 of the whole key, hex; compared in constant time
     admin INTEGER NOT NULL DEFAULT 0,    -- may manage keys over the API
     concurrent_sandboxes INTEGER NOT NULL,
     max_lease_ms INTEGER NOT NULL,
     requests_per_second REAL NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE leases (
     sandbox_id TEXT PRIMARY KEY,         -- the container name the API calls the sandbox by
     key_id TEXT NOT NULL REFERENCES api_keys(id),
     container_id TEXT NOT NULL,
     endpoint_id TEXT NOT NULL,
     profile TEXT NOT NULL,
     leased_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     ended_at INTEGER,
     end_reason TEXT                      -- released | expired | reclaimed (service restarted) | broken
   );
   CREATE INDEX leases_active ON leases(key_id) WHERE ended_at IS NULL;
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     key_id TEXT,                         -- null when the key was missing or wrong
     sandbox_id TEXT,
     endpoint_id TEXT,
     method TEXT NOT NULL,
     route TEXT NOT NULL,
     status INTEGER NOT NULL,
     outcome TEXT NOT NULL,               -- ok, or the error code
     duration_ms REAL NOT NULL
   );
   CREATE INDEX audit_log_key ON audit_log(key_id, at);`,
  // 2: persistent workspaces (service/db/workspaces.ts); the hosts' volume labels are the other record of them.
  `CREATE TABLE workspaces (
     id TEXT PRIMARY KEY,                 -- 12 hex digits: the volume and container are sandfleet-ws-<id>
     owner TEXT NOT NULL,                 -- the API key's id (tenant); names are unique per owner
     name TEXT NOT NULL,
     profile TEXT NOT NULL,
     endpoint_id TEXT NOT NULL,           -- the one host the data lives on
     quota_gb INTEGER NOT NULL,
     labels TEXT NOT NULL,                -- JSON object
     created_at INTEGER NOT NULL,
     last_activity_at INTEGER NOT NULL,
     UNIQUE (owner, name)
   );
   ALTER TABLE audit_log ADD COLUMN workspace_id TEXT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating when missing) and migrates the database under dataDir. */
export function openServiceDatabase(dataDir: string): DatabaseSync {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Required lazily: node:sqlite exists from Node 22.5 on only, and this file is type-checked everywhere.
  const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");
  const db = new DatabaseSync(join(dataDir, "service.db"));
  try {
    // WAL + synchronous NORMAL: a commit (one per audited call) costs no fsync; a power cut may lose the last
    // moments of audit rows, never corrupt the file.
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: DatabaseSync): void {
  const current = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `service.db has schema version ${current}, newer than this service knows (${SCHEMA_VERSION}); run the newer sandfleet service, or restore the database backup taken before the upgrade`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }
}
