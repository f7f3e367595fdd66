/**
 * What every plugin of the service shares, decorated onto the fastify instance as `app.sandfleet` (no module-level
 * singletons), and what auth attaches to each request.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Pool, Workspaces } from "../runtime/index";
import type { ServiceConfig } from "./config";
import type { ApiKeyRecord, ApiKeys } from "./db/api-keys";
import type { AuditLog } from "./db/audit-log";
import type { SandboxLeases } from "./leases";
import type { ServiceMetrics } from "./metrics";

export interface ServiceContext {
  config: ServiceConfig;
  version: string;
  pool: Pool;
  db: DatabaseSync;
  keys: ApiKeys;
  audit: AuditLog;
  leases: SandboxLeases;
  workspaces: Workspaces;
  metrics: ServiceMetrics;
}

/** Filled in while a request is handled; the audit hook writes it out. */
export interface RequestAudit {
  key?: ApiKeyRecord;
  sandboxId?: string;
  workspaceId?: string;
  endpointId?: string;
  outcome?: string;
}

declare module "fastify" {
  interface FastifyInstance {
    sandfleet: ServiceContext;
  }
  interface FastifyRequest {
    audit: RequestAudit;
  }
  interface FastifyContextConfig {
    /** From the route table: false for routes that need no API key. */
    auth?: boolean;
  }
}
