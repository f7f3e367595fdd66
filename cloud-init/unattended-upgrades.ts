/**
 * unattended-upgrades. It only upgrades packages from origins it is told about: Debian's are in the
 * package's default config; Docker's and gVisor's repositories must be added or their security fixes
 * never arrive. Patterns by site, because that is what we configured (no guessing their Release labels).
 *
 * The first run is not left to the daily timer: images are built without the security updates published
 * since (lynis PKGS-7392 warns about them), so the bootstrap installs them before anything else and before
 * the host reports ready. Cost measured by test/e2e/host-audit.test.ts (docs/security.md).
 */
import type { CloudConfigFragment } from "./fragment";
import type { DockerHostSettings } from "./types";

export function unattendedUpgradesFragment(settings: DockerHostSettings): CloudConfigFragment {
  const periodic = [
    "// Written by sandfleet (cloud-init): refresh package lists and install upgrades every day.",
    "// A separate file (not 20auto-upgrades, which the package manages through debconf).",
    'APT::Periodic::Update-Package-Lists "1";',
    'APT::Periodic::Unattended-Upgrade "1";',
    "",
  ].join("\n");
  const files: CloudConfigFragment["files"] = [{ path: "/etc/apt/apt.conf.d/21sandfleet-auto-upgrades", content: periodic, permissions: "0644" }];
  if (settings.packageSource === "upstream") {
    const origins = [
      "// Written by sandfleet (cloud-init): also upgrade Docker and gVisor from their own repositories.",
      "// Lists in apt.conf.d are appended to, so Debian's default origins stay in effect.",
      "// dockerd restarts on upgrade; live-restore keeps containers running.",
      "Unattended-Upgrade::Origins-Pattern {",
      '  "site=download.docker.com";',
      '  "site=storage.googleapis.com"; // gVisor: the only repository we configure on that site',
      "};",
      "",
    ].join("\n");
    files.push({ path: "/etc/apt/apt.conf.d/52sandfleet-unattended-upgrades", content: origins, permissions: "0644" });
  }
  // needrestart names the daemons still running old libraries after an upgrade; in list mode it never
  // restarts one by itself in the middle of the bootstrap or of an unattended run.
  files.push({
    path: "/etc/needrestart/conf.d/60-sandfleet.conf",
    content: "# Written by sandfleet (cloud-init): list services that need a restart; restart nothing automatically.\n$nrconf{restart} = 'l';\n",
    permissions: "0644",
  });
  return {
    // debsums: checks installed files against the packages' checksums (lynis PKGS-7370).
    packages: ["unattended-upgrades", "needrestart", "debsums"],
    files,
    steps: [
      {
        name: "security-updates",
        why: "Install the updates published since the image was built (Debian's security archive and stable updates, the package's default origins) before the host reports ready; the daily timer keeps them current afterwards.",
        // The package lists were refreshed moments ago by cloud-init (package_update). A kernel update takes
        // effect at the next reboot, which the provider's maintenance or the operator schedules.
        script: `export DEBIAN_FRONTEND=noninteractive
unattended-upgrade --verbose
# What it held back (a conffile prompt, a new dependency) is named here, not silently left behind.
apt-get -s -o Debug::NoLocking=1 upgrade | grep '^Inst .*-security' | sed 's/^/sandfleet: warning: security update still pending: /' >&2 || true`,
      },
    ],
  };
}
