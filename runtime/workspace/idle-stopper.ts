/**
 * Idle auto-stop: a running workspace with no exec, shell or file call for `idleStopMs` is stopped (data kept).
 * The next such call starts it again (workspaces.ts), so idle workspaces cost disk only, not memory or a slot.
 */
import type { WorkspaceRecord } from "./record";

export interface IdleStopperOptions {
  /** 0 = never stop. */
  idleStopMs: number;
  checkMs: number;
  now: () => number;
  running: () => WorkspaceRecord[];
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

  /** Stops every running workspace idle for idleStopMs or longer. */
  sweep(): void {
    const now = this.options.now();
    for (const record of this.options.running()) {
      if (now - record.lastActivityAt < this.options.idleStopMs || this.#stopping.has(record.id)) continue;
      this.#stopping.add(record.id);
      void this.options
        .stop(record)
        .catch(() => undefined) // the next sweep tries again
        .finally(() => this.#stopping.delete(record.id));
    }
  }
}
