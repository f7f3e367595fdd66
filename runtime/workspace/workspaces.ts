/**
 * Persistent workspaces: named, owned sandboxes whose files outlive their container. Each has one Docker volume on
 * one endpoint (placed with the pool's placement and capacity rules, endpoint-access.ts), mounted at /workspace,
 * and, while it runs, one container driven by the same session code as a sandbox (SandboxSession: shell channel,
 * exec, files, terminal). Stopping removes the container and keeps the volume; starting creates a new container on
 * the same endpoint with the same volume. The workspace never moves: when its host is gone from the registry,
 * draining or not answering, it is `unavailable` with the reason, and only snapshot (from a host that still
 * answers) and delete are possible.
 *
 * Rules that make restarts safe (docs/workspaces.md):
 *   - A container this process did not start (an earlier run's, or one whose channel broke: dockerd or the host
 *     restarted) is never adopted: the next exec removes it and starts a fresh one on the same volume. So a running
 *     workspace comes back stopped after a service restart and is started by its next request.
 *   - Any exec, file or shell call starts a stopped workspace first, and is an operation in flight until it ends
 *     (an exec or file call returns, a terminal exits or is closed); its start and its end count as activity. A
 *     running workspace with no operation in flight is stopped `idleStopMs` after the last activity
 *     (idle-stopper.ts). The idle stop is decided inside the workspace's lifecycle queue in the same synchronous
 *     step that marks it stopping, and an operation is counted before it looks at that mark: either the operation
 *     came first and the stop is skipped, or the stop came first and the operation waits for it and starts the
 *     workspace again. An explicit stop, delete or close does not wait for operations in flight: it ends them.
 *   - Create is all or nothing: a failure removes the container, the volume and the record it made.
 */
import { randomBytes } from "node:crypto";
import { EndpointClient } from "../docker/endpoint-client";
import { InvalidWorkspaceRequestError, WorkspaceExistsError, WorkspaceNotFoundError, WorkspaceUnavailableError } from "../errors";
import type { AccessibleEndpoint, PoolEndpointAccess } from "../pool/endpoint-access";
import type { Pool } from "../pool/pool";
import type { ExecOptions, ExecResult } from "../sandbox/exec-contract";
import type { SandboxProfile } from "../sandbox/profile";
import { SandboxSession } from "../sandbox/sandbox-session";
import type { Terminal, TerminalOptions } from "../sandbox/terminal";
import { restoreWorkspace, snapshotWorkspace } from "./data-archive";
import { IdleStopper } from "./idle-stopper";
import { workspaceContainerName, workspaceLabels, workspaceVolumeMount } from "./labels";
import { MemoryWorkspaceStore, WorkspaceRecord, WorkspaceStore } from "./record";
import { reconcileWorkspaces, ReconcileReport } from "./reconcile";
import { CreateWorkspaceInput, parseCreateWorkspace, WORKSPACE_MOUNT_PATH } from "./request";
import { createWorkspaceVolume, removeWorkspaceVolume, workspaceDiskUsed } from "./volume";

export type WorkspaceState = "running" | "stopped" | "unavailable";

export interface WorkspaceInfo {
  id: string;
  name: string;
  owner: string;
  profile: string;
  endpointId: string;
  state: WorkspaceState;
  /** Why the workspace is unavailable. */
  reason?: string;
  mountPath: string;
  quotaGb: number;
  /** Bytes in the volume (inspect only, when the host answers). */
  diskUsedBytes?: number;
  labels: Record<string, string>;
  createdAt: Date;
  lastActivityAt: Date;
}

