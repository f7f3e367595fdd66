import { parseArgs, ParseArgsConfig } from "node:util";

/** Where a command writes: results on stdout (pipeable), progress and errors on stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A user-facing failure: printed without a stack trace, exit code 2. */
export class CliUsageError extends Error {
  override readonly name = "CliUsageError";
}

type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

/** A command's `--options` (strict: unknown options and positionals are refused as usage errors). */
export function parseCommandOptions<O extends CommandOptions>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
}
