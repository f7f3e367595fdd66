/**
 * The Debian release sandfleet's user-data targets: Debian 13 (trixie), stable since 2025-08-09. One source
 * of truth for the renderer's release guard (the bootstrap's first step) and for the local test hosts, which
 * are built from the same release so that the local fleet installs what a cloud server installs.
 *
 * Debian 12 (bookworm) is refused rather than half-supported: its regular security support ended in June 2026
 * (only Debian LTS, for a subset of packages, until 2028-06-30), its docker.io is 20.10 (end of life since
 * 2023), its runsc (2022-12) has no systrap platform, and no test boots it any more. (Dates checked
 * 2026-12-01; sources: debian.org/releases, wiki.debian.org/LTS.)
 */
import type { CloudConfigFragment } from "./fragment";

export const TARGET_DEBIAN = { version: "13", codename: "trixie" } as const;

/**
 * The first bootstrap step: stops before anything is installed when the server was booted from another
 * release, saying which image to pick. Runs before the packages of other steps matter (cloud-init's
 * `packages` module has run by then, but installs only Debian packages present in every release).
 */
export function debianReleaseFragment(): CloudConfigFragment {
  return {
    steps: [
      {
        name: "release",
        why: `sandfleet's user-data targets Debian ${TARGET_DEBIAN.version} (${TARGET_DEBIAN.codename}); on any other release refuse before the engine is installed.`,
        script: `. /etc/os-release
if [ "\${ID:-}" != debian ] || [ "\${VERSION_ID:-}" != ${TARGET_DEBIAN.version} ]; then
  echo "sandfleet: this server runs \${PRETTY_NAME:-an unknown OS}, but sandfleet's user-data targets Debian ${TARGET_DEBIAN.version} (${TARGET_DEBIAN.codename})." >&2
  echo "sandfleet: boot it from a Debian ${TARGET_DEBIAN.version} image (the provider's image setting, e.g. sandfleet:hetzner image debian-${TARGET_DEBIAN.version}) and recreate it." >&2
  exit 1
fi`,
      },
    ],
  };
}

/**
 * For a provider's image setting that names a Debian release (`debian-12`, `debian-cloud/debian-12`,
 * `debian-12-x64`, Azure's offer `debian-12`): a problem text when that release is not the target, so
 * `pulumi preview` refuses what the bootstrap would refuse only after the servers exist. Custom images
 * (snapshot ids, other names) are the user's call and pass.
 */
export function otherDebianReleaseProblem(image: string): string | undefined {
  const release = /(?:^|[/:_-])debian-?(\d+)(?=$|[^0-9])/i.exec(image)?.[1];
  if (release === undefined || release === TARGET_DEBIAN.version) return undefined;
  return (
    `names Debian ${release}, but sandfleet's user-data targets Debian ${TARGET_DEBIAN.version} (${TARGET_DEBIAN.codename}) and ` +
    `its bootstrap refuses other releases; remove the setting to use the default, or name a Debian ${TARGET_DEBIAN.version} image`
  );
}
