/**
 * What the local-fleet end-to-end tests share: whether they can run on this machine (a local Docker engine;
 * CI makes them mandatory, so a missing engine fails there instead of skipping) and progress lines with a tag.
 */
import { existsSync } from "node:fs";
import type { Progress } from "../../local/progress";

/**
 * True when the tests of `testFile` must skip: no Docker engine (no DOCKER_HOST, no /var/run/docker.sock)
 * and not CI. Prints then how to run them, so a skip is never silent.
 */
export function skipWithoutLocalEngine(what: string, testFile: string): boolean {
  const engineAvailable = Boolean(process.env.DOCKER_HOST) || existsSync("/var/run/docker.sock");
  const mustRun = Boolean(process.env.CI);
  if (engineAvailable || mustRun) return false;
  console.warn(
    `\n!!! SKIPPING the ${what}: no Docker engine (no DOCKER_HOST, no /var/run/docker.sock).\n` +
      "!!! Run them on a machine with Docker (root, and debootstrap or a registry serving debian:trixie):\n" +
      `!!!   npx vitest run ${testFile}   (CI=1 makes them mandatory)\n`,
  );
  return true;
}

/** Progress printed to stdout, each line tagged (e.g. `[e2e] ws-1: cloud-init: done`). */
export function taggedProgress(tag: string): Progress {
  return {
    info: (m) => console.log(`[${tag}] ${m}`),
    host: (h, m) => console.log(`[${tag}] ${h}: ${m}`),
  };
}
