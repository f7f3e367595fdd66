/**
 * Watches the registry file (createPool option `watchRegistryFile`) and hands each settled version to the pool.
 *
 * Watches the file's directory, not the file: writers that replace the file (write a temp file, rename it over)
 * give it a new inode, which a watch on the old one would never report. Events are debounced, so a file written
 * in several chunks is read once it is complete; a version that fails to parse is reported by the pool and the
 * next event tries again.
 */
import { FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";

/** Quiet time after the last change event before the file is read. */
export const REGISTRY_WATCH_DEBOUNCE_MS = 250;

export class RegistryFileWatcher {
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    readonly path: string,
    /** Reads and applies the file; must not throw (the pool reports failures itself). */
    private readonly reload: () => Promise<void>,
    private readonly debounceMs = REGISTRY_WATCH_DEBOUNCE_MS,
  ) {}

  /** Starts watching; throws when the directory cannot be watched (the pool reports it at createPool). */
  start(): void {
    if (this.#watcher) return;
    const name = basename(this.path);
    this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
      // Some platforms omit the name: then any change in the directory may be ours.
      if (!filename || filename.toString() === name) this.#schedule();
    });
    this.#watcher.on("error", () => this.#schedule());
  }

  stop(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (!this.#watcher) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#run(), this.debounceMs);
    this.#timer.unref();
  }

  /** One reload at a time; a change during a reload triggers one more afterwards. */
  #run(): void {
    this.#timer = undefined;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.reload().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.#schedule();
      }
    });
  }
}
