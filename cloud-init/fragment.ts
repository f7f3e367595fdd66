/**
 * A cloud-config fragment: what one concept (Docker, gVisor, sshd, firewall, ...) contributes to a host.
 * `render.ts` merges the fragments of a role into one document. Keeping every concept in the same shape
 * is what lets roles share fragments instead of copying them.
 */

/** A file written by cloud-init's `write_files` (init stage, before packages are installed). */
export interface WrittenFile {
  path: string;
  content: string;
  /** Always explicit: cloud-init's default (0644) is not a decision. */
  permissions: "0400" | "0440" | "0444" | "0600" | "0640" | "0644" | "0700" | "0750" | "0755";
}

/**
 * A step of the bootstrap script (`/usr/local/sbin/sandfleet-bootstrap`), run once by `runcmd` after the
 * packages are installed. Steps must be idempotent: the script can be re-run by hand to repair a host.
 */
export interface BootstrapStep {
  /** Short name, printed when the step starts. */
  name: string;
  /** Why the step exists; becomes a comment in the script. */
  why: string;
  /** Shell (bash, `set -euo pipefail`), run in a subshell. */
  script: string;
}

/** A `bootcmd` entry: argv, run by cloud-init early on every boot (before `write_files` and users). */
export type BootCommand = string[];

export interface CloudConfigFragment {
  /** Debian packages installed by cloud-init's `packages` module. */
  packages?: string[];
  files?: WrittenFile[];
  bootcmd?: BootCommand[];
  steps?: BootstrapStep[];
}

/** Concatenates fragments in order; packages are de-duplicated (and sorted, so snapshots stay stable). */
export function mergeFragments(fragments: CloudConfigFragment[]): Required<CloudConfigFragment> {
  const files = fragments.flatMap((f) => f.files ?? []);
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) throw new Error(`two cloud-init fragments write ${file.path}`);
    seen.add(file.path);
  }
  return {
    packages: [...new Set(fragments.flatMap((f) => f.packages ?? []))].sort(),
    files,
    bootcmd: fragments.flatMap((f) => f.bootcmd ?? []),
    steps: fragments.flatMap((f) => f.steps ?? []),
  };
}
