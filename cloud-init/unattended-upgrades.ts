/**
 * unattended-upgrades. It only upgrades packages from origins it is told about: Debian's are in the
 * package's default config; Docker's and gVisor's repositories must be added or their security fixes
 * never arrive. Patterns by site, because that is what we configured (no guessing their Release labels).
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
  return { packages: ["unattended-upgrades"], files };
}
