/**
 * `sandfleet exec --api URL -- CMD...`: runs one command in a fresh sandbox of the sandbox service and prints its
 * output as it is produced (a streamed exec), then releases the sandbox. Exits with the command's exit code.
 */
import type { CliCommand } from "../main";
import { CliIo, parseCommandOptions } from "../io";
import { API_OPTIONS, API_OPTIONS_USAGE, apiClientFromOptions, splitCommand } from "../api-option";
import { parsePositiveMs } from "../registry-option";

const usage = `usage: sandfleet exec --api URL [--profile NAME] [--timeout MS] [--ca FILE] [--key-file FILE] -- CMD [ARGS...]

Takes a sandbox from the sandfleet service, runs CMD in it (argv as given, no shell), streams its stdout and
stderr, releases the sandbox and exits with CMD's exit code (124 when it ran out of time).

${API_OPTIONS_USAGE}
  --timeout MS     kill CMD after this long (default: no limit)
`;

export const execCommand: CliCommand = {
  summary: "run a command in a sandbox of the sandbox service",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { options, command } = splitCommand(args, usage);
    const values = parseCommandOptions(options, { ...API_OPTIONS, timeout: { type: "string" } });
    const timeoutMs = values.timeout === undefined ? undefined : parsePositiveMs(values.timeout, "--timeout", 1);
    const api = apiClientFromOptions(values);
    try {
      const sandbox = await api.createSandbox(values.profile ? { profile: values.profile } : {});
      try {
        let exitCode = 1;
        for await (const event of api.execStream(sandbox.id, { argv: command, ...(timeoutMs ? { timeoutMs } : {}) })) {
          if (event.type === "stdout") io.out(event.data);
          else if (event.type === "stderr") io.err(event.data);
          else if (event.type === "exit") exitCode = event.timedOut ? 124 : event.exitCode;
          else throw new Error(`${event.error.code}: ${event.error.message}; ${event.error.hint}`);
        }
        return exitCode;
      } finally {
        await api.releaseSandbox(sandbox.id).catch(() => undefined);
      }
    } finally {
      api.close();
    }
  },
};
