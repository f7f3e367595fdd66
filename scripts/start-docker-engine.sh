#!/usr/bin/env bash
# Starts the machine's Docker engine with gVisor (runsc) registered as a runtime, unless one already answers.
# Used by CI and by developers on machines without systemd. On a normal laptop Docker is already running.
set -euo pipefail

if docker version >/dev/null 2>&1; then
  echo "Docker engine already running: $(docker version --format '{{.Server.Version}}')"
  exit 0
fi

# Why these runsc flags (measured 2026-12-01 on the project's CI machines, Debian 12 and 13 runsc, kernel without
# nested network namespaces for gVisor): with its default `--network=sandbox`, Debian's runsc refuses to start
# ("cannot run with network enabled in root network namespace"), with both ptrace and systrap; `--network=none`
# and `--network=host` work. `--platform=ptrace` because Debian 12's runsc (2022-12) has no working systrap here.
# Real servers install upstream gVisor and keep its own netstack (cloud-init's `docker.gvisorNetwork: sandbox`).
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
