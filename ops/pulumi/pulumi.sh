#!/usr/bin/env bash
# Runs the Pulumi CLI from node_modules (the `pulumi` npm package: no global install) on one stack,
# with a local file backend unless PULUMI_BACKEND_URL says otherwise (no Pulumi Cloud account).
#
#   bash ops/pulumi/pulumi.sh up                 # the dev stack
#   K6OBS_STACK=ci bash ops/pulumi/pulumi.sh up  # another stack on the same or another Docker host
#
# State lives in $K6OBS_HOME (default ~/.local/state/k6-observatory): backend/ holds the stack
# state, passphrase encrypts its secrets (the Grafana admin password). Keep both; they are not data
# volumes, but without the passphrase the stack's secrets cannot be read.
#
# The passphrase is per machine, so nothing derived from it may land in a tracked file. Pulumi
# writes the stack's `encryptionsalt:` into Pulumi.<stack>.yaml (on `stack init` and whenever it
# opens the secrets manager); committed, it makes every other machine's passphrase "incorrect".
# The salt is also kept in the stack's state, so this wrapper removes it from Pulumi.<stack>.yaml
# before and after every command and lets the CLI read it from the state
# (PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER). `config set --secret` values are encrypted with this
# machine's passphrase too: keep them out of commits (README, "Stack files and secrets").
# `stack rm` always gets --preserve-config: without it Pulumi deletes the tracked stack file.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
home=${K6OBS_HOME:-${XDG_STATE_HOME:-$HOME/.local/state}/k6-observatory}
stack=${K6OBS_STACK:-dev}
pulumi="$repo/node_modules/.bin/pulumi"

if [[ ! -x "$pulumi" ]]; then
  echo "ops/pulumi/pulumi.sh: $pulumi not found; run 'npm install' first" >&2
  exit 1
fi

# The state holds every resource's inputs and the passphrase unlocks its secrets: private to the user.
mkdir -p "$home"
chmod 700 "$home"
if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  mkdir -p "$home/backend"
  chmod 700 "$home/backend"
  export PULUMI_BACKEND_URL="file://$home/backend"
fi
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  passphrase="$home/passphrase"
  if [[ ! -s "$passphrase" ]]; then
    mkdir -p "$home"
    (umask 077 && head -c 32 /dev/urandom | base64 >"$passphrase")
    echo "ops/pulumi/pulumi.sh: generated the secrets passphrase $passphrase - back it up with the state" >&2
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true

stack_file="$repo/Pulumi.$stack.yaml"
drop_salt() {
  if [[ -f "$stack_file" ]] && grep -q '^encryptionsalt:' "$stack_file"; then
    local kept
    kept=$(grep -v '^encryptionsalt:' "$stack_file" || true)
    printf '%s\n' "$kept" >"$stack_file"
  fi
}
drop_salt
trap drop_salt EXIT

cd "$repo"
if ! "$pulumi" stack select "$stack" >/dev/null 2>&1; then
  # Only commands that configure or deploy create a missing stack; a typo in K6OBS_STACK for
  # `stack output`, `destroy` or a backup must not silently create an empty one.
  case "${1:-}" in
    up | preview | config | import) "$pulumi" stack init "$stack" >&2 ;;
    *)
      echo "ops/pulumi/pulumi.sh: stack '$stack' does not exist in $PULUMI_BACKEND_URL (create it with 'npm run up')" >&2
      exit 1
      ;;
  esac
fi
args=("$@")
if [[ "${1:-}" == stack && "${2:-}" == rm ]]; then
  args=(stack rm --preserve-config "${@:3}")
fi
status=0
"$pulumi" ${args[@]+"${args[@]}"} || status=$?
if ((status != 0)) && grep -q '^ *secure: ' "$stack_file" 2>/dev/null; then
  echo "ops/pulumi/pulumi.sh: if the error is 'could not decrypt': the secret values in Pulumi.$stack.yaml were set on a machine with another passphrase; set them again here ('npm run pulumi -- config set --secret <key> <value>') and do not commit them" >&2
fi
exit "$status"
