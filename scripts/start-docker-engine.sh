#!/usr/bin/env bash
# Starts the machine's Docker engine with gVisor (runsc) registered as a runtime, unless one already answers.
# Used by CI and by developers on machines without systemd. On a normal laptop Docker is already running.
set -euo pipefail

if docker version >/dev/null 2>&1; then
  echo "Docker engine already running: $(docker version --format '{{.Server.Version}}')"
  exit 0
fi

# Debian's runsc only runs with host or no networking on this kind of kernel (see ENVIRONMENT.md);
# the sandbox runtime therefore gets --network=none here. Real servers use upstream gVisor with its own netstack.
mkdir -p /etc/docker
if [[ ! -f /etc/docker/daemon.json ]]; then
  cat >/etc/docker/daemon.json <<'JSON'
{
  "runtimes": {
    "runsc": { "path": "/usr/bin/runsc", "runtimeArgs": ["--platform=ptrace", "--network=none"] }
  }
}
JSON
fi

if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  systemctl restart docker
else
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi

for _ in $(seq 1 60); do
  if docker version >/dev/null 2>&1; then
    echo "Docker engine started: $(docker version --format '{{.Server.Version}}')"
    exit 0
  fi
  sleep 1
done
echo "Docker engine did not start within 60 s; see /var/log/dockerd.log" >&2
tail -n 50 /var/log/dockerd.log >&2 || true
exit 1
