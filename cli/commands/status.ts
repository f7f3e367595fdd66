/** `sandfleet status`: sandfleet-managed containers per endpoint (by the pool's labels). */
import type { CliCommand } from "../main";
import { CliIo, parseCommandOptions } from "../io";
import { loadRegistryOption, parsePositiveMs } from "../registry-option";
import { renderTable } from "../table";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
import { DockerCallTimeoutError, SandfleetError, TlsHandshakeError } from "../../runtime/errors";
import { POOL_LABELS } from "../../runtime/pool/labels";

const usage = `usage: sandfleet status --registry FILE [--timeout MS] [--json]

Shows the containers sandfleet pools keep on every endpoint (label ${POOL_LABELS.managed}=true), per pool and
profile, and how many slots are left (maxContainers).

  --registry FILE  endpoint registry (pulumi stack output endpointRegistry --json --show-secrets)
  --timeout MS     deadline of each Docker call (default 5000)
  --json           print JSON instead of tables
`;

export interface EndpointStatus {
  id: string;
  address: string;
  reachable: boolean;
  /** Why the endpoint could not be listed, with the fix. */
  error?: string;
  /** The runtime's error code (TLS_HANDSHAKE, ENDPOINT_UNAVAILABLE, DOCKER_CALL_TIMEOUT, ...). */
  errorCode?: string;
  /** Short form of the reason, for the table. */
  problem?: string;
  maxContainers: number;
  containers: Array<{ id: string; name: string; pool: string; profile: string; state: string; createdAt: string }>;
}

export const statusCommand: CliCommand = {
  summary: "show sandfleet containers per endpoint",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const values = parseCommandOptions(args, { registry: { type: "string" }, timeout: { type: "string" }, json: { type: "boolean", default: false } });
    const registry = await loadRegistryOption(values.registry);
    const timeoutMs = parsePositiveMs(values.timeout, "--timeout", 5_000);
    io.err(`listing containers on ${registry.endpoints.length} endpoint(s)...\n`);
    const statuses = await Promise.all(
      registry.endpoints.map(async (endpoint): Promise<EndpointStatus> => {
        const base = { id: endpoint.id, address: `${endpoint.host}:${endpoint.port}`, maxContainers: endpoint.maxContainers };
        const client = EndpointClient.remote(endpoint, registry.tls, { callTimeoutMs: timeoutMs, maxSockets: 2 });
        try {
          const list = await client.listContainers({ [POOL_LABELS.managed]: "true" });
          return {
            ...base,
            reachable: true,
            containers: list.map((c) => ({
              id: c.Id.slice(0, 12),
              name: (c.Names?.[0] ?? "").replace(/^\//, ""),
              pool: c.Labels?.[POOL_LABELS.pool] ?? "?",
              profile: c.Labels?.[POOL_LABELS.profile] ?? "?",
              state: c.State,
              createdAt: c.Labels?.[POOL_LABELS.createdAt] ?? new Date(c.Created * 1000).toISOString(),
            })),
          };
        } catch (err) {
          return { ...base, reachable: false, error: (err as Error).message, ...problemOf(err), containers: [] };
        } finally {
          client.close();
        }
      }),
    );
    io.out(values.json ? JSON.stringify({ stack: registry.stack, endpoints: statuses }, null, 2) + "\n" : renderStatus(statuses));
    return statuses.every((s) => s.reachable) ? 0 : 1;
  },
};

/** The table's short reason: a TLS failure is not "unreachable", and its kind says which fix applies. */
function problemOf(err: unknown): { errorCode?: string; problem: string } {
  const errorCode = err instanceof SandfleetError ? err.code : undefined;
  if (err instanceof TlsHandshakeError) return { errorCode, problem: `TLS ${err.kind}` };
  if (err instanceof DockerCallTimeoutError) return { errorCode, problem: "no answer" };
  return { errorCode, problem: errorCode === "ENDPOINT_UNAVAILABLE" ? "unreachable" : "error" };
}

export function renderStatus(statuses: EndpointStatus[]): string {
  const summary = renderTable(
    ["ENDPOINT", "ADDRESS", "REACHABLE", "RUNNING", "OTHER", "SLOTS LEFT", "POOLS"],
    statuses.map((s) => {
      const running = s.containers.filter((c) => c.state === "running").length;
      const pools = [...new Set(s.containers.map((c) => `${c.pool}/${c.profile}`))].join(",");
      return [
        s.id,
        s.address,
        s.reachable ? "yes" : `NO: ${s.problem ?? "error"}`,
        s.reachable ? String(running) : "?",
        s.reachable ? String(s.containers.length - running) : "?",
        s.reachable ? String(Math.max(0, s.maxContainers - s.containers.length)) : "?",
        pools || "-",
      ];
    }),
  );
  const details = statuses
    .filter((s) => s.containers.length > 0)
    .map((s) => `\n${s.id}:\n` + renderTable(["CONTAINER", "NAME", "POOL", "PROFILE", "STATE", "CREATED"], s.containers.map((c) => [c.id, c.name, c.pool, c.profile, c.state, c.createdAt])))
    .join("");
  // Runtime errors already start with "endpoint <id>: ".
  const errors = statuses.filter((s) => !s.reachable).map((s) => `  ${s.error?.startsWith(`endpoint ${s.id}:`) ? s.error : `${s.id}: ${s.error}`}`);
  return summary + details + (errors.length ? `\nproblems and fixes (sandfleet doctor checks each step):\n${errors.join("\n")}\n` : "");
}
