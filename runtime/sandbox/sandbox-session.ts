/**
 * One sandbox container and its fast exec path. The container runs a shell reading programs from a persistent
 * attach stream (opened before the sandbox is handed out), so an exec costs a write and a read (~2 ms) instead
 * of a `docker exec` (~85 ms under gVisor). Images without a shell fall back to `docker exec`.
 */
import { posix } from "node:path";
import type { Duplex } from "node:stream";
import { ExecInterruptedError, ImageNotFoundError, SandboxBrokenError } from "../errors";
import { withDeadline } from "../deadline";
import type { EndpointClient } from "../docker/endpoint-client";
import { singleFileTar } from "../docker/single-file-tar";
import { ContainerSpecOverrides, sandboxContainerOptions } from "./container-spec";
import { dockerExec } from "./docker-exec";
import { ExecOptions, ExecResult, execResult } from "./exec-contract";
import type { SandboxProfile } from "./profile";
import { EgressWidenedError } from "../errors";
import { EgressPolicy, EgressPolicyInput, narrowEgress } from "./egress";
import type { EgressDenial } from "./egress-host";
import { egressAddress, readEgressDenials, writeEgressPolicy } from "./egress-policy";
import { reattachShell } from "./reattach";
import { openTerminal, Terminal, TerminalOptions } from "./terminal";
import { ChannelLostError, ChannelLostListener, RunTimeout, ShellChannel } from "./shell-channel";
import {
  INTERRUPT_SIGNAL,
  newNonce,
  parseCapabilities,
  renderExecProgram,
  renderProbeProgram,
  renderPutFileProgram,
  ShellCapabilities,
} from "./shell-program";

export interface SandboxSessionStartOptions {
  /** Container name (the pool uses `sf-<poolId>-<random>`). */
  name?: string;
  /** Deadline for create + start + channel open, in ms. @default 30_000 */
  timeoutMs?: number;
  /** Output kept per stream and command; beyond it output is dropped. @default 64 MiB */
  maxOutputBytes?: number;
  /**
   * When the attach stream is cut while the container keeps running (a dockerd restart with live-restore),
   * keep trying to re-attach for this long before the sandbox counts as broken; 0 = broken at once.
   * @default 30_000
   */
  reattachTimeoutMs?: number;
  /** Mounts and working directory beyond the profile's (a persistent workspace's volume). */
  container?: Pick<ContainerSpecOverrides, "mounts" | "workingDir">;
}

/** Per client (endpoint): image + shell pairs whose shell was seen in a container, so it is not looked up again. */
const shellsSeen = new WeakMap<EndpointClient, Set<string>>();

/** Time after the interrupt for the shell to report the killed command before the sandbox is written off. */
const INTERRUPT_GRACE_MS = 3_000;

