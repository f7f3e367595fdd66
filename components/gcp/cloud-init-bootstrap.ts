/**
 * Google's Debian 12 images boot with Google's guest environment, not cloud-init, so the `user-data`
 * metadata the core renders would be ignored. This startup script (run by the guest agent on every boot)
 * installs Debian's cloud-init once and runs its stages; cloud-init's GCE datasource then reads the very
 * same `user-data`. SSH is held back while cloud-init is being installed, so the post-boot step (which
 * waits with `cloud-init status --wait`) can only log in once the command exists; it retries its dial.
 */
export const cloudInitBootstrapMarker = "/var/lib/sandfleet/cloud-init-bootstrapped";

export const gcpCloudInitBootstrapScript = `#!/bin/sh
# sandfleet: install cloud-init on Google's Debian image and run it on the user-data metadata (first boot only).
set -eu
[ -e ${cloudInitBootstrapMarker} ] && exit 0
if ! command -v cloud-init >/dev/null 2>&1; then
  systemctl stop ssh.service ssh.socket 2>/dev/null || true
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends cloud-init
  systemctl start ssh.service 2>/dev/null || true
fi
mkdir -p "$(dirname ${cloudInitBootstrapMarker})"
cloud-init init --local
cloud-init init
cloud-init modules --mode=config
cloud-init modules --mode=final
touch ${cloudInitBootstrapMarker}
`;
