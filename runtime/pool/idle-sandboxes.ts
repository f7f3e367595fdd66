/**
 * The warm sandboxes waiting to be handed out, one list per profile, oldest first. Taking one is synchronous
 * (splice in the same tick it is leased), which is what makes hand-out exactly-once. Every sandbox leaving
 * the list other than by being taken is destroyed through `discard` (unhealthy, evicted, stale, written off).
 * This class keeps `entry.idle` and the `known` state in step with the lists.
 */
import { preferredAffinityScore, requiredAffinityMatches } from "./affinity";
import type { EndpointEntry } from "./endpoint-entry";
import type { PlacementRequest } from "./placement";
import type { PooledSandbox } from "./pooled-sandbox";

/** Why an idle sandbox was destroyed. */
export type DiscardReason = "unhealthy" | "evicted" | "idle-timeout" | "closed" | "endpoint-lost" | "endpoint-removed" | "endpoint-draining";

export class IdleSandboxes {
  readonly #byProfile = new Map<string, PooledSandbox[]>();

  constructor(
    profiles: readonly string[],
    private readonly preferredWeightCap: number,
    /** Destroys a sandbox that left the list (its `entry.idle` is already decremented). */
    private readonly discard: (pooled: PooledSandbox, why: DiscardReason) => void,
  ) {
    for (const profile of profiles) this.#byProfile.set(profile, []);
  }

  /**
   * Takes the best idle sandbox for the request: on a ready endpoint within the affinity, highest preferred
   * score, else the oldest. Dead ones met on the way are discarded; re-attaching ones are skipped.
   */
  take(profile: string, request: PlacementRequest): PooledSandbox | undefined {
    const list = this.#byProfile.get(profile)!;
    let bestIndex = -1;
    let bestScore = -1;
    for (let i = 0; i < list.length; i++) {
      const pooled = list[i]!;
      if (pooled.entry.health.state !== "ready" || !requiredAffinityMatches(request.affinity, pooled.entry.labels)) continue;
      if (!pooled.session.healthy()) {
        list.splice(i--, 1);
        this.#discard(pooled, "unhealthy");
        continue;
      }
      if (pooled.session.recovering?.()) continue; // re-attaching its cut stream: usable again shortly
      const score = preferredAffinityScore(request.preferred, pooled.entry.labels, this.preferredWeightCap);
      if (score > bestScore) {
        bestScore = score;
        bestIndex = i;
        if (!request.preferred) break; // oldest first when nothing is preferred
      }
    }
    if (bestIndex < 0) return undefined;
    const [pooled] = list.splice(bestIndex, 1);
    pooled!.entry.idle -= 1;
    return pooled;
  }

  /** Parks a sandbox nobody waits for. */
  park(pooled: PooledSandbox, now: number): void {
    pooled.idleSince = now;
    pooled.entry.idle += 1;
    const known = pooled.entry.known.get(pooled.name);
    if (known) known.state = "idle";
    this.#byProfile.get(pooled.profile)!.push(pooled);
  }

  /** Idle sandboxes of the profile that can be handed out now (their endpoint is ready). */
  readyCount(profile: string): number {
    return this.#byProfile.get(profile)!.filter((p) => p.entry.health.state === "ready").length;
  }

  /** Every idle sandbox (for status and for the clients still in use). */
  all(): PooledSandbox[] {
    return [...this.#byProfile.values()].flat();
  }

  /** Discards the oldest idle sandbox (any profile) for which `helps` holds; false when there is none. */
  evictOldest(helps: (pooled: PooledSandbox) => boolean): boolean {
    let victim: { list: PooledSandbox[]; index: number } | undefined;
    for (const [, list] of this.#byProfile) {
      list.forEach((pooled, index) => {
        if (helps(pooled) && (!victim || pooled.idleSince < victim.list[victim.index]!.idleSince)) victim = { list, index };
      });
    }
    if (!victim) return false;
    const [pooled] = victim.list.splice(victim.index, 1);
    this.#discard(pooled!, "evicted");
    return true;
  }

  /** Discards every idle sandbox of the endpoint. */
  writeOff(entry: EndpointEntry, why: DiscardReason): void {
    for (const [, list] of this.#byProfile) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]!.entry === entry) this.#discard(list.splice(i, 1)[0]!, why);
      }
    }
  }

  /** Discards idle sandboxes beyond minIdle that waited idleTimeoutMs, and any whose channel died. */
  trim(now: number, minIdle: Readonly<Record<string, number>>, idleTimeoutMs: number): void {
    for (const [profile, list] of this.#byProfile) {
      let surplus = list.length - (minIdle[profile] ?? 0);
      for (let i = 0; i < list.length; i++) {
        const pooled = list[i]!;
        const stale = surplus > 0 && now - pooled.idleSince >= idleTimeoutMs;
        if (stale || !pooled.session.healthy()) {
          list.splice(i--, 1);
          if (stale) surplus -= 1;
          this.#discard(pooled, stale ? "idle-timeout" : "unhealthy");
        }
      }
    }
  }

  /** Discards every idle sandbox (close). */
  discardAll(why: DiscardReason): void {
    for (const [, list] of this.#byProfile) for (const pooled of list.splice(0)) this.#discard(pooled, why);
  }

  #discard(pooled: PooledSandbox, why: DiscardReason): void {
    pooled.entry.idle -= 1;
    this.discard(pooled, why);
  }
}
