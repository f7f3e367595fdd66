/** `sandfleet doctor`: checks every endpoint of a registry and prints a verdict per endpoint. */
import type { CliCommand } from "../main";
import { CliIo, parseCommandOptions } from "../io";
import { loadRegistryOption, parsePositiveMs } from "../registry-option";
import { renderTable } from "../table";
import { CHECK_NAMES, checkEndpoint, EndpointReport } from "../doctor/endpoint-checks";

const usage = `usage: sandfleet doctor --registry FILE [--image NAME] [--timeout MS] [--json]

Checks every endpoint: TCP reachable, TLS handshake with the client cert, server cert valid for the dialled
address, Docker API version, runsc registered (and default), a tiny container really runs under gVisor,
free capacity. Exit code 0 only when no endpoint has a failing check.

  --registry FILE  endpoint registry (pulumi stack output endpointRegistry --json --show-secrets)
  --image NAME     image for the gVisor check (default: a busybox image on the endpoint, else its first image)
  --timeout MS     deadline of each network step (default 5000)
  --json           print the reports as JSON instead of a table
`;

const VERDICT_TEXT = { ready: "READY", warnings: "READY (warnings)", failing: "FAILING" } as const;
const CELL = { ok: "ok", warn: "WARN", fail: "FAIL", skip: "-" } as const;

export const doctorCommand: CliCommand = {
  summary: "check every endpoint of a registry (TLS, API, gVisor, capacity)",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const values = parseCommandOptions(args, {
      registry: { type: "string" },
      image: { type: "string" },
      timeout: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const registry = await loadRegistryOption(values.registry);
    const timeoutMs = parsePositiveMs(values.timeout, "--timeout", 5_000);
    if (registry.endpoints.length === 0) {
      io.err("the registry has no endpoints: nothing to check\n");
      return 1;
    }
    io.err(`checking ${registry.endpoints.length} endpoint(s) of stack ${registry.stack}...\n`);
    const reports = await Promise.all(
      registry.endpoints.map(async (endpoint) => {
        const report = await checkEndpoint(endpoint, registry.tls, { timeoutMs, image: values.image });
        io.err(`  ${endpoint.id}: ${VERDICT_TEXT[report.verdict]}\n`);
        return report;
      }),
    );
    io.out(values.json ? JSON.stringify({ stack: registry.stack, endpoints: reports }, null, 2) + "\n" : renderReports(reports));
    return reports.some((r) => r.verdict === "failing") ? 1 : 0;
  },
};

export function renderReports(reports: EndpointReport[]): string {
  const headers = ["ENDPOINT", "ADDRESS", ...CHECK_NAMES.map((n) => n.toUpperCase()), "VERDICT"];
  const rows = reports.map((r) => [
    r.id,
    r.address,
    ...CHECK_NAMES.map((name) => {
      const check = r.checks.find((c) => c.name === name);
      if (!check) return "-";
      return check.status === "ok" ? check.summary : `${CELL[check.status]}${check.summary !== "-" ? ` ${check.summary}` : ""}`;
    }),
    VERDICT_TEXT[r.verdict],
  ]);
  const problems = reports.flatMap((r) =>
    r.checks.filter((c) => c.status === "fail" || c.status === "warn").map((c) => `  ${r.id} ${c.name}: ${c.detail ?? c.summary}`),
  );
  const failing = reports.filter((r) => r.verdict === "failing").length;
  const summary =
    failing === 0
      ? `all ${reports.length} endpoint(s) ready\n`
      : `${failing} of ${reports.length} endpoint(s) failing\n`;
  return renderTable(headers, rows) + (problems.length ? `\nproblems and fixes:\n${problems.join("\n")}\n` : "") + `\n${summary}`;
}
