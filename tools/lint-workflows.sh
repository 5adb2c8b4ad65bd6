#!/usr/bin/env bash
# Lints .github/workflows with actionlint (pinned, built by tools/install-tools.sh). actionlint
# also runs the same pinned ShellCheck on `run:` scripts.
# Extra arguments are passed to actionlint (e.g. -color, -verbose).
set -euo pipefail
repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
actionlint=$(bash "$repo_dir/tools/install-tools.sh" actionlint | tail -n 1)
shellcheck=$(bash "$repo_dir/tools/install-tools.sh" shellcheck | tail -n 1)
cd "$repo_dir"
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "lint-workflows: no workflow files under .github/workflows" >&2
  exit 1
fi
exec "$actionlint" -shellcheck "$shellcheck" "$@" "${workflows[@]}"
