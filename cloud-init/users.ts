/**
 * The admin user and its SSH keys, and where the post-boot script is copied to.
 */
import type { BootCommand, CloudConfigFragment } from "./fragment";
import { SANDFLEET_STATE_DIR } from "./post-boot";
import type { HostCloudConfig } from "./types";

/**
 * The state directory the SSH user copies the post-boot script into. Created in `bootcmd` (before sshd
 * accepts logins), owned by root and group `sudo`, setgid: the admin user (root, or a member of `sudo`)
 * can write it; nobody else can, so what runs under sudo is what the deploy copied.
 */
export function usersFragment(): CloudConfigFragment {
  const stateDir: BootCommand = ["install", "-d", "-m", "2770", "-o", "root", "-g", "sudo", SANDFLEET_STATE_DIR];
  return { bootcmd: [stateDir] };
}

/** The `users` entry of the admin user (cloud-init adds keys to an existing user such as root). */
export function adminUserEntry(config: HostCloudConfig): Record<string, unknown> {
  const keys = config.sshAuthorizedKeys.map((key) => key.trim());
  if (config.adminUser === "root") return { name: "root", ssh_authorized_keys: keys };
  return {
    name: config.adminUser,
    // sudo without a password: the post-boot step runs non-interactively (sudo -n).
    groups: ["sudo"],
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    shell: "/bin/bash",
    lock_passwd: true,
    ssh_authorized_keys: keys,
  };
}
