/**
 * The small POSIX shell programs written to the sandbox's persistent shell, one per command.
 *
 * Every program ends by printing the end marker on BOTH stdout and stderr:
 *   `__sf_<nonce>:<exit code, 3 digits>:<timed out 0|1>\n`
 * The nonce is 128 random bits, fresh per command and never reused; it exists only in the program text read by
 * the shell (the command is exec'd, so its memory never holds it), so output that imitates a marker cannot end
 * a command early or fake an exit code. Output without a trailing newline stays exact: the marker follows the
 * last byte directly.
 *
 * Cost matters: under gVisor (ptrace) every fork+exec costs ~10 ms, so a command costs exactly one fork (the
 * background subshell) and one exec (the command); stdin and small files are written by the `printf` builtin.
 * The command runs in the background with its stdin redirected (never the shell's own stdin, which carries
 * these programs) so that the shell stays interruptible: on timeout the host sends SIGUSR1 to the shell (PID 1
 * of the container), whose trap kills every other process in the container (`kill -KILL -1`) and reports the
 * timeout. The shell survives.
 */
import { randomBytes } from "node:crypto";
import { posix } from "node:path";

/** What the image's shell environment offers, probed once when the channel opens. */
export interface ShellCapabilities {
  /** `base64` exists: large or binary content goes through `base64 -d`. */
  base64: boolean;
}

/** Signal the host sends to the shell to end a timed-out command. */
export const INTERRUPT_SIGNAL = "SIGUSR1";

/** Content up to this size without NUL bytes is written with the printf builtin (no exec). */
const PRINTF_MAX_BYTES = 1024 * 1024;
const PRINTF_CHUNK_BYTES = 64 * 1024;

export const MARKER_TRAILER_LENGTH = "000:0\n".length;

export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

export function markerPrefix(nonce: string): string {
  return `__sf_${nonce}:`;
}

/** Single-quotes a word for POSIX sh. NUL cannot be passed through argv or env at all. */
export function shellQuote(word: string): string {
  if (word.includes("\0")) throw new Error("arguments and environment values cannot contain NUL bytes");
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function emitMarker(nonce: string): string {
  const line = `printf '${markerPrefix(nonce)}%03d:%d\\n' "$__sf_rc" "$__sf_to"`;
  return `${line}\n${line} >&2\n`;
}

/**
 * Shell lines that write `content` to `target` (a shell word, already quoted) and leave the status in $?:
 * printf builtin for small text (no exec), else a base64 heredoc.
 */
export function writeContent(nonce: string, content: Buffer, target: string, capabilities: ShellCapabilities): string {
  if ((content.length <= PRINTF_MAX_BYTES && !content.includes(0)) || !capabilities.base64) {
    if (content.includes(0)) throw new Error("content with NUL bytes needs base64 in the image");
    if (content.length === 0) return `: > ${target}\n`;
    const parts: string[] = [];
    for (let offset = 0; offset < content.length; offset += PRINTF_CHUNK_BYTES) {
      const chunk = content.subarray(offset, offset + PRINTF_CHUNK_BYTES);
      parts.push(`printf '${printfFormat(chunk)}' ${offset === 0 ? ">" : ">>"} ${target}`);
    }
    return `${parts.join(" && ")}\n`;
  }
  const delimiter = `__SF_EOF_${nonce}`;
  const encoded = content.toString("base64").replace(/.{1,76}/g, "$&\n");
  return `base64 -d > ${target} <<'${delimiter}'\n${encoded}${delimiter}\n`;
}

/** A printf format that prints `bytes` literally: printable ASCII as is, everything else as 3-digit octal. */
function printfFormat(bytes: Buffer): string {
  let out = "";
  for (const byte of bytes) {
    const plain = byte >= 0x20 && byte < 0x7f && byte !== 0x25 /* % */ && byte !== 0x5c /* \\ */ && byte !== 0x27; /* ' */
    out += plain ? String.fromCharCode(byte) : "\\" + byte.toString(8).padStart(3, "0");
  }
  return out;
}

export interface ExecProgramOptions {
  nonce: string;
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: Buffer;
  /** Directory for the stdin temp file (a tmpfs of the profile). */
  scratchDir: string;
  capabilities: ShellCapabilities;
}

export function renderExecProgram(options: ExecProgramOptions): string {
  const { nonce, argv } = options;
  if (argv.length === 0) throw new Error("exec needs a command: argv is empty");
  const lines: string[] = ["__sf_to=0"];
  let stdinRedirect = "/dev/null";
  if (options.stdin && options.stdin.length > 0) {
    stdinRedirect = shellQuote(posix.join(options.scratchDir, `.sf-stdin-${nonce}`));
    lines.push(writeContent(nonce, options.stdin, stdinRedirect, options.capabilities).trimEnd());
  }
  const setup: string[] = [];
  if (options.cwd) setup.push(`cd -- ${shellQuote(options.cwd)}`);
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(name)) throw new Error(`environment variable name "${name}" is not a valid identifier`);
    setup.push(`export ${shellQuote(`${name}=${value}`)}`);
  }
  setup.push(commandCheck(argv[0]!), `exec ${argv.map(shellQuote).join(" ")}`);
  lines.push(`( ${setup.join(" && ")} ) < ${stdinRedirect} &`);
  lines.push(`__sf_p=$!`);
  // `2>/dev/null`: the shell's own "Killed" notice is not the command's output. A SIGUSR1 (timeout) interrupts
  // the first wait; the trap has killed the command by then and the second wait reaps it.
  lines.push(`wait $__sf_p 2>/dev/null; __sf_rc=$?`);
  lines.push(`[ "$__sf_to" = 1 ] && { wait $__sf_p 2>/dev/null; __sf_rc=137; }`);
  if (stdinRedirect !== "/dev/null") lines.push(`rm -f ${stdinRedirect}`);
  return `${lines.join("\n")}\n${emitMarker(nonce)}`;
}

