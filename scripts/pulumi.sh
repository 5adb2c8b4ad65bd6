#!/usr/bin/env bash
# Runs the Pulumi CLI from node_modules (the `pulumi` npm package: no global install) on one stack,
# with a local file backend unless PULUMI_BACKEND_URL says otherwise (no Pulumi Cloud account).
#
#   bash scripts/pulumi.sh up                 # the dev stack
#   K6OBS_STACK=ci bash scripts/pulumi.sh up  # another stack on the same or another Docker host
#
# State lives in $K6OBS_HOME (default ~/.local/state/k6-observatory): backend/ holds the stack
# state, passphrase encrypts its secrets (the Grafana admin password). Keep both; they are not data
# volumes, but without the passphrase the stack's secrets cannot be read.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${K6OBS_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/k6-observatory}
stack=${K6OBS_STACK:-dev}
pulumi="$repo/node_modules/.bin/pulumi"

if [[ ! -x "$pulumi" ]]; then
  echo "scripts/pulumi.sh: $pulumi not found; run 'npm install' first" >&2
  exit 1
fi

if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  mkdir -p "$home/backend"
  export PULUMI_BACKEND_URL="file://$home/backend"
fi
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  passphrase="$home/passphrase"
  if [[ ! -s "$passphrase" ]]; then
    mkdir -p "$home"
    (umask 077 && head -c 32 /dev/urandom | base64 >"$passphrase")
    echo "scripts/pulumi.sh: generated the secrets passphrase $passphrase - back it up with the state" >&2
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

cd "$repo"
if ! "$pulumi" stack select "$stack" >/dev/null 2>&1; then
  # Only commands that configure or deploy create a missing stack; a typo in K6OBS_STACK for
  # `stack output`, `destroy` or a backup must not silently create an empty one.
  case "${1:-}" in
    up | preview | config | import) "$pulumi" stack init "$stack" >&2 ;;
    *)
      echo "scripts/pulumi.sh: stack '$stack' does not exist in $PULUMI_BACKEND_URL (create it with 'npm run up')" >&2
      exit 1
      ;;
  esac
fi
exec "$pulumi" "$@"
