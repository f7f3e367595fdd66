/**
 * How local/ reports what it is doing. The CLI (`npm start`) prints to the terminal; tests pass a
 * quieter reporter. Kept as an interface so the same functions serve the CLI, the tests and the
 * Pulumi dynamic provider (which logs through Pulumi instead).
 */
export interface Progress {
  /** A line about the whole run (image build, network, registry, ...). */
  info(message: string): void;
  /** A line about one host (boot stage, cloud-init stage, post-boot step). */
  host(hostName: string, message: string): void;
}

/** Prints to stdout with the elapsed time since `start`, e.g. `[  12.3s] ws-1: cloud-init: modules:config`. */
export function consoleProgress(start = Date.now()): Progress {
  const stamp = () => `[${((Date.now() - start) / 1000).toFixed(1).padStart(6)}s]`;
  return {
    info: (message) => console.log(`${stamp()} ${message}`),
    host: (hostName, message) => console.log(`${stamp()} ${hostName.padEnd(12)} ${message}`),
  };
}

/** Discards everything (unit tests). */
export const silentProgress: Progress = { info: () => undefined, host: () => undefined };