export interface WorkspacesOptions {
  /** Where records are kept. @default a MemoryWorkspaceStore */
  store?: WorkspaceStore;
  /**
   * Stop a running workspace this long after its last exec, shell or file operation ended, never while one is in
   * flight; 0 = never. @default 1_800_000 (30 min)
   */
  idleStopMs?: number;
  /** How often idle workspaces are looked for. @default min(idleStopMs / 4, 30_000) */
  idleCheckMs?: number;
  /** Seconds a stopping container gets to exit after SIGTERM before SIGKILL. @default 5 */
  stopGraceSeconds?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface CreateWorkspaceOptions {
  /** Start the container right away. @default true */
  start?: boolean;
  /** A snapshot tar (entries under `workspace/`) unpacked into the new volume before the first start. */
  restoreFrom?: Buffer;
}

export class Workspaces {
  readonly #access: PoolEndpointAccess;
  readonly #store: WorkspaceStore;
  readonly #now: () => number;
  readonly #stopGraceSeconds: number;
  readonly #sessions = new Map<string, SandboxSession>();
  /** Being stopped: listed running until the container is gone, and a new request waits for the stop, then starts. */
  readonly #stopping = new Set<string>();
  /** Lifecycle calls (start, stop, delete) per workspace, one at a time. */
  readonly #ops = new Map<string, Promise<unknown>>();
  /** Operations in flight (exec, file, terminal, inUse) per workspace id; absent = none. */
  readonly #inFlight = new Map<string, number>();
  readonly #idle: IdleStopper;
  #closed = false;

  constructor(pool: Pool, options: WorkspacesOptions = {}) {
    this.#access = pool.endpointAccess();
    this.#store = options.store ?? new MemoryWorkspaceStore();
    this.#now = options.now ?? Date.now;
    this.#stopGraceSeconds = options.stopGraceSeconds ?? 5;
    const idleStopMs = options.idleStopMs ?? 30 * 60_000;
    if (!Number.isInteger(idleStopMs) || idleStopMs < 0) {
      throw new InvalidWorkspaceRequestError(`idleStopMs must be a whole number of milliseconds >= 0 (0 = never), got ${idleStopMs}`);
    }
    this.#idle = new IdleStopper({
      idleStopMs,
      checkMs: options.idleCheckMs ?? Math.max(100, Math.min(Math.floor(idleStopMs / 4), 30_000)),
      now: this.#now,
      running: () => [...this.#sessions.keys()].map((id) => this.#store.get(id)).filter((r): r is WorkspaceRecord => !!r),
      inFlight: (id) => this.#inFlight.get(id) ?? 0,
      stop: (record) => this.#serial(record.id, () => this.#stopIfIdle(record.id)),
    });
  }

  /** Brings store and hosts into agreement and starts the idle timer; what it fixed is in the report. */
  async start(): Promise<ReconcileReport> {
    const report = await this.reconcile();
    this.#idle.start();
    return report;
  }

  /** See reconcile.ts: adopts volumes the store lacks, forgets records whose volume is gone, removes stray containers. */
  reconcile(): Promise<ReconcileReport> {
    return reconcileWorkspaces({
      store: this.#store,
      endpoints: this.#access.endpoints().filter((e) => e.inRegistry && e.state !== "unresponsive"),
      client: (e) => asEndpointClient(e),
      running: (id) => this.#sessions.has(id),
    });
  }

