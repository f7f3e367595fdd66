#!/usr/bin/env bash
# sandfleet: installs (or updates) the sandbox service on the platform server, run over SSH by the deploy
# (Pulumi's remote.Command after `pulumi up` delivered the registry, or `npm start` on the local fleet).
#
# Why a script over SSH and not cloud-init: the service's TLS key and the hash of its initial API key are
# secrets (user-data is plain text at the provider), and every `pulumi up` with a new bundle must update the
# service on a running host. The deploy first copies three files into /var/lib/sandfleet: this script, the
# Node tarball (the npm package node-linux-<arch>, the stack's pinned version) and the service bundle.
#
# Usage:
#   install-sandbox-service.sh --node-tarball F --node-version V --node-integrity sha512-B64 --node-arch x64|arm64 \
#     --bundle F --bundle-digest SHA256HEX --data-dir DIR < file-set
# stdin: one line per file, `sandfleet-file <path> <mode> <owner:group> <base64 content>` (cloud-init/service-host.ts).
# Nothing is fetched from any network: Node and the service come from the deploy.
# Success: the last line of stdout is
#   SANDFLEET_SERVICE_OK {"node":"v24.22.3","bundle":"<digest>","unit":"active","health":"ok","action":"restarted"}
# Restart or reload: when everything but the TLS certificates and keys (/etc/sandfleet-service/tls/: the default
# pair and those served by SNI, e.g. the Cloudflare Origin CA one) is as the last successful install left it (same
# bundle, Node, units, config) and the unit runs, the service is reloaded (SIGHUP: it re-reads every pair) instead
# of restarted, so a renewed certificate (components/tls/renewal.ts) ends no lease. A file in tls/ that the file set
# no longer holds (a name dropped from the config) is removed: no stale private key stays on the host.
#
# Environment overrides, for tests only (real hosts need none of them):
#   SANDFLEET_SERVICE_HEALTH_TIMEOUT  seconds to wait for https://127.0.0.1:443/healthz (default: 90)
set -euo pipefail
umask 022

log() { printf 'sandfleet service: %s\n' "$*" >&2; }
die() { printf 'sandfleet service: error: %s\n' "$*" >&2; exit 1; }

node_tarball="" node_version="" node_integrity="" node_arch="" bundle="" bundle_digest="" data_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --node-tarball) node_tarball=${2:-}; shift 2 ;;
    --node-version) node_version=${2:-}; shift 2 ;;
    --node-integrity) node_integrity=${2:-}; shift 2 ;;
    --node-arch) node_arch=${2:-}; shift 2 ;;
    --bundle) bundle=${2:-}; shift 2 ;;
    --bundle-digest) bundle_digest=${2:-}; shift 2 ;;
    --data-dir) data_dir=${2:-}; shift 2 ;;
    *) die "unknown argument '$1' (see the usage at the top of this script)" ;;
  esac
