#!/usr/bin/env bash
# A Docker Engine of the e2e suite's own, beside (never instead of) the one a user runs: its own
# socket, data root, exec root, pid file, containerd namespace, bridge and subnets. Images,
# containers, networks and volumes the suite creates live only in it, so `k6obs-dev-*` names,
# stand-in images and `purge-data` can never meet a user's real stack.
#
#   bash tests/harness/docker-engine.sh start   # idempotent; prints the DOCKER_HOST on its last line
#   bash tests/harness/docker-engine.sh stop    # stops it by its pid file; the data root (images) stays
#   bash tests/harness/docker-engine.sh host    # prints the DOCKER_HOST it uses
#
# Needs root and dockerd (Debian's docker.io). It never touches the other engine's iptables chains:
# it runs with --iptables=false and adds one FORWARD rule for its own subnet (the host's FORWARD
# policy is DROP once another engine runs), removed again on stop. Published ports use docker-proxy.
#
# env: K6OBS_E2E_DOCKER_ROOT  data root, kept between runs as an image cache
#                             (default ~/.cache/k6-observatory/e2e-docker)
#      K6OBS_E2E_DOCKER_RUN   socket, exec root, pid file, log (default /run/k6obs-e2e)
#      K6OBS_E2E_SUBNET       /16 of the bridge and the networks (default 10.213.0.0/16)
#      K6OBS_E2E_BRIDGE       name of its bridge (default k6obse2e0)
#      K6OBS_E2E_NAMESPACE    its containerd namespace (default k6obs-e2e)
# A second engine beside the first (tests/e2e/runners.test.ts, a k6 runner host) sets all five.
set -euo pipefail

root=${K6OBS_E2E_DOCKER_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/k6-observatory/e2e-docker}
run=${K6OBS_E2E_DOCKER_RUN:-/run/k6obs-e2e}
subnet=${K6OBS_E2E_SUBNET:-10.213.0.0/16}
prefix=${subnet%.0.0/16}
bridge=${K6OBS_E2E_BRIDGE:-k6obse2e0}
namespace=${K6OBS_E2E_NAMESPACE:-k6obs-e2e}
socket="$run/docker.sock"
pidfile="$run/docker.pid"
log="$run/dockerd.log"
host="unix://$socket"
rule=(FORWARD -s "$subnet" -d "$subnet" -m comment --comment "$namespace" -j ACCEPT)

say() { echo "docker-engine: $*" >&2; }
die() {
  say "$*"
  exit 1
}
answers() { DOCKER_HOST=$host docker info >/dev/null 2>&1; }
running_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# A run killed mid-way (a session stopped, a CI timeout) kills dockerd but leaves its network
# bridges and their veths on the host; their routes then make the next start refuse the subnet.
# Only a bridge that is provably this engine's is removed: named br-<id>, addressed inside this
# engine's pool, and its network id recorded in this engine's own network store. Called only
# when the engine does not answer, so no live network is ever removed. dockerd keeps a user
# network's bridge when it stops, so stop clears them too.
clear_leftovers() {
  local store="$root/network/files/local-kv.db" link addr id
  [[ -f $store ]] || return 0
  while read -r link addr; do
    [[ $link =~ ^br-([0-9a-f]{12})$ ]] || continue
    id=${BASH_REMATCH[1]}
    [[ $addr == "$prefix."* ]] || continue
    grep -qa "$id" "$store" || continue
    for veth in $(ip -o link show master "$link" | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip link delete "$veth" 2>/dev/null || true
    done
    ip link delete "$link"
    say "removed $link ($addr), a network bridge of this suite's stopped or killed dockerd"
  done < <(ip -4 -o addr show | awk '{print $2, $4}')
}

start() {
  [[ $subnet =~ ^[0-9]+\.[0-9]+\.0\.0/16$ ]] || die "K6OBS_E2E_SUBNET=$subnet is not an a.b.0.0/16"
  mkdir -p "$run" "$root"
  exec 9>"$run/lock"
  flock -w 300 9 || die "could not take $run/lock within 300s"
  if answers; then
    say "already running (pid $(running_pid || echo '?'), $host)"
    echo "$host"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "only root can start a dedicated dockerd (not root: run the suite with K6OBS_E2E_DOCKER=system against an engine holding no k6obs-dev/ci objects)"
  command -v dockerd >/dev/null 2>&1 || die "no dockerd on this machine: install docker.io (apt-get install docker.io) or bash tools/start-docker.sh"
  command -v iptables >/dev/null 2>&1 || die "no iptables: the dedicated engine needs one FORWARD rule for its subnet"
  clear_leftovers
  if ip -4 route show | grep -v "dev $bridge" | grep -q "^$prefix\."; then
    die "the subnet $subnet is already routed on this host ($(ip -4 route show | grep "^$prefix\." | head -n 1)); set K6OBS_E2E_SUBNET to a free /16"
  fi
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add name "$bridge" type bridge
    ip addr add "$prefix.0.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  iptables -C "${rule[@]}" 2>/dev/null || iptables -I "${rule[@]}"
  rm -f "$socket" "$pidfile"
  # setsid: the engine outlives the process that started it. It must hold no lock: neither this
  # script's (fd 9) nor one inherited from the caller (`flock /tmp/k6obs-docker.lock npx jest ...`
  # passes its fd down): an engine left running by a killed run would otherwise hold the machine-wide
  # Docker lock for ever. So every fd above 2 is closed before dockerd starts (same pid: exec).
  (
    for fd in "/proc/$BASHPID/fd"/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec setsid dockerd \
      --host "$host" \
      --data-root "$root" \
      --exec-root "$run/exec" \
      --pidfile "$pidfile" \
      --containerd-namespace "$namespace" \
      --containerd-plugins-namespace "$namespace-plugins" \
      --bridge "$bridge" \
      --default-address-pool "base=$prefix.128.0/17,size=24" \
      --iptables=false --ip6tables=false \
      --log-level warn
  ) >>"$log" 2>&1 </dev/null &
  local pid=$! deadline=$((SECONDS + 60))
  until answers; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; die "dockerd exited; log: $log"; }
    ((SECONDS < deadline)) || { tail -n 20 "$log" >&2; kill "$pid"; die "dockerd did not answer within 60s; log: $log"; }
    sleep 0.5
  done
  say "started dockerd (pid $pid, $host, data root $root, bridge $bridge $prefix.0.1/24, log $log)"
  echo "$host"
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      say "dockerd $pid did not stop within 30s; sending SIGKILL"
      kill -9 "$pid"
    fi
    say "stopped dockerd (pid $pid)"
  else
    say "not running"
  fi
  while iptables -C "${rule[@]}" 2>/dev/null; do iptables -D "${rule[@]}"; done
  if ip link show "$bridge" >/dev/null 2>&1; then ip link delete "$bridge"; fi
  answers || clear_leftovers
  rm -f "$socket" "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  host) echo "$host" ;;
  *) die "usage: docker-engine.sh start|stop|host" ;;
esac
