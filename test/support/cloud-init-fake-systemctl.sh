#!/usr/bin/env bash
# A stand-in for `systemctl` that the post-boot TLS test gives to install-docker-tls.sh (SANDFLEET_SYSTEMCTL).
# It manages one REAL dockerd the way systemd would run docker.service, inside a throwaway root:
#   daemon-reload            no-op (the drop-ins are read at every restart)
#   reset-failed UNIT        no-op (there is no start rate limit to clear)
#   restart docker[.service] stops the running dockerd, then starts /usr/.../dockerd with the ExecStart of the
#                            last drop-in under $SANDFLEET_ROOT/etc/systemd/system/docker.service.d/, except:
#                            -H fd:// becomes the root's own unix socket, --containerd=... is dropped (dockerd
#                            supervises its own containerd), /etc/... paths point into the root, and the daemon
#                            gets its own data root, exec root, pid file and no bridge/iptables (it runs next to
#                            the machine's engine and other test daemons).
#   stop docker[.service]    stops it (SIGTERM, then SIGKILL after 20 s)
# Environment: SANDFLEET_ROOT (required). Files: $SANDFLEET_ROOT/{docker.sock,docker.pid,dockerd.log,data,exec}.
set -euo pipefail
root=${SANDFLEET_ROOT:?SANDFLEET_ROOT must be set}
pidfile=$root/docker.pid

stop_dockerd() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; sleep 0.5; fi
  fi
  rm -f "$pidfile"
}

exec_start() {
  local line="" file
  for file in "$root"/etc/systemd/system/docker.service.d/*.conf; do
    [ -f "$file" ] || continue
    # The last non-empty ExecStart= wins, as with systemd after an `ExecStart=` reset.
    if grep -q '^ExecStart=.' "$file"; then line=$(grep '^ExecStart=.' "$file" | tail -n 1); fi
  done
  [ -n "$line" ] || { echo "fake systemctl: no ExecStart in any docker.service drop-in" >&2; exit 1; }
  printf '%s\n' "${line#ExecStart=}"
}

start_dockerd() {
  local -a words args
  read -r -a words <<<"$(exec_start)"
  local binary=${words[0]} skip_next=0 word
  args=()
  for word in "${words[@]:1}"; do
    if [ "$skip_next" = 1 ]; then skip_next=0; continue; fi
    case "$word" in
      fd://) args+=("unix://$root/docker.sock") ;;
      --containerd=*) ;;
      --*=/etc/*) args+=("${word%%=*}=$root${word#*=}") ;;
      *) args+=("$word") ;;
    esac
  done
  mkdir -p "$root/data" "$root/exec"
  args+=(
    "--config-file=$root/etc/docker/daemon.json"
    "--data-root=$root/data" "--exec-root=$root/exec" "--pidfile=$pidfile"
    --bridge=none --iptables=false --ip-masq=false --storage-driver=overlay2
  )
  printf 'fake systemctl: %s %s\n' "$binary" "${args[*]}" >>"$root/dockerd.log"
  setsid "$binary" "${args[@]}" >>"$root/dockerd.log" 2>&1 </dev/null &
}

command=${1:-}
unit=${2:-}
case "$command" in
  daemon-reload | reset-failed) ;;
  restart)
    [[ "$unit" == docker || "$unit" == docker.service ]] || { echo "fake systemctl: unknown unit $unit" >&2; exit 1; }
    stop_dockerd
    start_dockerd
    ;;
  stop) stop_dockerd ;;
  *) echo "fake systemctl: unsupported command '$command'" >&2; exit 1 ;;
esac
