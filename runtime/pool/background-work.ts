/**
 * Promises the pool starts and nobody awaits (removals, reconciliations, creates): close() waits for all of
 * them, so a closed pool leaves no Docker call running behind its back.
 */
export class BackgroundWork {
  readonly #pending = new Set<Promise<unknown>>();

  track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const forget = () => this.#pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Resolves once nothing is pending, including work started while waiting. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
