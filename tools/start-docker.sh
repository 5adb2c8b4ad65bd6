#!/usr/bin/env bash
# Makes a Docker Engine answer on this machine and builds the small helper image the backup/restore
# integration tests use. Idempotent: an engine that already answers is left alone, an existing
# helper image is kept. Everything comes from Debian packages; nothing is pulled from a registry.
#
#   1. no `dockerd` binary -> tools/install-tools.sh docker (Debian's docker.io; root only)
#   2. `docker info` does not answer -> start dockerd in the background (log: $K6OBS_DOCKERD_LOG),
#      first with Debian's defaults, then, if that engine does not come up, with the vfs storage
#      driver and without iptables/bridge (the helper containers run with --network none)
#   3. no image $K6OBS_TEST_IMAGE -> assemble a rootfs from busybox-static (install-tools.sh) and
#      `docker import` it. It mimics prom/prometheus: busybox, `nobody` (65534) in /etc/passwd,
#      USER nobody and an entrypoint that is not a shell, so callers must set both explicitly.
#
# Prints the helper image reference on its last line. Exits non-zero with the reason otherwise.
set -euo pipefail

image=${K6OBS_TEST_IMAGE:-k6obs-test/busybox:local}
log_file=${K6OBS_DOCKERD_LOG:-/tmp/k6obs-dockerd.log}
wait_seconds=${K6OBS_DOCKERD_WAIT:-60}

say() { echo "start-docker: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# Concurrent callers (two jest workers, a developer's shell) must not race on dpkg or start two
# engines on one socket.
exec 9>"${TMPDIR:-/tmp}/k6obs-start-docker.lock"
flock -w 600 9 || die "could not take the lock ${TMPDIR:-/tmp}/k6obs-start-docker.lock within 600s"

engine_answers() { docker info >/dev/null 2>&1; }

wait_for_engine() {
  local pid=$1 deadline=$((SECONDS + wait_seconds))
  while ((SECONDS < deadline)); do
    engine_answers && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

start_dockerd() {
  # setsid: the engine outlives this script and the test process that ran it. 9>&-: it must not
  # inherit (and hold forever) the lock below.
  setsid dockerd "$@" >>"$log_file" 2>&1 </dev/null 9>&- &
  local pid=$!
  if wait_for_engine "$pid"; then
    say "dockerd ${*:-(default options)} is up (pid $pid, log $log_file)"
    return 0
  fi
  say "dockerd ${*:-(default options)} did not answer within ${wait_seconds}s; last log lines:"
  tail -n 15 "$log_file" >&2 || true
  kill "$pid" 2>/dev/null || true
  # Wait for it to release the pid file and socket before another attempt.
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  return 1
}

if ! command -v docker >/dev/null 2>&1 || ! engine_answers; then
  command -v dockerd >/dev/null 2>&1 || bash "$(dirname "${BASH_SOURCE[0]}")/install-tools.sh" docker >/dev/null
  if ! engine_answers; then
    if [[ -n ${DOCKER_HOST:-} ]]; then
      die "DOCKER_HOST=$DOCKER_HOST does not answer (docker info failed); not starting a local engine behind its back"
    fi
    [[ $(id -u) -eq 0 ]] || die "the Docker Engine does not answer and only root can start dockerd here: $(docker info 2>&1 | tail -n 1)"
    if [[ -S /var/run/docker.sock ]] && ! pgrep -x dockerd >/dev/null; then
      rm -f /var/run/docker.sock /var/run/docker.pid # left behind by an engine that died
    fi
    say "starting dockerd (log: $log_file)"
    start_dockerd ||
      start_dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none ||
      die "dockerd did not start with the default options nor with --storage-driver=vfs --iptables=false --bridge=none; see $log_file"
  fi
fi

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

say "building helper image $image from Debian's busybox-static (first run only)"
busybox=$(bash "$(dirname "${BASH_SOURCE[0]}")/install-tools.sh" busybox | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/data"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"

tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
  docker import \
    --change 'USER nobody' \
    --change 'ENTRYPOINT ["/bin/false"]' \
    --change 'ENV PATH=/bin' \
    --change 'LABEL org.k6obs.purpose=test-helper' \
    - "$image" >/dev/null
say "built $image"
echo "$image"
