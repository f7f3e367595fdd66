/**
 * The sandbox a caller holds between `acquire()` and `release()`. Single-use: `release()` destroys the
 * container and the pool refills in the background. Using it after release (or after the pool reclaimed an
 * overdue lease) fails with an error that says so, instead of reaching a container that is gone.
 */
import { LeaseExpiredError, SandboxReleasedError } from "../errors";
import type { ExecOptions, ExecResult, PoolSession } from "./session";
import type { Terminal, TerminalOptions } from "../sandbox/terminal";
import type { EgressPolicy, EgressPolicyInput } from "../sandbox/egress";
import type { EgressDenial } from "../sandbox/egress-host";

export type LeaseState = "leased" | "released" | "reclaimed";

/** The pool side of a lease (implemented by the pool). */
export interface LeaseOwner {
  releaseLease(sandbox: Sandbox): Promise<void>;
  /** The result of a read of the sandbox's denial log: the pool counts and announces the lines it had not seen. */
  sawEgressDenials?(sandbox: Sandbox, denials: readonly EgressDenial[]): void;
}

export class Sandbox {
  #state: LeaseState = "leased";
  #releasing: Promise<void> | undefined;

  /** @internal created by the pool only */
  constructor(
    /** @internal */ readonly session: PoolSession,
    private readonly owner: LeaseOwner,
    /** Container name (`sf-<poolId>-<random>`). */
    readonly name: string,
    /** Profile the sandbox was created from. */
    readonly profile: string,
    readonly leasedAt: Date,
    /** When the pool reclaims it (maxLeaseMs), or undefined without a lease limit. */
    readonly expiresAt: Date | undefined,
  ) {}

  /** Docker container id. */
  get id(): string {
    return this.session.containerId;
  }

  get endpointId(): string {
    return this.session.endpointId;
  }

  /** False for images without a shell: every exec then pays a `docker exec`. */
  get usesShellChannel(): boolean {
    return this.session.usesShellChannel;
  }

  get state(): LeaseState {
    return this.#state;
  }

  /** Runs argv (no shell parsing) and collects its output; a timeout resolves with `timedOut: true`. */
  async exec(argv: string[], options?: ExecOptions): Promise<ExecResult> {
    this.assertLeased();
    return this.session.exec(argv, options);
  }

  /** Writes a file inside the sandbox (parent directories must exist and be writable, e.g. under /work or /tmp). */
  async putFile(path: string, content: string | Buffer, options?: { mode?: number }): Promise<void> {
    this.assertLeased();
    return this.session.putFile(path, content, options);
  }

  /** Opens an interactive terminal (a PTY `docker exec`, /bin/sh by default) next to exec(); see Terminal. */
  async openTerminal(options: TerminalOptions): Promise<Terminal> {
    this.assertLeased();
    if (!this.session.openTerminal) throw new Error(`sandbox ${this.name}: this session cannot open terminals`);
    return this.session.openTerminal(options);
  }

  /**
   * Replaces the egress policy of the running sandbox (allowlist, ports, or "none"); it must lie within the
   * profile's (EgressWidenedError otherwise). The host's proxy applies it from the next request on.
   */
  async setEgress(policy: EgressPolicyInput): Promise<EgressPolicy> {
    this.assertLeased();
    if (!this.session.setEgress) throw new Error(`sandbox ${this.name}: this session has no egress policy to change`);
    return this.session.setEgress(policy);
  }

  /** The egress policy in force: the profile's, or what setEgress() set last. */
  get egressPolicy(): EgressPolicy {
    return this.session.egressPolicy ?? { mode: "none", hosts: [], cidrs: [], ports: [80, 443] };
  }

  /**
   * What the host's egress proxy refused this sandbox so far (host, port, method, time), oldest first. Nobody has to
   * call this for refusals to be counted: the pool reads the log on each health round and announces new ones
   * (`pool.onEgressDenied()`); this read shares its count, so nothing is counted twice.
   */
  async egressDenials(): Promise<EgressDenial[]> {
    this.assertLeased();
    const denials = (await this.session.egressDenials?.()) ?? [];
    this.owner.sawEgressDenials?.(this, denials);
    return denials;
  }

  /** Destroys the sandbox and returns its slot to the pool; idempotent. */
  release(): Promise<void> {
    if (this.#state === "reclaimed") return Promise.resolve();
    this.#state = "released";
    this.#releasing ??= this.owner.releaseLease(this);
    return this.#releasing;
  }

  /** @internal the pool reclaimed the lease (maxLeaseMs, or close() after the grace period). */
  markReclaimed(): boolean {
    if (this.#state !== "leased") return false;
    this.#state = "reclaimed";
    return true;
  }

  private assertLeased(): void {
    if (this.#state === "released") {
      throw new SandboxReleasedError(`sandbox ${this.name} was released; sandboxes are single-use, acquire a new one`);
    }
    if (this.#state === "reclaimed") {
      throw new LeaseExpiredError(
        `sandbox ${this.name} was reclaimed by the pool (lease older than maxLeaseMs, or the pool closed); release sandboxes sooner or raise maxLeaseMs`,
      );
    }
  }
}