done
[[ "$node_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--node-version must look like 24.22.3, got '$node_version'"
[[ "$node_integrity" =~ ^sha512-[A-Za-z0-9+/]{86}==$ ]] || die "--node-integrity must be npm's sha512 integrity (sha512-<base64>)"
[[ "$bundle_digest" =~ ^[0-9a-f]{64}$ ]] || die "--bundle-digest must be the bundle's SHA-256 (hex)"
[[ "$data_dir" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--data-dir must be an absolute path, got '$data_dir'"
[ -f "$node_tarball" ] || die "--node-tarball $node_tarball does not exist; the deploy copies it before running this script"
[ -f "$bundle" ] || die "--bundle $bundle does not exist; the deploy copies it before running this script"
[ ! -t 0 ] || die "write the file set (sandfleet-file lines) to stdin"

# --- 1. The machine type the tarball was built for --------------------------------------------------
case "$(uname -m)" in
  x86_64) host_arch=x64 ;;
  aarch64|arm64) host_arch=arm64 ;;
  *) host_arch=$(uname -m) ;;
esac
[ "$host_arch" = "$node_arch" ] || die "this host is $host_arch but the stack shipped Node for $node_arch; the platform's server type decides it (see docs/service-host.md)"

# --- 2. Node: checked against the integrity pinned in the stack's code, unpacked once per version ------
# npm's integrity is base64; sha512sum prints hex (coreutils only: no openssl needed).
want=$(printf '%s' "${node_integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
have=$(sha512sum "$node_tarball" | cut -d' ' -f1)
[ "$have" = "$want" ] || die "the Node tarball's sha512 is $have, not the pinned $want: refusing it (copy interrupted or tampered with); run the deploy again"
node_dir=/opt/sandfleet/node/$node_version
if [ ! -x "$node_dir/bin/node" ]; then
  log "unpacking Node $node_version ($node_arch)"
  install -d -m 0755 /opt/sandfleet/node
  tmp=$(mktemp -d /opt/sandfleet/node/.incoming.XXXXXX)
  tar -xzf "$node_tarball" -C "$tmp" --no-same-owner --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$node_dir"
  mv "$tmp" "$node_dir"
fi
# mktemp makes 0700 directories: the service user must reach bin/node (also repairs an older install).
chmod 0755 "$node_dir" "$node_dir/bin" "$node_dir/bin/node"
node_reported=$("$node_dir/bin/node" --version)
[ "$node_reported" = "v$node_version" ] || die "$node_dir/bin/node reports $node_reported, expected v$node_version"

# --- 3. The service user and its data directory --------------------------------------------------------
if ! id -u sandfleet-service >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir "$data_dir" --shell /usr/sbin/nologin sandfleet-service
fi
install -d -m 0700 -o sandfleet-service -g sandfleet-service "$data_dir"

# --- 4. The bundle: one directory per digest, `current` switched atomically ---------------------------
have=$(sha256sum "$bundle" | cut -d' ' -f1)
[ "$have" = "$bundle_digest" ] || die "the bundle's sha256 is $have, not $bundle_digest; run the deploy again"
bundle_dir=/opt/sandfleet/service/$bundle_digest
if [ ! -d "$bundle_dir" ]; then
  install -d -m 0755 /opt/sandfleet/service
  tmp=$(mktemp -d /opt/sandfleet/service/.incoming.XXXXXX)
  tar -xzf "$bundle" -C "$tmp" --no-same-owner
  chmod -R u=rwX,go=rX "$tmp"
  mv "$tmp" "$bundle_dir"
fi
chmod 0755 "$bundle_dir"
ln -sfn "$bundle_dir" /opt/sandfleet/service/current.tmp
mv -Tf /opt/sandfleet/service/current.tmp /opt/sandfleet/service/current

# --- 5. Units, config, TLS, the key's hash: from stdin ------------------------------------------------
count=0
restart_inputs="bundle $bundle_digest node $node_version"
written_tls=" "
while read -r kind path mode owner content; do
  [ -n "$kind" ] || continue
  [ "$kind" = "sandfleet-file" ] || die "stdin line $((count + 1)) does not start with sandfleet-file"
  [[ "$path" =~ ^/(etc/systemd/system|etc/sandfleet-service|opt/sandfleet/service)/[A-Za-z0-9._/-]+$ ]] || die "refusing to write $path (outside the service's directories)"
  [[ "$mode" =~ ^0[0-7]{3}$ ]] || die "bad mode $mode for $path"
  [[ "$owner" =~ ^root:(root|sandfleet-service)$ ]] || die "bad owner $owner for $path"
  install -d -m 0755 "$(dirname "$path")"
  printf '%s' "$content" | base64 -d > "$path.tmp"
  chown "$owner" "$path.tmp"
  chmod "$mode" "$path.tmp"
  mv -f "$path.tmp" "$path"
  case "$path" in
    /etc/sandfleet-service/tls/*) written_tls="$written_tls$path " ;; # taken up by a reload
    *) restart_inputs="$restart_inputs
$path $mode $owner $(printf '%s' "$content" | sha256sum | cut -d' ' -f1)" ;;
  esac
  count=$((count + 1))
done
[ "$count" -gt 0 ] || die "stdin held no sandfleet-file lines"
for f in /etc/sandfleet-service/tls/*; do
  [ -f "$f" ] || continue
  case "$written_tls" in
    *" $f "*) ;;
    *) log "removing $f (no longer in the file set)"; rm -f "$f" ;;
  esac
done
chmod 0750 /etc/sandfleet-service /etc/sandfleet-service/tls
chgrp sandfleet-service /etc/sandfleet-service /etc/sandfleet-service/tls

# --- 6. Start, restart into the new build, or reload a renewed certificate ----------------------------
systemctl daemon-reload
systemctl enable --now sandfleet-service-registry.path >/dev/null
systemctl enable sandfleet-service.service >/dev/null 2>&1
restart_digest=$(printf '%s\n' "$restart_inputs" | sha256sum | cut -d' ' -f1)
restart_digest_file=/etc/sandfleet-service/restart-inputs.sha256
since=$(date '+%Y-%m-%d %H:%M:%S')
if [ "$(cat "$restart_digest_file" 2>/dev/null || true)" = "$restart_digest" ] && systemctl is-active --quiet sandfleet-service.service; then
  action=reloaded
  log "only the TLS certificate and key can have changed: reloading sandfleet-service.service (no restart, leases kept)"
  systemctl reload sandfleet-service.service
else
  action=restarted
  log "restarting sandfleet-service.service (bundle $bundle_digest, Node $node_reported)"
  # A unit that failed its start limit earlier (a bad build) would refuse the restart: clear that first.
  systemctl reset-failed sandfleet-service.service 2>/dev/null || true
  if ! systemctl restart sandfleet-service.service; then
    journalctl -u sandfleet-service.service --since "$since" -n 40 --no-pager >&2 || true
    die "sandfleet-service.service did not start (its journal is above)"
  fi
fi

# --- 7. Healthy? ---------------------------------------------------------------------------------------
timeout=${SANDFLEET_SERVICE_HEALTH_TIMEOUT:-90}
deadline=$(( $(date +%s) + timeout ))
health=""
# With the shipped Node itself (no curl needed). Loopback to itself: this asks whether it answers, and with the
# certificates just installed (a reload takes a moment), not who it is: the chain is not verified here (clients
# verify it against the CA the stack outputs; Cloudflare verifies the Origin CA one). Every pair of the config's
# tls section is checked on its listen port (443): the default one without SNI, each tls.byServerName one with its name as SNI.
probe='const fs=require("fs"),https=require("https"),{X509Certificate}=require("crypto");const config=JSON.parse(fs.readFileSync(process.argv[1],"utf8")),tls=config.tls;let body="";const check=t=>new Promise((ok,no)=>{const want=new X509Certificate(fs.readFileSync(t.certFile)).fingerprint256;https.get({host:"127.0.0.1",port:config.listen.port,path:"/healthz",servername:t.serverName,rejectUnauthorized:false,timeout:5000,agent:false},r=>{const served=r.socket.getPeerCertificate().fingerprint256;let b="";r.on("data",c=>b+=c);r.on("end",()=>{body=body||b;r.statusCode===200&&served===want?ok():no()})}).on("error",no).on("timeout",function(){this.destroy()})});Promise.all([tls,...(tls.byServerName||[])].map(check)).then(()=>{process.stdout.write(body);process.exit(0)},()=>process.exit(1))'
until health=$("$node_dir/bin/node" -e "$probe" /etc/sandfleet-service/config.json 2>/dev/null); do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    journalctl -u sandfleet-service.service --since "$since" -n 40 --no-pager >&2 || true
    die "the service did not answer https://127.0.0.1:443/healthz with the installed certificates within ${timeout}s (its journal is above)"
  fi
  sleep 1
done
log "healthy: $health"
printf '%s\n' "$restart_digest" > "$restart_digest_file"
printf 'SANDFLEET_SERVICE_OK {"node":"%s","bundle":"%s","unit":"%s","health":"ok","action":"%s"}\n' \
  "$node_reported" "$bundle_digest" "$(systemctl is-active sandfleet-service.service)" "$action"
