/**
 * `sandfleet cost Pulumi.prod.yaml [--json] [--price provider:type=monthly ...]`
 *
 * Reads a stack file and prints what the stack costs per month (per pool and in total) and per container
 * slot, from the dated price tables in cost/prices/. Deploys nothing, needs no credentials and no Pulumi CLI.
 * Runs on its own too: `npx tsx cli/cost.ts Pulumi.prod.yaml`.
 */
import type { ProviderName } from "../components/provider";
import { CostEstimateError, estimateStackCost, formatCostTable, readStackFile, StackFileError } from "../cost";
import { StackConfigError } from "../stacks/config";
import { processIo, type CliIo } from "./io";


const USAGE = `usage: sandfleet cost <Pulumi.<stack>.yaml> [--json] [--price <provider>:<serverType>=<monthly>]...

Prints the stack's monthly cost (per pool and total) and the cost per container slot, from list prices
(cost/prices/<provider>.ts, dated). Deploys nothing.

  --json                  print the estimate as JSON
  --price hetzner:cx33=4.99
                          monthly price of a server type missing from the tables (the table's currency)
`;

export const costCommand = {
  name: "cost",
  summary: "monthly cost and cost per container slot of a stack file (deploys nothing)",
  usage: USAGE,
  /** Returns the process exit code: 0 ok, 1 the stack cannot be priced, 2 bad usage. */
  async run(argv: string[], io: CliIo = processIo): Promise<number> {
    let parsed: ParsedArgs;
    try {
      parsed = parseArgs(argv);
    } catch (error) {
      io.err(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    try {
      const config = readStackFile(parsed.file);
      const estimate = estimateStackCost(config, { extraServerPrices: parsed.extraServerPrices });
      io.out(parsed.json ? `${JSON.stringify(roundMoney(estimate), null, 2)}\n` : formatCostTable(estimate, parsed.file));
      return 0;
    } catch (error) {
      // Config problems, unpriced types and unreadable files are the user's to fix: say what, no stack trace.
      if (error instanceof StackConfigError || error instanceof CostEstimateError || error instanceof StackFileError) {
        io.err(`sandfleet cost: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  },
};

interface ParsedArgs {
  file: string;
  json: boolean;
  help: boolean;
  extraServerPrices: Partial<Record<ProviderName, Record<string, number>>>;
}

function parseArgs(argv: string[]): ParsedArgs {
  const result: ParsedArgs = { file: "", json: false, help: false, extraServerPrices: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") result.json = true;
    else if (arg === "--help" || arg === "-h") result.help = true;
    else if (arg === "--price" || arg.startsWith("--price=")) {
      const value = arg === "--price" ? argv[++i] : arg.slice("--price=".length);
      const match = /^([a-z]+):([^=\s]+)=(\d+(?:\.\d+)?)$/.exec(value ?? "");
      if (!match) throw new Error(`--price ${value ?? ""}: expected <provider>:<serverType>=<monthly>, e.g. hetzner:cx33=4.99`);
      const provider = match[1] as ProviderName;
      (result.extraServerPrices[provider] ??= {})[match[2]] = Number(match[3]);
    } else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else if (result.file) throw new Error(`one stack file at a time (got ${result.file} and ${arg})`);
    else result.file = arg;
  }
  if (!result.file && !result.help) throw new Error("missing the stack file, e.g. Pulumi.prod.yaml");
  return result;
}

/** Cents in JSON output; the estimate keeps full precision. */
function roundMoney<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v)));
}

if (require.main === module) {
  costCommand.run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
