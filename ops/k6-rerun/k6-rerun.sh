#!/usr/bin/env bash
# Runs the stack's k6 test again: replaces the run-id resource, which gives the run a new testid
# and so replaces (and re-runs) the one-shot k6 container. Nothing else changes.
#   npm run k6:rerun              # dev, asks for confirmation after the preview
#   K6OBS_STACK=ci npm run k6:rerun -- --yes
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
urn=$(bash "$here/../pulumi/pulumi.sh" stack output k6RunIdUrn 2>/dev/null || true)
if [[ -z "$urn" ]]; then
  echo "k6:rerun: the stack has no k6 run (k6Enabled is false, or 'npm run up' has not run yet)" >&2
  exit 1
fi
bash "$here/../pulumi/pulumi.sh" up --policy-pack "$here/../../policy" --replace "$urn" "$@"
bash "$here/../pulumi/pulumi.sh" stack output k6TestId
