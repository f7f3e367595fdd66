#!/usr/bin/env bash
# sandfleet post-boot step: installs the Docker TLS material and opens dockerd's mutual-TLS listener.
#
# Why a separate step: private keys never go into user-data (providers serve it in plain text on the
# metadata address). cloud-init leaves dockerd on its unix socket; this script, run over SSH by the deploy
# (Pulumi's remote.Command or the `local` provider), receives the key on stdin and enables the listener.
#
# Usage:
#   install-docker-tls.sh --role workspace|platform --listen-address PRIVATE_IPV4 [--listen-address PUBLIC_IPV4] [--port 2376] < bundle.pem
#   install-docker-tls.sh --role platform --wait-only
#   either form with --firewall: stdin also carries the host's nftables ruleset (see below)
#   either form with --data-device DEVICE --data-mount PATH: the host's data volume (see below)
# --wait-only: readiness only (the platform server, which needs no TLS listener): waits for cloud-init, checks
# that dockerd answers on its socket with runsc registered, and prints the success line; reads no stdin,
# writes nothing.
# --firewall: re-deliver the host firewall. User-data wrote /etc/sandfleet/firewall.nft once, at creation, and
# providers never re-read user-data, so a changed adminCidrs or Docker API source reaches an existing host only
# here. The ruleset comes last on stdin, between `-----BEGIN SANDFLEET NFTABLES RULESET-----` and
# `-----END SANDFLEET NFTABLES RULESET-----` (alone on stdin with --wait-only). It is checked with `nft -c -f`
# first (a refused ruleset changes nothing and fails the step), then installed by an atomic rename (the boot unit
# loads that file) and loaded with `nft -f`: one transaction that replaces only the `inet sandfleet` table.
# --data-device/--data-mount: the data volume user-data mounts at boot (cloud-init/volume.ts). The step fails
# unless PATH is mounted from DEVICE: a volume that was missing at boot must not leave the host in the registry
# with its data on the root disk. Then the filesystem is grown online to the device's size (resize2fs, or
# xfs_growfs; a SCSI disk is rescanned first), which is how a grown `volumeGb` reaches the filesystem.
# --listen-address (alias --listen) may be repeated: the private address first, then e.g. the public address
# of a host dialled from another cloud, where that address is on an interface (Hetzner). Never 0.0.0.0.
# stdin: PEM blocks in this order: CA certificate, server certificate, server private key (then the ruleset
# block with --firewall).
# Success: the last line of stdout is
#   SANDFLEET_POST_BOOT_OK {"defaultRuntime":"runsc","serverVersion":"...","tlsListener":"IP:PORT","tlsListeners":["IP:PORT",...]}
# (tlsListener is the first listener, i.e. the private address).
# Re-running it with new certificates rotates them (files replaced, dockerd restarted; live-restore keeps
# containers running).
#
# Environment overrides, for tests only (real hosts need none of them):
#   SANDFLEET_ROOT        prefix for every file the script reads or writes (default: empty, i.e. "/")
#   SANDFLEET_SYSTEMCTL   systemctl command, may include arguments (default: systemctl)
#   SANDFLEET_DOCKER      docker CLI command, may include arguments (default: docker; honours DOCKER_HOST)
#   SANDFLEET_CLOUD_INIT  cloud-init command (default: cloud-init)
#   SANDFLEET_NFT         nft command, may include arguments (default: nft)
#   SANDFLEET_DOCKERD     dockerd binary named in the drop-in (default: /usr/bin/dockerd, else /usr/sbin/dockerd)
#   SANDFLEET_CLOUD_INIT_TIMEOUT  seconds to wait for cloud-init to finish (default: 1800)
#   SANDFLEET_DAEMON_TIMEOUT      seconds to wait for dockerd after the restart (default: 120)
set -euo pipefail
umask 077

log() { printf 'sandfleet post-boot: %s\n' "$*" >&2; }
die() { printf 'sandfleet post-boot: error: %s\n' "$*" >&2; exit 1; }
json_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\"/\\\"}"; }

