#!/usr/bin/env bash
# Deletes a stack's data volumes - the only code path in this project that deletes data.
# `pulumi destroy` never does: the volumes are retainOnDelete. Run it after destroy.
#
#   K6OBS_STACK=dev npm run purge-data                    # the stack's labelled volumes, asks for "dev"
#   K6OBS_STACK=ci npm run purge-data -- --confirm ci
#   npm run purge-data -- --volume monitoring_grafana_data --confirm-volume monitoring_grafana_data
#
# What it may delete, and nothing else:
#   - volumes labelled k6obs.stack=<stack> and k6obs.retain=true, confirmed by typing the stack name;
#   - a volume named with --volume (e.g. an adopted compose volume without our labels), confirmed by
#     typing that volume's own name back (--confirm-volume NAME); a --volume that carries another
#     stack's k6obs.stack label is refused.
# Every volume is checked before anything is deleted (exists, not used by a container), deleted one
# at a time, and the end reports exactly which were deleted and which were not, and why.
set -euo pipefail

stack=${K6OBS_STACK:-dev}
confirm=""
named=()
confirmed_names=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --confirm | --volume | --confirm-volume)
      [[ $# -ge 2 && -n $2 ]] || {
        echo "purge-data: $1 needs a value" >&2
        exit 2
      }
      case "$1" in
        --confirm) confirm=$2 ;;
        --volume) named+=("$2") ;;
        --confirm-volume) confirmed_names+=("$2") ;;
      esac
      shift 2
      ;;
    *)
      echo "purge-data: unknown argument $1 (use --confirm <stack>, --volume <name>, --confirm-volume <name>)" >&2
      exit 2
      ;;
  esac
done

die() {
  echo "purge-data: $*; nothing deleted" >&2
  exit 1
}
label_of() { docker volume inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null; }
contains() {
  local x=$1
  shift
  for y in "$@"; do [[ $x == "$y" ]] && return 0; done
  return 1
}

mapfile -t labelled < <(docker volume ls -q --filter "label=k6obs.stack=$stack" --filter "label=k6obs.retain=true")

for v in "${named[@]}"; do
  docker volume inspect "$v" >/dev/null 2>&1 || die "--volume $v: no such volume"
  owner=$(label_of "$v" k6obs.stack)
  if [[ -n $owner && $owner != "$stack" ]]; then
    die "--volume $v belongs to stack '$owner' (label k6obs.stack=$owner), not '$stack'; run it as K6OBS_STACK=$owner"
  fi
done

if [[ ${#labelled[@]} -eq 0 && ${#named[@]} -eq 0 ]]; then
  echo "purge-data: no data volumes labelled k6obs.stack=$stack (adopted volumes keep their own labels: name them with --volume)"
  exit 0
fi

in_use=$(docker ps -a -q --filter "label=k6obs.stack=$stack")
[[ -z $in_use ]] || die "stack '$stack' still has containers; run 'K6OBS_STACK=$stack npm run destroy' first"

echo "purge-data: these volumes will be deleted with all their data:"
for v in "${labelled[@]}"; do echo "  $v   (labelled k6obs.stack=$stack)"; done
for v in "${named[@]}"; do contains "$v" "${labelled[@]}" || echo "  $v   (named with --volume)"; done

if [[ ${#labelled[@]} -gt 0 && $confirm != "$stack" ]]; then
  if [[ -n $confirm ]]; then
    die "confirmation '$confirm' does not match '$stack'"
  fi
  [[ -t 0 ]] || die "not a terminal; pass --confirm $stack to delete the stack's volumes"
  read -r -p "Type the stack name ($stack) to delete its labelled volumes: " confirm
  [[ $confirm == "$stack" ]] || die "confirmation '$confirm' does not match '$stack'"
fi
for v in "${named[@]}"; do
  contains "$v" "${labelled[@]}" && continue
  if ! contains "$v" "${confirmed_names[@]}"; then
    [[ -t 0 ]] || die "--volume $v: not a terminal; pass --confirm-volume $v to delete it"
    read -r -p "Type the volume name ($v) to delete it: " typed
    [[ $typed == "$v" ]] || die "confirmation '$typed' does not match '$v'"
  fi
done

targets=("${labelled[@]}")
for v in "${named[@]}"; do contains "$v" "${targets[@]}" || targets+=("$v"); done
deleted=()
kept=()
for v in "${targets[@]}"; do
  users=$(docker ps -a -q --filter "volume=$v" | tr '\n' ' ')
  if [[ -n $users ]]; then
    kept+=("$v (used by container(s) ${users% })")
  elif out=$(docker volume rm "$v" 2>&1); then
    deleted+=("$v")
  else
    kept+=("$v ($out)")
  fi
done
echo "purge-data: deleted ${#deleted[@]} volume(s):"
for v in "${deleted[@]}"; do echo "  $v"; done
if [[ ${#kept[@]} -gt 0 ]]; then
  echo "purge-data: NOT deleted ${#kept[@]} volume(s):" >&2
  for v in "${kept[@]}"; do echo "  $v" >&2; done
  exit 1
fi
