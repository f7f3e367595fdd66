/**
 * What a command run in a sandbox takes and returns, whichever way it runs (the shell channel or the
 * `docker exec` fallback). Defined once here: the pool's PoolSession interface and the Sandbox handed to
 * callers use these very types, so the public `exec()` contract and the engine cannot drift apart.
 */
export interface ExecOptions {
  /**
   * Kill the command (and every process it started) after this many ms; the result then has `timedOut: true`
   * and exit code 137. @default no limit
   */
  timeoutMs?: number;
  /** Fed to the command's stdin; without it stdin is empty (/dev/null). */
  stdin?: string | Buffer;
  /** Added to the profile's environment for this command. */
  env?: Record<string, string>;
  /** Working directory. @default the profile's workdir */
  cwd?: string;
  /**
   * Called with each piece of output as the command produces it (before exec resolves), for streaming. The
   * result still carries the whole output.
   */
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  /** Aborting kills the command, as a timeout does (the result then has `timedOut: true`). */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/** The raw outcome either exec path produces, before decoding. */
export interface RawExecOutcome {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/** Decodes the output as UTF-8 and measures the duration from `startedAt` (performance.now()). */
export function execResult(outcome: RawExecOutcome, startedAt: number): ExecResult {
  return {
    exitCode: outcome.exitCode,
    stdout: outcome.stdout.toString("utf8"),
    stderr: outcome.stderr.toString("utf8"),
    durationMs: performance.now() - startedAt,
    timedOut: outcome.timedOut,
  };
}
