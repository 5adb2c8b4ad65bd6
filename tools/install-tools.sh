#!/usr/bin/env bash
# Builds prometheus and promtool (Apache-2.0) at exactly the version of the pinned image
# (model/images.ts) through the Go module proxy, into a cache that later runs reuse.
# `install-tools.sh alertmanager` builds alertmanager and amtool (Apache-2.0) the same way instead.
# k6 is AGPL and is never built or downloaded here: the tests use tests/harness/emitter instead.
# Prints the directory holding the binaries on its last line.
set -euo pipefail

tool=${1:-prometheus}
case "$tool" in
  prometheus | alertmanager) ;;
  *)
    echo "install-tools: unknown tool '$tool' (use prometheus or alertmanager)" >&2
    exit 2
    ;;
esac

repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${K6OBS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/k6-observatory/tools}

eval "$("$repo_dir/node_modules/.bin/tsx" "$repo_dir/tools/tool-versions.ts")"

if ! command -v go >/dev/null 2>&1; then
  echo "install-tools: Go is required to build Prometheus ${PROMETHEUS_VERSION} / Alertmanager ${ALERTMANAGER_VERSION}; install Go 1.26 or newer (Prometheus v3.15 requires it; older Go with GOTOOLCHAIN=auto downloads it)" >&2
  exit 1
fi

if [[ "$tool" == alertmanager ]]; then
  bin_dir="$cache_dir/alertmanager-v${ALERTMANAGER_VERSION}"
  mkdir -p "$bin_dir"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$bin_dir.lock"
    flock 9
  fi
  if [[ ! -x "$bin_dir/alertmanager" || ! -x "$bin_dir/amtool" ]]; then
    echo "install-tools: building alertmanager and amtool ${ALERTMANAGER_VERSION} (first run only)" >&2
    work=$(mktemp -d)
    trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
    (
      cd "$work"
      go mod init k6obs-tools >/dev/null 2>&1
      module=github.com/prometheus/alertmanager
      go get "$module/cmd/alertmanager@v${ALERTMANAGER_VERSION}" "$module/cmd/amtool@v${ALERTMANAGER_VERSION}"
      # ui/web.go embeds ui/app/dist, which upstream builds with npm and leaves out of the module
      # zip: build from a copy of the same module source with a placeholder page there. The API
      # (/api/v2) is complete; the web UI shows that placeholder.
      src=$(go list -m -f '{{.Dir}}' "$module")
      cp -r "$src" "$work/alertmanager-src"
      chmod -R u+w "$work/alertmanager-src"
      for ui in elm mantine; do
        mkdir -p "$work/alertmanager-src/ui/app/dist/$ui"
        echo '<!doctype html><title>Alertmanager</title><p>Web UI not built (k6-observatory test build); the API under /api/v2 works.</p>' \
          >"$work/alertmanager-src/ui/app/dist/$ui/index.html"
      done
      go mod edit -replace "$module=./alertmanager-src"
      ldflags="-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION}"
      ldflags+=" -X github.com/prometheus/common/version.Branch=HEAD"
      ldflags+=" -X github.com/prometheus/common/version.BuildUser=k6-observatory"
      CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin_dir/alertmanager.tmp" "$module/cmd/alertmanager"
      CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin_dir/amtool.tmp" "$module/cmd/amtool"
    )
    mv "$bin_dir/alertmanager.tmp" "$bin_dir/alertmanager"
    mv "$bin_dir/amtool.tmp" "$bin_dir/amtool"
  fi
  echo "$bin_dir"
  exit 0
fi

bin_dir="$cache_dir/prometheus-v${PROMETHEUS_VERSION}"
mkdir -p "$bin_dir"

# Parallel test workers call this script at the same time: one builds, the others wait for it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir.lock"
  flock 9
fi

if [[ ! -x "$bin_dir/prometheus" || ! -x "$bin_dir/promtool" ]]; then
  echo "install-tools: building prometheus and promtool ${PROMETHEUS_VERSION} (first run only)" >&2
  # Prometheus' go.mod has exclude directives, which `go install pkg@version` refuses; a throwaway
  # wrapper module builds the same packages at the same version.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    go mod init k6obs-tools >/dev/null 2>&1
    go get "github.com/prometheus/prometheus/cmd/prometheus@${PROMETHEUS_MODULE_VERSION}" \
      "github.com/prometheus/prometheus/cmd/promtool@${PROMETHEUS_MODULE_VERSION}"
    ldflags="-X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION}"
    ldflags+=" -X github.com/prometheus/common/version.Branch=HEAD"
    ldflags+=" -X github.com/prometheus/common/version.BuildUser=k6-observatory"
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin_dir/prometheus.tmp" github.com/prometheus/prometheus/cmd/prometheus
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin_dir/promtool.tmp" github.com/prometheus/prometheus/cmd/promtool
  )
  mv "$bin_dir/prometheus.tmp" "$bin_dir/prometheus"
  mv "$bin_dir/promtool.tmp" "$bin_dir/promtool"
fi

echo "$bin_dir"