  async create(input: CreateWorkspaceInput, options: CreateWorkspaceOptions = {}): Promise<WorkspaceInfo> {
    this.#assertOpen();
    const request = parseCreateWorkspace(input);
    if (this.#store.byName(request.owner, request.name)) {
      throw new WorkspaceExistsError(`workspace "${request.name}" exists already for this owner; pick another name, or delete it first`);
    }
    const { profile: profileName, request: placement } = this.#access.validate({ profile: request.profile, affinity: request.affinity as never, preferred: request.preferred as never });
    const profile = this.#access.profiles[profileName]!;
    const decision = this.#access.place(profileName, placement);
    if (!decision.endpointId) {
      const why = Object.entries(decision.rejected).map(([id, reason]) => `${id}: ${reason}`).join(", ") || "no endpoints";
      throw new WorkspaceUnavailableError(`no endpoint can take workspace "${request.name}" now (${why}); retry later, free capacity, or relax the affinity`);
    }
    const endpoint = this.#access.endpoint(decision.endpointId)!;
    const client = asEndpointClient(endpoint);
    const now = this.#now();
    const record: WorkspaceRecord = {
      id: randomBytes(6).toString("hex"),
      owner: request.owner,
      name: request.name,
      profile: profileName,
      endpointId: endpoint.id,
      quotaGb: request.quotaGb,
      labels: request.labels,
      createdAt: now,
      lastActivityAt: now,
    };
    this.#store.insert(record);
    try {
      await createWorkspaceVolume(client, record, profile);
      if (options.restoreFrom) await restoreWorkspace(client, record, profile, options.restoreFrom);
      if (options.start ?? true) await this.#serial(record.id, () => this.#startNow(record));
    } catch (err) {
      // Nothing half-created: container, volume and record go.
      await this.#sessions.get(record.id)?.destroy();
      this.#sessions.delete(record.id);
      await client.removeContainer(workspaceContainerName(record.id)).catch(() => undefined);
      await removeWorkspaceVolume(client, record, profile.image, { hostDisk: record.quotaGb > 0 }).catch(() => undefined);
      this.#store.remove(record.id);
      throw err;
    }
    return this.#info(record);
  }

  list(owner?: string): WorkspaceInfo[] {
    return this.#store.list(owner).map((r) => this.#info(r));
  }

  /** One workspace as its record says, without asking its host (inspect adds the disk used); WorkspaceNotFoundError if none. */
  get(owner: string, name: string): WorkspaceInfo {
    return this.#info(this.#record(owner, name));
  }

