#!/usr/bin/env bash
# End-to-end proof that data survives `pulumi destroy`, for a machine with Docker, network access
# to the image registry and the Pulumi CLI (npm install gives the CLI). It cannot run in the
# project's build sandbox (no registry, no Pulumi engine); npm test covers the graph with mocks.
#
#   bash scripts/e2e-persistence.sh
#
# up -> create a dashboard through Grafana's API -> destroy -> up -> the dashboard and the
# Prometheus samples of the first run are still there, and the new admin password works on the old
# database -> PASS/FAIL. Uses its own stack (e2e-*),
# ports 3500/9590, and deletes that stack's volumes at the end (purge-data with --confirm).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stack="e2e-$(date +%s)"
export K6OBS_STACK=$stack
p() { bash "$here/pulumi.sh" "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=new Function("o","return o"+process.argv[1])(JSON.parse(s));console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
  p destroy --yes --skip-preview >/dev/null 2>&1 || true
  bash "$here/purge-data.sh" --confirm "$stack" >/dev/null 2>&1 || true
  p stack rm --yes --force >/dev/null 2>&1 || true
}
trap cleanup EXIT
# Any unexpected failure still ends in a FAIL line naming the command.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND"' ERR

p config set grafanaPort 3500
p config set prometheusPort 9590
p up --yes --skip-preview --policy-pack "$here/../policy"

grafana=$(p stack output grafanaUrl) || fail "no stack outputs after the first up"
prometheus=$(p stack output prometheusUrl)
user=$(p stack output grafanaAdminUser)
password=$(p stack output grafanaAdminPassword --show-secrets)
testid=$(p stack output k6TestId)
auth=(-u "$user:$password")

uid="e2e-$stack"
curl -fsS "${auth[@]}" -H 'Content-Type: application/json' -X POST "$grafana/api/dashboards/db" \
  -d "{\"dashboard\":{\"uid\":\"$uid\",\"title\":\"Survives destroy $stack\",\"panels\":[]},\"overwrite\":false}" >/dev/null ||
  fail "could not create a dashboard through the API"

query="count_over_time(k6_http_reqs_total{testid=\"$testid\"}[1h])"
before=$(curl -fsS --get "$prometheus/api/v1/query" --data-urlencode "query=$query" | json '.data.result.length') ||
  fail "could not query Prometheus at $prometheus after the first up"
[[ "$before" -gt 0 ]] || fail "no k6 samples for testid $testid after the first up"

p destroy --yes --skip-preview || fail "pulumi destroy failed"
docker volume inspect "$(p stack output prometheusVolume 2>/dev/null || echo "k6obs-$stack-prometheus-data")" >/dev/null ||
  fail "the Prometheus volume did not survive destroy"

p config set k6Enabled false
p up --yes --skip-preview --policy-pack "$here/../policy"
# destroy dropped the generated password from state, so this up generated a new one; logging in
# with it proves the password is applied to the existing grafana.db on start.
password=$(p stack output grafanaAdminPassword --show-secrets)
auth=(-u "$user:$password")

title=$(curl -fsS "${auth[@]}" "$grafana/api/dashboards/uid/$uid" | json '.dashboard.title') ||
  fail "dashboard $uid is gone after destroy + up"
[[ "$title" == "Survives destroy $stack" ]] || fail "dashboard title is '$title'"
after=$(curl -fsS --get "$prometheus/api/v1/query" --data-urlencode "query=$query" | json '.data.result.length') ||
  fail "could not query Prometheus at $prometheus after destroy + up"
[[ "$after" -gt 0 ]] || fail "the k6 samples of $testid are gone after destroy + up"

echo "PASS: dashboard $uid and the samples of $testid survived pulumi destroy"