export class SandboxSession {
  /** Creates + starts the container and opens the persistent channel; removes the container on any failure. */
  static async start(
    client: EndpointClient,
    profile: SandboxProfile,
    labels: Record<string, string>,
    options: SandboxSessionStartOptions = {},
  ): Promise<SandboxSession> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const remaining = () => Math.max(1, deadline - Date.now());
    const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024 * 1024;
    const reattachTimeoutMs = options.reattachTimeoutMs ?? 30_000;
    // The channel exists before the session does; its loss is forwarded once the session is there.
    let session: SandboxSession | undefined;
    const onLost: ChannelLostListener = (reason, inFlight) => session?.onChannelLost(reason, inFlight);
    let containerId: string | undefined;
    try {
      if (profile.shell !== null) {
        try {
          containerId = await create(client, profile, labels, options.name, { ...options.container, imageCommand: false }, remaining());
          // Look before starting: under runsc, a start whose command is missing leaves its containerd shim
          // running on the host for good, even after the container is removed. Once per image and endpoint
          // (the stat mounts the container's root: ~10-30 ms).
          const shellKey = `${profile.image}\0${profile.shell}`;
          if (!shellsSeen.get(client)?.has(shellKey)) {
            if (!(await containerHasPath(client, containerId, profile.shell, remaining()))) throw new ShellMissing(profile.shell);
            shellsSeen.set(client, (shellsSeen.get(client) ?? new Set<string>()).add(shellKey));
          }
          const { channel, capabilities } = await openShellChannel(client, containerId, maxOutputBytes, onLost, remaining());
          session = new SandboxSession(client, containerId, profile, maxOutputBytes, reattachTimeoutMs, channel, capabilities);
          // Lost between the probe and now (nothing was in flight): start re-attaching like any later loss.
          if (!channel.open) session.onChannelLost(channel.closedReason ?? "attach stream closed", false);
          await session.startEgress(options.name ?? containerId, remaining());
          return session;
        } catch (err) {
          if (!containerId || !(await shellIsMissing(client, containerId, err))) throw err;
          await client.removeContainer(containerId);
          containerId = undefined;
        }
      }
      containerId = await create(client, profile, labels, options.name, { ...options.container, imageCommand: true }, remaining());
      await client.call("start container", (docker) => docker.getContainer(containerId!).start(), remaining());
      const commandOnly = new SandboxSession(client, containerId, profile, maxOutputBytes, 0, undefined, undefined);
      await commandOnly.startEgress(options.name ?? containerId, remaining());
      return commandOnly;
    } catch (err) {
      // Nothing half-created: the container goes, whatever failed.
      if (containerId) await client.removeContainer(containerId).catch(() => undefined);
      throw err;
    }
  }

  readonly endpointId: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set once the sandbox's egress policy is on its host (profiles with egress only). */
  private egress: { address: string; sandbox: string; policy: EgressPolicy } | undefined;
  private destroyed = false;
  private broken: string | undefined;
  /** Set while a new attach stream is being opened after the last one was cut; resolves when usable again. */
  private reattaching: Promise<void> | undefined;
  /** How many times the channel was re-opened after a cut stream (for tests and diagnostics). */
  reattachCount = 0;

  private constructor(
    private readonly client: EndpointClient,
    readonly containerId: string,
    private readonly profile: SandboxProfile,
    private readonly maxOutputBytes: number,
    private readonly reattachTimeoutMs: number,
    private channel: ShellChannel | undefined,
    private readonly capabilities: ShellCapabilities | undefined,
  ) {
    this.endpointId = client.id;
  }

  /** False: every exec pays a `docker exec` (the image has no shell). */
  get usesShellChannel(): boolean {
    return this.channel !== undefined;
  }

  /** Channel open or being re-attached (or no channel needed), and nothing has broken the sandbox. */
  healthy(): boolean {
    if (this.destroyed || this.broken) return false;
    if (this.reattaching) return true;
    return this.channel ? this.channel.open : true;
  }

  /** The attach stream was cut and a new one is being opened: commands wait for it (bounded by reattachTimeoutMs). */
  recovering(): boolean {
    return this.reattaching !== undefined && !this.destroyed && !this.broken;
  }

  /**
   * @internal The channel's stream was cut from the far side. Re-attach when allowed (the container may well
   * still run: a dockerd restart with live-restore); otherwise, or when that fails in time, the sandbox is broken.
   */
  onChannelLost(reason: string, commandInFlight: boolean): void {
    if (this.destroyed || this.broken || this.reattaching) return;
    if (this.reattachTimeoutMs <= 0) {
      this.broken = reason;
      return;
    }
    const started = Date.now();
    const attempt = reattachShell(this.client, {
      containerId: this.containerId,
      maxOutputBytes: this.maxOutputBytes,
      deadline: started + this.reattachTimeoutMs,
      interruptInFlight: commandInFlight,
      onLost: (r, inFlight) => this.onChannelLost(r, inFlight),
      cancelled: () => this.destroyed,
    }).then(
      (channel) => {
        this.reattaching = undefined;
        if (this.destroyed) return channel.close("sandbox destroyed");
        this.channel = channel;
        this.reattachCount += 1;
      },
      (err: Error) => {
        this.reattaching = undefined;
        this.broken = `${reason}; ${err.message} (tried for ${Date.now() - started} ms)`;
      },
    );
    this.reattaching = attempt;
  }

  /** Runs argv (no shell interpretation) and returns its exact output and exit code. Commands run one at a time. */
  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.serialised(() => this.execNow(argv, options));
  }

  /**
   * Writes a file (parent directories created). With a shell: through the channel (works on a read-only root and
   * in the tmpfs mounts). Without: Docker's putArchive, which needs a writable root and a path outside the tmpfs.
   */
  putFile(path: string, content: string | Buffer, options: { mode?: number } = {}): Promise<void> {
    if (!path.startsWith("/")) return Promise.reject(new Error(`putFile needs an absolute path, got "${path}"`));
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const mode = options.mode ?? 0o644;
    return this.serialised(async () => {
      await this.reattaching;
      this.assertUsable();
      if (this.channel && this.capabilities && (this.capabilities.base64 || !bytes.includes(0))) {
        const nonce = newNonce();
        const result = await this.runOnChannel(renderPutFileProgram(nonce, path, bytes, mode, this.capabilities), nonce, undefined);
        if (result.exitCode !== 0) {
          throw new Error(`putFile ${path} failed (exit ${result.exitCode}): ${result.stderr.toString("utf8").trim()}`);
        }
        return;
      }
      // Docker's putArchive writes through the container's image layer: it refuses a read-only root and, worse,
      // writes *under* a tmpfs mount (invisible inside). Refuse both instead of losing the file silently.
      if (this.profile.readOnlyRootfs) {
        throw new Error(
          `putFile ${path}: this sandbox's image has no shell and its root is read-only, so there is no way to write a file; ` +
            `use an image with ${this.profile.shell ?? "/bin/sh"} or a profile with readOnlyRootfs: false`,
        );
      }
      const underTmpfs = [this.profile.tmpfs.path, this.profile.workdir.path].find((m) => path === m || path.startsWith(`${m}/`));
      if (underTmpfs) {
        throw new Error(`putFile ${path}: without a shell in the image, files cannot be written into the tmpfs ${underTmpfs}; choose a path outside it`);
      }
      // Extract at the deepest directory that exists, so the archive creates only the missing ones and never
      // rewrites the mode of an existing directory (a tar entry for "tmp/" would reset /tmp's 1777).
      let base = posix.dirname(path);
      while (base !== "/" && !(await this.pathExists(base))) base = posix.dirname(base);
      const tar = singleFileTar(posix.relative(base, path), bytes, mode);
      await this.client.call(`put file ${path}`, (docker) => docker.getContainer(this.containerId).putArchive(tar, { path: base }));
    });
  }

  /** An interactive PTY session next to the channel (see terminal.ts). */
  async openTerminal(options: TerminalOptions): Promise<Terminal> {
    await this.reattaching;
    this.assertUsable();
    return openTerminal(this.client, this.containerId, options);
  }

  /** Closes the channel and force-removes the container. Idempotent; never throws. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.channel?.close("sandbox destroyed");
    await this.client.removeContainer(this.containerId).catch(() => undefined);
    // The address is free now; whoever gets it next starts from "nothing allowed" until its own policy lands.
    if (this.egress) {
      const { address, sandbox } = this.egress;
      await writeEgressPolicy(this.client, this.profile.image, address, sandbox, { mode: "none" }).catch(() => undefined);
    }
  }

  /** The egress policy in force (the profile's, or what {@link setEgress} set last). */
  get egressPolicy(): EgressPolicy {
    return this.egress?.policy ?? this.profile.egress;
  }

  /** Writes the profile's policy for this sandbox's address, before anyone gets the sandbox. */
  private async startEgress(sandbox: string, timeoutMs: number): Promise<void> {
    if (this.profile.egress.mode === "none") return;
    const address = await egressAddress(this.client, this.containerId, timeoutMs);
    await writeEgressPolicy(this.client, this.profile.image, address, sandbox, this.profile.egress, timeoutMs);
    this.egress = { address, sandbox, policy: this.profile.egress };
  }

  /**
   * Replaces the egress policy of the running sandbox; the host's proxy applies it from the next request on.
   * `policy` must lie within the profile's (throws EgressWidenedError otherwise, see egress.ts).
   */
  async setEgress(policy: EgressPolicyInput): Promise<EgressPolicy> {
    const narrowed = narrowEgress(this.profile.egress, policy);
    if (!this.egress) {
      throw new EgressWidenedError(`egress: this sandbox's profile has egress mode "none"; its egress cannot be changed at run time`);
    }
    this.assertUsable();
    const { address, sandbox } = this.egress;
    await writeEgressPolicy(this.client, this.profile.image, address, sandbox, narrowed);
    this.egress = { address, sandbox, policy: narrowed };
    return narrowed;
  }

  /** What the host's proxy refused this sandbox so far, oldest first ([] without egress). */
  async egressDenials(): Promise<EgressDenial[]> {
    if (!this.egress) return [];
    return readEgressDenials(this.client, this.profile.image, this.egress.sandbox);
  }

  private async execNow(argv: string[], options: ExecOptions): Promise<ExecResult> {
    await this.reattaching;
    this.assertUsable();
    if (argv.length === 0) throw new Error("exec needs a command: argv is empty");
    const stdin = options.stdin === undefined ? undefined : typeof options.stdin === "string" ? Buffer.from(options.stdin, "utf8") : options.stdin;
    const started = performance.now();
    const needsExecForStdin = stdin !== undefined && stdin.includes(0) && !this.capabilities?.base64;
    if (this.channel && !needsExecForStdin) {
      const nonce = newNonce();
      const program = renderExecProgram({
        nonce,
        argv,
        env: options.env,
        cwd: options.cwd,
        stdin,
        scratchDir: this.profile.tmpfs.path,
        capabilities: this.capabilities!,
      });
      const timeout: RunTimeout | undefined =
        options.timeoutMs === undefined
          ? undefined
          : { ms: options.timeoutMs, graceMs: INTERRUPT_GRACE_MS, interrupt: () => this.interruptShell() };
      // An abort (a streaming client went away) ends the command the way a timeout does: SIGUSR1 to the shell.
      const onAbort = () => void this.interruptShell().catch(() => undefined);
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        return execResult(await this.runOnChannel(program, nonce, timeout, options.onOutput), started);
      } finally {
        options.signal?.removeEventListener("abort", onAbort);
      }
    }
    const result = await dockerExec(this.client, this.containerId, {
      argv,
      env: options.env,
      cwd: options.cwd,
      stdin,
      timeoutMs: options.timeoutMs,
      maxOutputBytes: this.maxOutputBytes,
      onOutput: options.onOutput,
      signal: options.signal,
    });
    // A timed-out docker exec keeps running in the container (nothing there can kill it): retire the sandbox.
    if (result.timedOut) this.broken = "a command outlived its timeout and could not be killed (no shell in the image)";
    return execResult(result, started);
  }

  private pathExists(path: string): Promise<boolean> {
    return containerHasPath(this.client, this.containerId, path);
  }

  /** SIGUSR1 to the shell: its trap kills the running command (see shell-program.ts). */
  private async interruptShell(): Promise<void> {
    await this.client.call("signal sandbox shell", (docker) => docker.getContainer(this.containerId).kill({ signal: INTERRUPT_SIGNAL }), 5_000);
  }

  private async runOnChannel(program: string, nonce: string, timeout: RunTimeout | undefined, onOutput?: ExecOptions["onOutput"]) {
    const channel = this.channel!;
    try {
      const result = await channel.run(program, nonce, timeout, onOutput);
      if (result.abandoned) this.broken = channel.closedReason ?? "channel abandoned";
      return result;
    } catch (err) {
      // The stream was cut under this command: its outcome is unknown whatever happens next. Say so once the
      // re-attach (started by the channel's loss) has settled, so the error tells whether the sandbox is usable.
      if (err instanceof ChannelLostError && this.reattaching) {
        await this.reattaching;
        if (!this.broken && !this.destroyed) throw new ExecInterruptedError(this.containerId, err.message);
      }
      this.broken ??= (err as Error).message;
      throw new SandboxBrokenError(this.containerId, this.broken);
    }
  }

  private assertUsable(): void {
    if (this.destroyed) throw new SandboxBrokenError(this.containerId, "the sandbox was destroyed");
    if (this.broken) throw new SandboxBrokenError(this.containerId, `${this.broken}`);
    if (this.channel && !this.channel.open) {
      throw new SandboxBrokenError(this.containerId, `${this.channel.closedReason}`);
    }
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function create(
  client: EndpointClient,
  profile: SandboxProfile,
  labels: Record<string, string>,
  name: string | undefined,
  overrides: ContainerSpecOverrides,
  timeoutMs: number,
): Promise<string> {
  const spec = sandboxContainerOptions(profile, labels, name, overrides);
  try {
    const container = await client.call("create container", (docker, abortSignal) => docker.createContainer({ ...spec, abortSignal } as typeof spec), timeoutMs);
    return container.id;
  } catch (err) {
    throw imageMissing(err) ? new ImageNotFoundError(profile.image, [client.id], dockerMessage(err)) : err;
  }
}

/** Docker answers a create from an image it does not have with 404 "No such image: <ref>" (it never pulls). */
function imageMissing(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404 && /no such image/i.test(dockerMessage(err));
}

/** The daemon's own message (dockerode puts it in `json.message`, behind its generic "(HTTP code 404) ..." text). */
function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } })?.json;
  return typeof json?.message === "string" ? json.message : String((err as Error)?.message ?? err);
}