role="" port=2376 wait_only=0 firewall=0 data_device="" data_mount=""
listens=()
types=()
while [ $# -gt 0 ]; do
  case "$1" in
    --role) role=${2:-}; shift 2 ;;
    --listen-address|--listen) listens+=("${2:-}"); shift 2 ;;
    --port) port=${2:-}; shift 2 ;;
    --wait-only) wait_only=1; shift ;;
    --firewall) firewall=1; shift ;;
    --data-device) data_device=${2:-}; shift 2 ;;
    --data-mount) data_mount=${2:-}; shift 2 ;;
    *) die "unknown argument '$1' (usage: --role workspace|platform --listen-address IP [--listen-address IP]... [--port N] < bundle.pem, or --role R --wait-only)" ;;
  esac
done
case "$role" in workspace|platform) ;; *) die "--role must be 'workspace' or 'platform', got '$role'" ;; esac
if [ "$wait_only" = 1 ]; then
  [ "${#listens[@]}" -eq 0 ] || die "--wait-only opens no listener; drop --listen-address (or drop --wait-only to install TLS)"
else
  [ "${#listens[@]}" -gt 0 ] || die "--listen-address is required: the host's private IPv4 address"
  for listen in "${listens[@]}"; do
    [[ "$listen" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "--listen-address must be an IPv4 address of this host, got '$listen'"
    [ "$listen" != "0.0.0.0" ] || die "--listen-address 0.0.0.0 would expose the Docker API on every interface; use the private IP"
  done
  mapfile -t listens < <(printf '%s\n' "${listens[@]}" | awk '!seen[$0]++')
fi
{ [ -n "$data_device" ] && [ -n "$data_mount" ]; } || { [ -z "$data_device" ] && [ -z "$data_mount" ]; } \
  || die "--data-device and --data-mount go together (the data volume's device and its mount point)"
[ -z "$data_mount" ] || [[ "$data_mount" == /* ]] || die "--data-mount must be an absolute path, got '$data_mount'"
[[ "$port" =~ ^[0-9]{1,5}$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "--port must be a TCP port, got '$port'"

root=${SANDFLEET_ROOT:-}
read -r -a systemctl_cmd <<<"${SANDFLEET_SYSTEMCTL:-systemctl}"
read -r -a docker_cmd <<<"${SANDFLEET_DOCKER:-docker}"
read -r -a cloud_init_cmd <<<"${SANDFLEET_CLOUD_INIT:-cloud-init}"
read -r -a nft_cmd <<<"${SANDFLEET_NFT:-nft}"
cloud_init_timeout=${SANDFLEET_CLOUD_INIT_TIMEOUT:-1800}
daemon_timeout=${SANDFLEET_DAEMON_TIMEOUT:-120}

# Paths as dockerd sees them (written into the drop-in) and as this script writes them (under $root).
tls_dir=/etc/docker/tls
drop_in=/etc/systemd/system/docker.service.d/20-sandfleet-tls.conf
# The file cloud-init wrote and sandfleet-firewall.service loads at every boot (cloud-init/firewall.ts).
firewall_rules=/etc/sandfleet/firewall.nft
ruleset_type="SANDFLEET NFTABLES RULESET"

# --- 1. Read and check stdin before touching anything: the PEM bundle (not with --wait-only), the ruleset ----
if [ "$wait_only" = 0 ] || [ "$firewall" = 1 ]; then
  [ ! -t 0 ] || die "write the PEM bundle (CA certificate, server certificate, server key) and/or the ruleset (--firewall) to stdin"
  if [ "$wait_only" = 0 ]; then
    install -d -m 0750 "$root$tls_dir"
    work=$(mktemp -d "$root$tls_dir/.incoming.XXXXXX")
  else
    # Only the ruleset (no secret), and a platform host has no TLS directory.
    work=$(mktemp -d "${TMPDIR:-/tmp}/sandfleet-post-boot.XXXXXX")
  fi
  trap 'rm -rf "$work"' EXIT
  # Tolerate CRLF and blocks joined without a newline ("-----END CERTIFICATE----------BEGIN ...").
  tr -d '\r' | sed -E 's/(-----END [A-Z0-9 ]+-----)(.)/\1\n\2/g' | awk -v dir="$work" '
    /^-----BEGIN [A-Z0-9 ]+-----$/ {
      if (open) bad = 1
      n++; open = 1; file = sprintf("%s/block-%d.pem", dir, n)
      type = $0; sub(/^-----BEGIN /, "", type); sub(/-----$/, "", type)
      print type > (dir "/types")
    }
    open { print > file }
    /^-----END [A-Z0-9 ]+-----$/ { if (open) close(file); open = 0 }
    END { if (open || bad) exit 3 }
  ' || die "stdin is not a sequence of complete PEM blocks"
  mapfile -t types < <(cat "$work/types" 2>/dev/null || true)
  if [ "$firewall" = 1 ]; then
    last=${#types[@]}
    [ "$last" -gt 0 ] && [ "${types[$((last - 1))]}" = "$ruleset_type" ] \
      || die "--firewall: the last block on stdin must be the nftables ruleset (-----BEGIN $ruleset_type-----)"
    # The ruleset without its two armour lines.
    sed '1d;$d' "$work/block-$last.pem" >"$work/firewall.nft"
    unset "types[$((last - 1))]"
  fi
fi
if [ "$wait_only" = 1 ] && [ "${#types[@]}" -gt 0 ]; then
  die "--wait-only installs no TLS material; send only the ruleset block on stdin"
fi
if [ "$wait_only" = 0 ]; then
  [ "${#types[@]}" -eq 3 ] || die "expected 3 PEM blocks on stdin (CA certificate, server certificate, server key), got ${#types[@]}"
  [ "${types[0]}" = "CERTIFICATE" ] || die "PEM block 1 must be the CA certificate, got '${types[0]}'"
  [ "${types[1]}" = "CERTIFICATE" ] || die "PEM block 2 must be the server certificate, got '${types[1]}'"
  [[ "${types[2]}" == *"PRIVATE KEY" ]] || die "PEM block 3 must be the server private key, got '${types[2]}'"
  if command -v openssl >/dev/null 2>&1; then
    # A mismatched set would leave dockerd unable to start; refuse it while the old listener still works.
    openssl verify -CAfile "$work/block-1.pem" "$work/block-2.pem" >/dev/null 2>&1 \
      || die "the server certificate is not signed by the CA certificate given with it"
    cert_pub=$(openssl x509 -in "$work/block-2.pem" -noout -pubkey)
    key_pub=$(openssl pkey -in "$work/block-3.pem" -pubout)
    [ "$cert_pub" = "$key_pub" ] || die "the server private key does not belong to the server certificate"
  else
    log "openssl not found; skipping the certificate/key consistency check"
  fi
fi

# --- 2. Wait for cloud-init: Docker, gVisor and the firewall must be in place ---------------------------
log "waiting for cloud-init to finish"
set +e
timeout "$cloud_init_timeout" "${cloud_init_cmd[@]}" status --wait >/dev/null
ci_status=$?
set -e
# --- 3. The data volume: mounted from its device (or the step fails), then grown to the device's size ---------
# Checked before cloud-init's verdict: a missing volume makes the later steps fail too, and this says why.
data_json=""
if [ -n "$data_device" ] && [ "$ci_status" != 124 ]; then
  if ! findmnt --mountpoint "$root$data_mount" --source "$data_device" >/dev/null 2>&1; then
    found=$(findmnt -no SOURCE --mountpoint "$root$data_mount" 2>/dev/null || true)
    die "the data volume $data_device is not mounted at $data_mount ($([ -n "$found" ] && echo "$found is" || echo "nothing is") mounted there; $([ -b "$data_device" ] && echo "the device exists" || echo "the device is missing")): the volume was not attached when the server booted (cloud-init waits 120 s), so Docker's data would go to the root disk. Attach the volume and reboot the server, or replace it (pulumi up --replace)"
  fi
  device=$(readlink -f "$data_device")
  # SCSI disks (Hetzner, Azure, DigitalOcean) show a grown size only after a rescan; NVMe (AWS) and virtio need none.
  rescan=/sys/class/block/$(basename "$device")/device/rescan
  if [ -w "$rescan" ]; then echo 1 >"$rescan"; fi
  fstype=$(findmnt -no FSTYPE --mountpoint "$root$data_mount")
  case "$fstype" in
    ext2|ext3|ext4) resize2fs "$device" >&2 || die "resize2fs could not grow the data volume's filesystem on $data_device (see above)" ;;
    xfs) xfs_growfs "$root$data_mount" >&2 || die "xfs_growfs could not grow the data volume's filesystem at $data_mount (see above)" ;;
    *) log "warning: the data volume at $data_mount is $fstype, which this step cannot grow; grow it by hand after a resize" ;;
  esac
  size=$(df -B1 --output=size "$root$data_mount" | tail -n 1 | tr -d ' ')
  data_json=",\"dataVolume\":{\"mount\":\"$(json_escape "$data_mount")\",\"sizeBytes\":$size}"
  log "data volume $data_device mounted at $data_mount, filesystem $size bytes"
fi

case "$ci_status" in
  0) ;;
  2) log "warning: cloud-init finished with recoverable errors (see 'cloud-init status --long'); continuing" ;;
  124) die "cloud-init did not finish within ${cloud_init_timeout}s" ;;
  *) "${cloud_init_cmd[@]}" status --long >&2 || true
     die "cloud-init failed (status exit $ci_status); see /var/log/cloud-init-output.log" ;;
esac

# --- 4. The host firewall (--firewall): check, install atomically, load in one transaction ------------------
firewall_digest=""
if [ "$firewall" = 1 ]; then
  install -d -m 0755 "$root$(dirname "$firewall_rules")"
  install -m 0644 "$work/firewall.nft" "$root$firewall_rules.new"
  "${nft_cmd[@]}" -c -f "$root$firewall_rules.new" >&2 \
    || { rm -f "$root$firewall_rules.new"; die "nft -c refused the new ruleset; the host keeps its current firewall (see the nft error above)"; }
  mv -f "$root$firewall_rules.new" "$root$firewall_rules"
  "${nft_cmd[@]}" -f "$root$firewall_rules" >&2 || die "nft -f $firewall_rules failed after its check passed"
  firewall_digest=$(sha256sum "$root$firewall_rules" | cut -d' ' -f1)
  log "host firewall loaded from $firewall_rules (sha256 $firewall_digest)"
fi

# Every check below talks to dockerd through the CLI. Debian 13 ships it apart from the daemon (docker-cli,
# only recommended by docker.io), so say so instead of waiting out the daemon timeout.
command -v "${docker_cmd[0]}" >/dev/null 2>&1 \
  || die "the docker command (${docker_cmd[0]}) is missing: install it (Debian: apt-get install docker-cli; Docker's repository: docker-ce-cli)"

if [ "$wait_only" = 0 ]; then
  # --- 5. Install the TLS files (atomic renames, root-owned, key readable by root only) --------------------
  install_file() { # source, name, mode
    install -m "$3" -o root -g root "$1" "$root$tls_dir/.$2.new"
    mv -f "$root$tls_dir/.$2.new" "$root$tls_dir/$2"
  }
  install_file "$work/block-1.pem" ca.pem 0444
  install_file "$work/block-2.pem" server-cert.pem 0444
  install_file "$work/block-3.pem" server-key.pem 0400

  # --- 6. The drop-in that adds the mutual-TLS listener(s): the private address, plus any given public one ---
  dockerd=${SANDFLEET_DOCKERD:-}
  if [ -z "$dockerd" ]; then
    # Docker's package installs /usr/bin/dockerd, Debian's docker.io /usr/sbin/dockerd; they conflict, so one exists.
    for candidate in /usr/bin/dockerd /usr/sbin/dockerd; do
      if [ -x "$candidate" ]; then dockerd=$candidate; break; fi
    done
    [ -n "$dockerd" ] || die "dockerd is not installed (neither /usr/bin/dockerd nor /usr/sbin/dockerd)"
  fi
  tcp_hosts=""
  for listen in "${listens[@]}"; do tcp_hosts+=" -H tcp://$listen:$port"; done
  install -d -m 0755 "$root$(dirname "$drop_in")"
  cat >"$root$drop_in.new" <<EOF
# Written by sandfleet's post-boot step (install-docker-tls.sh); re-running the step rewrites it.
# Adds the Docker API with mutual TLS (--tlsverify: only clients with a cert from our CA) on the given
# addresses only (never every interface); the host firewall admits 2376 only from the pool's sources.
# Listeners are flags here, never "hosts" in daemon.json, which conflicts with -H fd://.
[Service]
ExecStart=
ExecStart=$dockerd -H fd:// --containerd=/run/containerd/containerd.sock$tcp_hosts --tlsverify --tlscacert=$tls_dir/ca.pem --tlscert=$tls_dir/server-cert.pem --tlskey=$tls_dir/server-key.pem
EOF
  chmod 0644 "$root$drop_in.new"
  mv -f "$root$drop_in.new" "$root$drop_in"

  # --- 7. Restart dockerd (live-restore keeps running containers) and wait until it answers ------------------
  log "restarting docker with the TLS listener on ${listens[*]} (port $port)"
  "${systemctl_cmd[@]}" daemon-reload
  # Docker's unit allows 3 starts in 60 s (StartLimitBurst=3). On a fresh host the package install, the bootstrap
  # and this step make 3 already, so a rotation soon after was refused ("start of the service was attempted too
  # often"; seen with Debian 13's faster boot). This restart is deliberate: clear the counter first.
  "${systemctl_cmd[@]}" reset-failed docker.service
  "${systemctl_cmd[@]}" restart docker.service
fi

deadline=$((SECONDS + daemon_timeout))
server_version=""
until server_version=$("${docker_cmd[@]}" version --format '{{.Server.Version}}' 2>/dev/null) && [ -n "$server_version" ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    [ -n "$root" ] || journalctl -u docker.service -n 40 --no-pager >&2 2>/dev/null || true
    die "dockerd did not answer within ${daemon_timeout}s$([ "$wait_only" = 1 ] || echo ' after the restart')"
  fi
  sleep 1
done
for listen in "${listens[@]}"; do
  until timeout 2 bash -c "exec 3<>/dev/tcp/$listen/$port" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "dockerd answers on its socket but nothing listens on $listen:$port (is $listen an address of this host?)"
    sleep 1
  done
done

# --- 8. Check the runtime: runsc registered everywhere, and the default on workspace servers ---------------
default_runtime=$("${docker_cmd[@]}" info --format '{{.DefaultRuntime}}')
runtimes=$("${docker_cmd[@]}" info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}')
[[ " $runtimes " == *" runsc "* ]] || die "runsc is not registered with dockerd (runtimes: $runtimes); check \"runtimes\" in /etc/docker/daemon.json"
if [ "$role" = workspace ] && [ "$default_runtime" != runsc ]; then
  die "dockerd's default runtime is '$default_runtime', expected 'runsc' on a workspace server; check \"default-runtime\" in /etc/docker/daemon.json"
fi

listeners_json=""
for listen in "${listens[@]}"; do listeners_json+="${listeners_json:+,}\"$listen:$port\""; done
# tlsListener (the first) only when there is one: a --wait-only run reports "tlsListeners":[].
first_listener=${listens[0]:+"\"tlsListener\":\"${listens[0]}:$port\","}
# firewallSha256 (only with --firewall): the digest of the ruleset now loaded, to compare with the rendered one.
firewall_json=${firewall_digest:+",\"firewallSha256\":\"$firewall_digest\""}
# dataVolume (only with --data-device): its mount point and the filesystem's size after growing.
printf 'SANDFLEET_POST_BOOT_OK {"defaultRuntime":"%s","serverVersion":"%s",%s"tlsListeners":[%s]%s%s}\n' \
  "$(json_escape "$default_runtime")" "$(json_escape "$server_version")" "$first_listener" "$listeners_json" "$firewall_json" "$data_json"
