/** `sandfleet doctor`: checks every endpoint of a registry and prints a verdict per endpoint. */
import type { CliCommand } from "../main";
import { CliIo, CliUsageError, parseCommandOptions } from "../io";
import { loadRegistryOption, parsePositiveMs } from "../registry-option";
import { renderTable } from "../table";
import { CHECK_NAMES, checkEndpoint, EndpointReport } from "../doctor/endpoint-checks";
import { DEFAULT_RENEW_WITHIN_DAYS } from "../../components/tls/renewal";

const usage = `usage: sandfleet doctor --registry FILE [--image NAME] [--timeout MS] [--renew-within DAYS] [--json]

Checks every endpoint: TCP reachable, TLS handshake with the client cert, server cert valid for the dialled
address, expiry of the server cert (as the daemon presents it) and of the registry's client cert, Docker API
version, runsc registered (and default), a tiny container really runs under gVisor, free capacity.

Exit code: 0 when no endpoint has a failing check (warnings, such as a cert inside the renewal window, are
listed but do not change it); 1 when one has (an expired cert is a failure); 2 on a usage error.

  --registry FILE  endpoint registry (pulumi stack output endpointRegistry --json --show-secrets)
  --image NAME     image for the gVisor check (default: a busybox image on the endpoint, else its first image)
  --timeout MS     deadline of each network step (default 5000)
  --renew-within DAYS
                   warn about a cert that expires within DAYS days (default ${DEFAULT_RENEW_WITHIN_DAYS}, pulumi up's default
                   window; pass the stack's sandfleet:tls.renewWithinDays if it sets one)
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
      "renew-within": { type: "string" },
      json: { type: "boolean", default: false },
    });
    const registry = await loadRegistryOption(values.registry);
    const timeoutMs = parsePositiveMs(values.timeout, "--timeout", 5_000);
    const renewWithinDays = parseDays(values["renew-within"]);
    if (registry.endpoints.length === 0) {
      io.err("the registry has no endpoints: nothing to check\n");
      return 1;
    }
    io.err(`checking ${registry.endpoints.length} endpoint(s) of stack ${registry.stack}...\n`);
    const reports = await Promise.all(
      registry.endpoints.map(async (endpoint) => {
        const report = await checkEndpoint(endpoint, registry.tls, { timeoutMs, image: values.image, renewWithinDays });
        io.err(`  ${endpoint.id}: ${VERDICT_TEXT[report.verdict]}\n`);
        return report;
      }),
    );
    io.out(values.json ? JSON.stringify({ stack: registry.stack, endpoints: reports }, null, 2) + "\n" : renderReports(reports));
    return reports.some((r) => r.verdict === "failing") ? 1 : 0;
  },
};

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(days)) {
    throw new CliUsageError(`--renew-within: must be a whole number of days (0 or more), got "${value}"; e.g. --renew-within ${DEFAULT_RENEW_WITHIN_DAYS}`);
  }
  return days;
}

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