/**
 * Says "not found" (127) or "not executable" (126) in the command's own words before `exec` would: the shell's
 * message names itself and the line it read from the channel (`/bin/sh: exec: line 53: /x: not found`), which is
 * noise about the wrapper, not the command. Builtins only (`command -v`, `[`), so the check costs no fork.
 */
function commandCheck(command: string): string {
  const word = shellQuote(command);
  const notFound = `{ printf '%s: command not found\\n' ${word} >&2; exit 127; }`;
  if (!command.includes("/")) return `{ command -v -- ${word} >/dev/null 2>&1 || ${notFound}; }`;
  // A path: exec needs a regular file with the execute bit (a directory or a plain file fails with 126).
  const notExecutable = `{ printf '%s: permission denied (not an executable file)\\n' ${word} >&2; exit 126; }`;
  return `{ [ -e ${word} ] || ${notFound}; [ -f ${word} ] && [ -x ${word} ] || ${notExecutable}; }`;
}

export function renderPutFileProgram(nonce: string, path: string, content: Buffer, mode: number, capabilities: ShellCapabilities): string {
  const target = shellQuote(path);
  const octalMode = (mode & 0o7777).toString(8).padStart(4, "0");
  return (
    `__sf_to=0; mkdir -p -- ${shellQuote(posix.dirname(path))} </dev/null && ${writeContent(nonce, content, target, capabilities)}` +
    `__sf_rc=$?; [ $__sf_rc -eq 0 ] && chmod ${octalMode} ${target}; __sf_rc=$?\n${emitMarker(nonce)}`
  );
}

/**
 * Opens the channel: installs the timeout trap (the shell is PID 1, so `kill -1` reaches every other process
 * in the container and never the shell) and reports which tools exist.
 */
export function renderProbeProgram(nonce: string): string {
  return (
    `trap '__sf_to=1; kill -KILL -1 2>/dev/null' USR1\n` +
    `command -v base64 >/dev/null 2>&1 && printf 'base64 '\n` +
    `__sf_rc=0; __sf_to=0\n${emitMarker(nonce)}`
  );
}

export function parseCapabilities(probeOutput: string): ShellCapabilities {
  return { base64: probeOutput.trim().split(/\s+/).includes("base64") };
}

export function parseTrailer(trailer: string): { exitCode: number; timedOut: boolean } {
  const match = /^(\d{3}):([01])\n$/.exec(trailer);
  if (!match) throw new Error(`malformed end marker trailer ${JSON.stringify(trailer)}`);
  return { exitCode: Number(match[1]), timedOut: match[2] === "1" };
}