/** Attach first (so no byte is lost), then start, then probe the shell: the sandbox is usable once this resolves. */
async function openShellChannel(client: EndpointClient, containerId: string, maxOutputBytes: number, onLost: ChannelLostListener, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const stream = (await client.call(
    "attach container",
    (docker) => docker.getContainer(containerId).attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
    remaining(),
  )) as Duplex;
  const channel = new ShellChannel(stream, maxOutputBytes, onLost);
  try {
    await client.call("start container", (docker) => docker.getContainer(containerId).start(), remaining());
    const nonce = newNonce();
    const probe = await withDeadline(channel.run(renderProbeProgram(nonce), nonce), remaining());
    return { channel, capabilities: parseCapabilities(probe.stdout.toString("utf8")) };
  } catch (err) {
    channel.close("channel open failed");
    throw err;
  }
}

/** Whether a path exists in the container's filesystem; works on a container that was created but not started. */
async function containerHasPath(client: EndpointClient, containerId: string, path: string, timeoutMs?: number): Promise<boolean> {
  try {
    const response = await client.call(`stat ${path}`, (docker) => docker.getContainer(containerId).infoArchive({ path }), timeoutMs);
    // dockerode hands over the HEAD response as a stream: until it is read to its (empty) end, its keep-alive
    // socket stays taken, and once maxSockets are taken every later call to the endpoint, pings included, waits.
    (response as NodeJS.ReadableStream).resume();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** The image has no file at the profile's shell path (seen before the container was started). */
class ShellMissing extends Error {
  constructor(shell: string) {
    super(`no such file or directory: ${shell}`);
  }
}

/** Whether starting the shell failed because the image has none (then the image's own CMD is used). */
async function shellIsMissing(client: EndpointClient, containerId: string, err: unknown): Promise<boolean> {
  if (err instanceof ShellMissing) return true;
  if (/no such file|not found|executable file/i.test(String((err as Error)?.message))) return true;
  try {
    const info = await client.call("inspect container", (docker) => docker.getContainer(containerId).inspect(), 5_000);
    return !info.State.Running && (info.State.ExitCode === 127 || /no such file|not found/i.test(info.State.Error ?? ""));
  } catch {
    return false;
  }
}
