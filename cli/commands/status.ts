/** `sandfleet status`: sandfleet-managed containers per endpoint (by the pool's labels). */
import type { CliCommand } from "../main";
import { CliIo, parseCommandOptions } from "../io";
import { loadRegistryOption, parsePositiveMs } from "../registry-option";
import { renderTable } from "../table";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
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
  error?: string;
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
          return { ...base, reachable: false, error: (err as Error).message, containers: [] };
        } finally {
          client.close();
        }
      }),
    );
    io.out(values.json ? JSON.stringify({ stack: registry.stack, endpoints: statuses }, null, 2) + "\n" : renderStatus(statuses));
    return statuses.every((s) => s.reachable) ? 0 : 1;
  },
};

export function renderStatus(statuses: EndpointStatus[]): string {
  const summary = renderTable(
    ["ENDPOINT", "ADDRESS", "REACHABLE", "RUNNING", "OTHER", "SLOTS LEFT", "POOLS"],
    statuses.map((s) => {
      const running = s.containers.filter((c) => c.state === "running").length;
      const pools = [...new Set(s.containers.map((c) => `${c.pool}/${c.profile}`))].join(",");
      return [
        s.id,
        s.address,
        s.reachable ? "yes" : "NO",
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
  const errors = statuses.filter((s) => !s.reachable).map((s) => `  ${s.id}: ${s.error}`);
  return summary + details + (errors.length ? `\nunreachable:\n${errors.join("\n")}\n` : "");
}
