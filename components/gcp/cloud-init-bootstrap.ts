/**
 * Google's Debian 12 images boot with Google's guest environment, not cloud-init, so the `user-data`
 * metadata the core renders would be ignored. This startup script (run by the guest agent on every boot)
 * installs Debian's cloud-init once and runs its stages; cloud-init's GCE datasource then reads the very
 * same `user-data` (pinned to that datasource, with cloud-init's network rendering off, so the running
 * image's network setup is left alone). SSH is held back while cloud-init is being installed (and always
 * started again, even when the install fails), so the post-boot step, which waits with
 * `cloud-init status --wait`, only logs in once that command exists; it retries its dial meanwhile.
 */
export const cloudInitBootstrapMarker = "/var/lib/sandfleet/cloud-init-bootstrapped";

export const gcpCloudInitBootstrapScript = `#!/bin/sh
# sandfleet: install cloud-init on Google's Debian image and run it on the user-data metadata (first boot only).
set -eu
[ -e ${cloudInitBootstrapMarker} ] && exit 0
if ! command -v cloud-init >/dev/null 2>&1; then
  trap 'systemctl start ssh.service 2>/dev/null || true' EXIT
  systemctl stop ssh.service ssh.socket 2>/dev/null || true
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends cloud-init
  systemctl start ssh.service 2>/dev/null || true
fi
mkdir -p "$(dirname ${cloudInitBootstrapMarker})"
# Read only Compute Engine's metadata, and leave the network as Google's image configured it.
cat > /etc/cloud/cloud.cfg.d/90-sandfleet-gce.cfg <<'CFG'
datasource_list: [ GCE ]
network: {config: disabled}
CFG
cloud-init init --local
cloud-init init
cloud-init modules --mode=config
cloud-init modules --mode=final
touch ${cloudInitBootstrapMarker}
`;
