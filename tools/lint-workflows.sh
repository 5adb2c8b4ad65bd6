#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built through the Go module proxy at a pinned version
# into the same tool cache as tools/install-tools.sh; later runs reuse the binary. actionlint
# also runs ShellCheck on `run:` scripts when it finds it (on PATH or in the tool cache), and skips
# that check otherwise.
# Extra arguments are passed to actionlint (e.g. -color, -verbose).
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12

repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${K6OBS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/k6-observatory/tools}
bin_dir="$cache_dir/actionlint-${ACTIONLINT_VERSION}"
actionlint="$bin_dir/actionlint"

if [[ ! -x "$actionlint" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "lint-workflows: Go is required to build actionlint ${ACTIONLINT_VERSION}; install Go 1.24 or newer" >&2
    exit 1
  fi
  echo "lint-workflows: building actionlint ${ACTIONLINT_VERSION} (first run only)" >&2
  mkdir -p "$bin_dir"
  # Build into a temporary GOBIN and move into place, so an interrupted build never leaves a
  # half-written binary that later runs would trust.
  tmp_bin="$bin_dir.tmp.$$"
  trap 'rm -rf "$tmp_bin"' EXIT
  GOBIN="$tmp_bin" CGO_ENABLED=0 go install -trimpath "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
  mv "$tmp_bin/actionlint" "$actionlint"
  rm -rf "$tmp_bin" # the EXIT trap does not fire after the exec below
  trap - EXIT
fi

# Use the pinned ShellCheck that tools/lint-shell.sh keeps in the same cache, when it is there and
# none is on PATH, so `run:` scripts are checked the same way everywhere.
shopt -s nullglob
if ! command -v shellcheck >/dev/null 2>&1; then
  cached=("$cache_dir"/shellcheck-*/bin/shellcheck)
  if [[ ${#cached[@]} -gt 0 ]]; then
    PATH="$(dirname "${cached[-1]}"):$PATH"
  fi
fi

cd "$repo_dir"
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "lint-workflows: no workflow files under .github/workflows" >&2
  exit 1
fi
exec "$actionlint" "$@" "${workflows[@]}"
