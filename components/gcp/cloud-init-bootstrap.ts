/**
 * Google's Debian images boot with Google's guest environment, not cloud-init, so the `user-data`
 * metadata the core renders would be ignored. This startup script (run by the guest agent on every boot)
 * installs Debian's cloud-init once and runs its stages; cloud-init's GCE datasource then reads the very
 * same `user-data` (pinned to that datasource, with cloud-init's network rendering off, so the running
 * image's network setup is left alone).
 *
 * Two things a login depends on are not cloud-init's alone here, because the guest agent has already
 * created the login user from the `ssh-keys` metadata (in its own groups) before this script runs:
 * cloud-init skips a user that exists, groups included, so the user would never join `sudo`, the group
 * that owns the state directory the post-boot step copies into (cloud-init/users.ts). The script adds it.
 * And SSH is held back until then: from the start of the script until cloud-init's first stages have
 * created the state directory (`bootcmd`) and the user is in `sudo`, and started again whatever happens
 * (also when a step fails). The post-boot step retries its dial meanwhile and then waits for the rest
 * with `cloud-init status --wait`, which reports `running` until the final stage is done.
 * Tested for real in test/e2e/gcp-bootstrap.test.ts.
 */
export const cloudInitBootstrapMarker = "/var/lib/sandfleet/cloud-init-bootstrapped";

/** A Linux user name, as the `sandfleet:gcp.sshUser` schema admits it; checked again since it goes into a script. */
const LOGIN_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** The startup script for a VM whose `ssh-keys` metadata names `loginUser`. */
export function gcpCloudInitBootstrapScript(loginUser: string): string {
  if (!LOGIN_USER.test(loginUser)) throw new Error(`sandfleet:gcp.sshUser "${loginUser}" is not a Linux user name (lower-case, at most 32 characters).`);
  return `#!/bin/sh
# sandfleet: install cloud-init on Google's Debian image and run it on the user-data metadata (first boot only).
set -eu
[ -e ${cloudInitBootstrapMarker} ] && exit 0
trap 'systemctl start ssh.service 2>/dev/null || true' EXIT
systemctl stop ssh.service ssh.socket 2>/dev/null || true
if ! command -v cloud-init >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends cloud-init
fi
# Read only Compute Engine's metadata, and leave the network as Google's image configured it.
mkdir -p /etc/cloud/cloud.cfg.d
cat > /etc/cloud/cloud.cfg.d/90-sandfleet-gce.cfg <<'CFG'
datasource_list: [ GCE ]
network: {config: disabled}
CFG
cloud-init init --local
cloud-init init
# The guest agent created ${loginUser} before cloud-init ran, so cloud-init left its groups alone.
usermod -a -G sudo ${loginUser}
systemctl start ssh.service 2>/dev/null || true
cloud-init modules --mode=config
cloud-init modules --mode=final
mkdir -p "$(dirname ${cloudInitBootstrapMarker})"
touch ${cloudInitBootstrapMarker}
`;
}
