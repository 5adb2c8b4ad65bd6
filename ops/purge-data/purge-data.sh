#!/usr/bin/env bash
# Deletes a stack's data volumes - the only code path in this project that deletes data.
# `pulumi destroy` never does: the volumes are retainOnDelete. Run it after destroy; it names every
# volume it is about to delete and wants the stack name typed back (or --confirm <stack>).
#   K6OBS_STACK=dev npm run purge-data
#   K6OBS_STACK=ci npm run purge-data -- --confirm ci
#   npm run purge-data -- --volume monitoring_grafana_data   # an adopted volume without our labels
set -euo pipefail

stack=${K6OBS_STACK:-dev}
confirm=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --confirm) confirm=${2:-}; shift 2 ;;
    --volume) extra+=("${2:-}"); shift 2 ;;
    *) echo "purge-data: unknown argument $1 (use --confirm <stack>, --volume <name>)" >&2; exit 2 ;;
  esac
done

mapfile -t volumes < <(docker volume ls -q --filter "label=k6obs.stack=$stack" --filter "label=k6obs.retain=true")
volumes+=("${extra[@]}")
if [[ ${#volumes[@]} -eq 0 ]]; then
  echo "purge-data: no data volumes labelled k6obs.stack=$stack (adopted volumes keep their own labels: name them with --volume)"
  exit 0
fi

echo "purge-data: these volumes of stack '$stack' will be deleted with all their data:"
printf '  %s\n' "${volumes[@]}"
if [[ -z "$confirm" ]]; then
  if [[ ! -t 0 ]]; then
    echo "purge-data: not a terminal; pass --confirm $stack to delete" >&2
    exit 1
  fi
  read -r -p "Type the stack name ($stack) to delete them: " confirm
fi
if [[ "$confirm" != "$stack" ]]; then
  echo "purge-data: confirmation '$confirm' does not match '$stack'; nothing deleted" >&2
  exit 1
fi

in_use=$(docker ps -a -q --filter "label=k6obs.stack=$stack")
if [[ -n "$in_use" ]]; then
  echo "purge-data: stack '$stack' still has containers; run 'K6OBS_STACK=$stack npm run destroy' first" >&2
  exit 1
fi
docker volume rm "${volumes[@]}"
echo "purge-data: deleted ${#volumes[@]} volume(s)"
