/**
 * Idle auto-stop: a running workspace with no exec, shell or file operation in flight, whose last one ended (or
 * began, for one still counted) `idleStopMs` ago or more, is stopped (data kept). The next such call starts it again
 * (workspaces.ts), so idle workspaces cost disk only, not memory or a slot.
 *
 * `isIdle` is the whole rule. The sweep uses it to pick candidates; workspaces.ts asks it again inside the
 * workspace's lifecycle queue, in the same synchronous step that marks the workspace stopping, so an operation that
 * began after the sweep looked is never stopped under (see Workspaces #stopIfIdle).
 */
import type { WorkspaceRecord } from "./record";

export interface IdleStopperOptions {
  /** 0 = never stop. */
  idleStopMs: number;
  checkMs: number;
  now: () => number;
  running: () => WorkspaceRecord[];
  /** Operations in flight on the workspace (exec, file, shell, tar): a workspace with any is never idle. */
  inFlight: (id: string) => number;
  stop: (record: WorkspaceRecord) => Promise<void>;
}

export class IdleStopper {
  #timer: NodeJS.Timeout | undefined;
  readonly #stopping = new Set<string>();

  constructor(private readonly options: IdleStopperOptions) {}

  start(): void {
    if (this.options.idleStopMs === 0 || this.#timer) return;
    this.#timer = setInterval(() => this.sweep(), this.options.checkMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Nothing in flight, and idleStopMs or more since the last activity (idleStopMs 0: never idle). */
  isIdle(record: WorkspaceRecord): boolean {
    const { idleStopMs, inFlight, now } = this.options;
    return idleStopMs > 0 && inFlight(record.id) === 0 && now() - record.lastActivityAt >= idleStopMs;
  }

  /** Stops every running workspace that is idle (isIdle). */
  sweep(): void {
    for (const record of this.options.running()) {
      if (!this.isIdle(record) || this.#stopping.has(record.id)) continue;
      this.#stopping.add(record.id);
      void this.options
        .stop(record)
        .catch(() => undefined) // the next sweep tries again
        .finally(() => this.#stopping.delete(record.id));
    }
  }
}