  /** State, endpoint, disk used / quota, last activity. */
  async inspect(owner: string, name: string): Promise<WorkspaceInfo> {
    const record = this.#record(owner, name);
    const info = this.#info(record);
    if (info.state === "unavailable" && info.reason?.includes("not in the registry")) return info;
    const endpoint = this.#access.endpoint(record.endpointId);
    if (endpoint && endpoint.state !== "unresponsive") {
      const used = await workspaceDiskUsed(asEndpointClient(endpoint), record, this.#helperImage(record)).catch(() => undefined);
      if (used !== undefined) info.diskUsedBytes = used;
    }
    return info;
  }

  async startWorkspace(owner: string, name: string): Promise<WorkspaceInfo> {
    const record = this.#record(owner, name);
    // Counted like an operation, so an idle stop cannot slip in between the start and the answer "running".
    const end = this.#begin(record);
    try {
      await this.#ensureRunning(record);
    } finally {
      end();
    }
    return this.#info(this.#store.get(record.id) ?? record);
  }

  async stop(owner: string, name: string): Promise<WorkspaceInfo> {
    const record = this.#record(owner, name);
    await this.#serial(record.id, () => this.#stopNow(record));
    return this.#info(record);
  }

  /**
   * Runs argv in the workspace (starting it when stopped), in /workspace unless `cwd` says otherwise. In flight until
   * it returns (an abort or timeout kills the command and returns), so however long it runs it is not stopped as
   * idle; a streamed command's output (onOutput) also updates lastActivityAt as it comes.
   */
  async exec(owner: string, name: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { record, session, end } = await this.#use(owner, name);
    const onOutput = options.onOutput;
    try {
      return await session.exec(
        argv,
        onOutput
          ? {
              ...options,
              onOutput: (stream, chunk) => {
                this.#touchThrottled(record);
                onOutput(stream, chunk);
              },
            }
          : options,
      );
    } finally {
      end();
    }
  }

  async putFile(owner: string, name: string, path: string, content: string | Buffer, options?: { mode?: number }): Promise<void> {
    const { session, end } = await this.#use(owner, name);
    try {
      await session.putFile(path, content, options);
    } finally {
      end();
    }
  }

  /**
   * A PTY in the workspace (starting it when stopped). In flight until the program exits, its stream closes or
   * `close()` is called (what a WebSocket shell does when its client goes), so an open terminal is never stopped as
   * idle, typing or not; what it prints (echoed keystrokes too) updates lastActivityAt as it comes.
   */
  async openTerminal(owner: string, name: string, options: TerminalOptions): Promise<Terminal> {
    const { record, session, end } = await this.#use(owner, name);
    let terminal: Terminal;
    try {
      terminal = await session.openTerminal(options);
    } catch (err) {
      end();
      throw err;
    }
    terminal.stream.on("data", () => this.#touchThrottled(record));
    terminal.stream.once("close", end);
    terminal.stream.once("error", end);
    terminal.exited.then(end, end);
    return {
      stream: terminal.stream,
      exited: terminal.exited,
      resize: (cols, rows) => terminal.resize(cols, rows),
      close: () => {
        end();
        terminal.close();
      },
    };
  }

  /**
   * Runs `task` as one operation in flight on the workspace (not started by this call; `task` makes the calls that
   * start it): for a caller whose one request is several calls, such as the service's file routes (a mkdir, then
   * the write), so the workspace cannot be stopped as idle between them. WorkspaceNotFoundError if there is none.
   */
  async inUse<T>(owner: string, name: string, task: () => Promise<T>): Promise<T> {
    const end = this.#begin(this.#record(owner, name));
    try {
      return await task();
    } finally {
      end();
    }
  }

  /** The workspace's data as a tar (entries under `workspace/`); works running or stopped, on a draining host too. */
  async snapshot(owner: string, name: string): Promise<Buffer> {
    const record = this.#record(owner, name);
    const endpoint = this.#reachable(record, "snapshot");
    return snapshotWorkspace(asEndpointClient(endpoint), record, this.#profile(record));
  }

  /** Deletes the workspace: container and, unless keepData, the volume (kept volumes are re-adopted by a reconcile). */
  async delete(owner: string, name: string, options: { keepData?: boolean } = {}): Promise<void> {
    const record = this.#record(owner, name);
    await this.#serial(record.id, async () => {
      const endpoint = this.#access.endpoint(record.endpointId);
      if (!endpoint || !endpoint.inRegistry) {
        // The host is gone: nothing to remove there; forgetting the record is all that is left.
        this.#sessions.delete(record.id);
        this.#store.remove(record.id);
        return;
      }
      const client = asEndpointClient(endpoint);
      await this.#sessions.get(record.id)?.destroy();
      this.#sessions.delete(record.id);
      await client.removeContainer(workspaceContainerName(record.id));
      if (!options.keepData) await removeWorkspaceVolume(client, record, this.#helperImage(record));
      this.#store.remove(record.id);
      void this.#access.recount(record.endpointId).catch(() => undefined);
    });
  }

  /** Stops the idle timer and the running workspaces' containers (data kept); they start again on their next request. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle.stop();
    await Promise.all([...this.#ops.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(
      [...this.#sessions.keys()].map(async (id) => {
        const record = this.#store.get(id);
        if (record) await this.#stopNow(record).catch(() => undefined);
      }),
    );
  }

  /**
   * The running session for one operation, counted in flight from before it looks at `#stopping` (see the header);
   * `end` (idempotent) must be called when the operation is over, on every path.
   */
  async #use(owner: string, name: string): Promise<{ record: WorkspaceRecord; session: SandboxSession; end: () => void }> {
    const record = this.#record(owner, name);
    const end = this.#begin(record);
    try {
      const session = await this.#ensureRunning(record);
      this.#touch(record);
      return { record, session, end };
    } catch (err) {
      end();
      throw err;
    }
  }

  /** Counts one operation in flight; the returned `end` uncounts it (once, however often called) and counts as activity. */
  #begin(record: WorkspaceRecord): () => void {
    this.#inFlight.set(record.id, (this.#inFlight.get(record.id) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#inFlight.get(record.id) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(record.id, left);
      else this.#inFlight.delete(record.id);
      // Idle time counts from the end of the last operation (a deleted workspace's touch changes nothing).
      this.#touch(record);
    };
  }

  #ensureRunning(record: WorkspaceRecord): Promise<SandboxSession> {
    this.#assertOpen();
    const session = this.#sessions.get(record.id);
    if (session?.healthy() && !this.#stopping.has(record.id)) return Promise.resolve(session);
    return this.#serial(record.id, () => this.#startNow(record));
  }

  async #startNow(record: WorkspaceRecord): Promise<SandboxSession> {
    const current = this.#sessions.get(record.id);
    if (current?.healthy()) return current;
    const endpoint = this.#available(record, "start");
    const client = asEndpointClient(endpoint);
    // A broken session's container, or one an earlier run left: replaced, never adopted (see the header).
    await current?.destroy();
    this.#sessions.delete(record.id);
    await removeContainerFully(client, workspaceContainerName(record.id));
    const session = await SandboxSession.start(client, this.#profile(record), workspaceLabels(record, "run"), {
      name: workspaceContainerName(record.id),
      timeoutMs: this.#access.createTimeoutMs,
      reattachTimeoutMs: this.#access.reattachTimeoutMs,
      container: {
        mounts: [workspaceVolumeMount(record.id, WORKSPACE_MOUNT_PATH)],
        workingDir: WORKSPACE_MOUNT_PATH,
      },
    });
    this.#sessions.set(record.id, session);
    void this.#access.recount(record.endpointId).catch(() => undefined);
    return session;
  }

  /**
   * The idle stop, run in the lifecycle queue: the rule (IdleStopper.isIdle) is checked again on the current record,
   * and #stopNow marks the workspace stopping before its first await, so check and mark are one synchronous step
   * that no operation can begin inside (see the header).
   */
  #stopIfIdle(id: string): Promise<void> {
    const record = this.#store.get(id);
    if (!record || !this.#sessions.has(id) || this.#stopping.has(id) || !this.#idle.isIdle(record)) return Promise.resolve();
    return this.#stopNow(record);
  }

  async #stopNow(record: WorkspaceRecord): Promise<void> {
    this.#stopping.add(record.id);
    try {
      await this.#stopContainer(record);
    } finally {
      this.#sessions.delete(record.id);
      this.#stopping.delete(record.id);
    }
  }

  async #stopContainer(record: WorkspaceRecord): Promise<void> {
    const session = this.#sessions.get(record.id);
    const endpoint = this.#access.endpoint(record.endpointId);
    if (!endpoint || endpoint.state === "unresponsive") {
      // Nothing can be stopped on a host that does not answer; its container is replaced on the next start.
      await session?.destroy();
      return;
    }
    const client = asEndpointClient(endpoint);
    const name = workspaceContainerName(record.id);
    // SIGTERM first, so programs in the workspace can flush their files; then the container goes.
    await client
      .call("stop workspace", (docker) => docker.getContainer(name).stop({ t: this.#stopGraceSeconds }), (this.#stopGraceSeconds + 10) * 1000)
      .catch(() => undefined);
    await session?.destroy();
    await removeContainerFully(client, name);
    void this.#access.recount(record.endpointId).catch(() => undefined);
  }

  #info(record: WorkspaceRecord): WorkspaceInfo {
    const unavailable = this.#unavailableReason(record);
    const running = this.#sessions.get(record.id)?.healthy() ?? false;
    return {
      id: record.id,
      name: record.name,
      owner: record.owner,
      profile: record.profile,
      endpointId: record.endpointId,
      state: unavailable ? "unavailable" : running ? "running" : "stopped",
      ...(unavailable ? { reason: unavailable } : {}),
      mountPath: WORKSPACE_MOUNT_PATH,
      quotaGb: record.quotaGb,
      labels: { ...record.labels },
      createdAt: new Date(record.createdAt),
      lastActivityAt: new Date(record.lastActivityAt),
    };
  }

  #unavailableReason(record: WorkspaceRecord): string | undefined {
    const endpoint = this.#access.endpoint(record.endpointId);
    if (!endpoint || !endpoint.inRegistry) {
      return `endpoint ${record.endpointId} is not in the registry; its data stays on that host: put the host back in the registry, or delete the workspace`;
    }
    if (endpoint.state === "draining") return `endpoint ${record.endpointId} is draining; snapshot the workspace and restore it into a new one to move it`;
    if (endpoint.state === "unresponsive") return `endpoint ${record.endpointId} does not answer; the workspace is usable again once it does`;
    if (!this.#access.profiles[record.profile]) return `profile "${record.profile}" is no longer configured in the pool; add it back to use this workspace`;
    return undefined;
  }

  /** The endpoint, when the workspace can run there now; else WorkspaceUnavailableError with the reason. */
  #available(record: WorkspaceRecord, what: string): AccessibleEndpoint {
    const reason = this.#unavailableReason(record);
    if (reason) throw new WorkspaceUnavailableError(`workspace "${record.name}" cannot ${what}: ${reason}`);
    return this.#access.endpoint(record.endpointId)!;
  }

  /** The endpoint, when it answers (draining is fine: data may be read off a draining host). */
  #reachable(record: WorkspaceRecord, what: string): AccessibleEndpoint {
    const endpoint = this.#access.endpoint(record.endpointId);
    if (endpoint && endpoint.inRegistry && endpoint.state !== "unresponsive" && this.#access.profiles[record.profile]) return endpoint;
    return this.#available(record, what);
  }

  #profile(record: WorkspaceRecord): SandboxProfile {
    return this.#access.profiles[record.profile]!;
  }

  /** The image of the host disk helper (host-disk.ts): the workspace's profile's, or any configured one's once it is gone. */
  #helperImage(record: WorkspaceRecord): string {
    const profile = this.#access.profiles[record.profile] ?? Object.values(this.#access.profiles)[0];
    if (!profile) throw new WorkspaceUnavailableError(`workspace "${record.name}": the pool has no profile whose image could run the host disk helper`);
    return profile.image;
  }

  #record(owner: string, name: string): WorkspaceRecord {
    const record = this.#store.byName(owner, name);
    if (!record) throw new WorkspaceNotFoundError(`no workspace "${name}"; list yours with 'sandfleet workspaces list' (GET /v1/workspaces)`);
    return record;
  }

  #touch(record: WorkspaceRecord): void {
    const at = this.#now();
    record.lastActivityAt = at;
    this.#store.touch(record.id, at);
  }

  /** #touch at most once a second: output chunks and keystrokes come far more often than the store needs to hear. */
  #touchThrottled(record: WorkspaceRecord): void {
    if (this.#now() - record.lastActivityAt >= 1000) this.#touch(record);
  }

  #serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#ops.get(id) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.#ops.set(id, settled);
    void settled.then(() => {
      if (this.#ops.get(id) === settled) this.#ops.delete(id);
    });
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new WorkspaceUnavailableError("the workspaces manager is closed; create a new one");
  }
}

/**
 * Removes a container and waits until its name is free: a force-remove already under way (the session's own)
 * answers 409 at once, and a start creating the same name meanwhile would get a conflict.
 */
async function removeContainerFully(client: EndpointClient, name: string, timeoutMs = 30_000): Promise<void> {
  await client.removeContainer(name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.call("inspect container", (docker) => docker.getContainer(name).inspect());
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`container ${name} was still being removed after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
    await client.removeContainer(name);
  }
}

/** Workspaces make Docker calls the pool's narrow client interface lacks (volumes, archives); production clients have them. */
function asEndpointClient(endpoint: AccessibleEndpoint): EndpointClient {
  if (endpoint.client instanceof EndpointClient) return endpoint.client;
  throw new Error(`endpoint ${endpoint.id}: workspaces need the runtime's own EndpointClient, not a test double`);
}
