#!/usr/bin/env bash
# Runs ShellCheck (pinned, installed by tools/install-tools.sh) on every shell script of the repo.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shellcheck=$(bash "$repo/tools/install-tools.sh" shellcheck | tail -n 1)
cd "$repo"
mapfile -t scripts < <(git ls-files '*.sh' .ci/run; git ls-files --others --exclude-standard '*.sh')
"$shellcheck" "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
