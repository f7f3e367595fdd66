/**
 * A pool over in-memory sandboxes whose egress denial logs a test appends to, as a workspace host's proxy would,
 * through the pool's injection seams (PoolDependencies): no daemon, exact. Each read of a log is counted (on a
 * real host it is one Docker archive read).
 */
import { createPool } from "../../../../runtime/index";
import type { EgressDenial, Pool, Sandbox } from "../../../../runtime/index";
import type { PoolEndpointClient, PoolSession } from "../../../../runtime/pool/session";
import { unitEndpoint, unitRegistry } from "./registry-fixture";

const registry = unitRegistry([unitEndpoint("ws-1")]);
const client: PoolEndpointClient = { id: "ws-1", ping: async () => undefined, listContainers: async () => [], removeContainer: async () => undefined, close: () => undefined };
const PROFILES = {
  agent: { image: "curl", egress: { mode: "allowlist" as const, hosts: ["api.example.com"], ports: [443] } },
  offline: { image: "curl" },
};

export interface FakeLog {
  lines: EgressDenial[];
  reads: number;
  /** Makes the next reads fail (the host does not answer) while set. */
  failing: Error | undefined;
  /** Delay of each read, ms. */
  delayMs: number;
  destroyed: boolean;
}

export function fakeEngine() {
  const logs = new Map<string, FakeLog>(); // by container name
  let n = 0;
  const startSession = async (_c: PoolEndpointClient, profile: { egress: { mode: string } }, _l: Record<string, string>, o: { name: string }): Promise<PoolSession> => {
    const log: FakeLog = { lines: [], reads: 0, failing: undefined, delayMs: 0, destroyed: false };
    logs.set(o.name, log);
    return {
      containerId: `c${++n}`,
      endpointId: "ws-1",
      usesShellChannel: true,
      exec: async (argv) => ({ exitCode: 0, stdout: argv.join(" "), stderr: "", durationMs: 0, timedOut: false }),
      putFile: async () => undefined,
      healthy: () => !log.destroyed,
      // Like SandboxSession: [] without egress, the whole log (as read at that moment) otherwise.
      egressDenials: async () => {
        if (profile.egress.mode === "none") return [];
        log.reads += 1;
        const snapshot = [...log.lines];
        if (log.delayMs) await new Promise((r) => setTimeout(r, log.delayMs));
        if (log.failing) throw log.failing;
        return snapshot;
      },
      destroy: async () => {
        await new Promise((r) => setTimeout(r, 5));
        log.destroyed = true;
      },
    };
  };
  return { logs, startSession };
}

export const denial = (host: string, port: number, method = "GET"): EgressDenial => ({ time: new Date().toISOString(), host, port, method });

/** A started pool of profiles `agent` (allowlist) and `offline` (no egress) on one endpoint, and its fake logs. */
export async function poolWithDenialLogs(poolId: string, healthIntervalMs = 60_000): Promise<{ pool: Pool; log: (sandbox: Sandbox) => FakeLog }> {
  const engine = fakeEngine();
  const pool = await createPool(
    { registry, poolId, minIdle: 0, profiles: PROFILES, defaultProfile: "agent", healthIntervalMs, healthTimeoutMs: 50, closeGraceMs: 0 },
    { remoteClient: () => client, startSession: engine.startSession, env: {} },
  );
  return { pool, log: (s) => engine.logs.get(s.name)! };
}
