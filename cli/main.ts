/**
 * `sandfleet`: the operator CLI. Each command is one entry of {@link COMMANDS}; adding a command is one line
 * there plus its module (e.g. `cost: costCommand`).
 */
import { CliIo, CliUsageError, processIo } from "./io";
import { doctorCommand } from "./commands/doctor";
import { statusCommand } from "./commands/status";
import { execCommand } from "./commands/exec";
import { keysCommand } from "./commands/keys";
import { shellCommand } from "./commands/shell";
import { workspacesCommand } from "./commands/workspaces";
import { costCommand } from "./cost";

export interface CliCommand {
  /** One line for `sandfleet --help`. */
  summary: string;
  /** Full usage text for `sandfleet <command> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

export const COMMANDS: Record<string, CliCommand> = {
  doctor: doctorCommand,
  status: statusCommand,
  cost: costCommand,
  exec: execCommand,
  shell: shellCommand,
  keys: keysCommand,
  workspaces: workspacesCommand,
};

function help(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return (
    "usage: sandfleet <command> [options]\n\ncommands:\n" +
    names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`).join("\n") +
    "\n\nRun 'sandfleet <command> --help' for its options.\n"
  );
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`sandfleet: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`sandfleet ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    // Runtime errors (RegistryError, TlsHandshakeError, ...) already say what to change.
    io.err(`sandfleet ${name}: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}
