#!/usr/bin/env bash
# The functions host's resident memory under unauthenticated large posts (issue 10): 32 concurrent 24 MiB posts with no
# or a wrong signature to each webhook and with a wrong token to /api/deployments, sent with curl as a hostile client
# would (no Expect: 100-continue). Prints, per case, the answers, the time and VmRSS; then before/peak/after, and the
# answer to a valid request right after.
# Usage: bash bench/intake-memory.sh [CONCURRENT] [MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
concurrent=${1:-32}
mib=${2:-24}
port=$((20000 + RANDOM % 10000))
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; kill "$sampler" 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build src/Functions.Host -c Release -v quiet -nologo >/dev/null
head -c $((mib * 1024 * 1024)) /dev/zero > "$work/body"
WORKERS_HTTP_URLS=http://127.0.0.1:$port WORKERS_BROKER=memory WORKERS_STORE="$work/store.db" WORKERS_API_TOKENS=bench-token \
  WORKERS_GITHUB_SECRET=bench-secret WORKERS_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw Logging__LogLevel__Default=Error \
  dotnet src/Functions.Host/bin/Release/net10.0/Workers.Functions.Host.dll >"$work/host.log" 2>&1 &
pid=$!
rss() { awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$pid/status"; }
for _ in $(seq 1 300); do
  curl -fs -o /dev/null -H 'Authorization: Bearer bench-token' "http://127.0.0.1:$port/api/hosts" && break
  sleep 0.1
done

ping='{"zen":"Keep it logically awesome.","hook_id":1}'
signed_ping() {
  local sig="sha256=$(printf '%s' "$ping" | openssl dgst -sha256 -hmac bench-secret -hex | sed 's/^.* //')"
  curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/hooks/github" -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: $RANDOM" -H "X-Hub-Signature-256: $sig" --data-binary "$ping"
}
signed_ping >/dev/null
before=$(rss)
( peak=0; while true; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" > "$work/peak"; sleep 0.02; done ) &
sampler=$!

flood() {
  local name=$1 path=$2; shift 2
  local start=$(date +%s.%N) curls=()
  for i in $(seq 1 "$concurrent"); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 -X POST "http://127.0.0.1:$port$path" -H 'Expect:' \
      -H 'Content-Type: application/json' "$@" --data-binary "@$work/body" > "$work/out.$i" 2>/dev/null &
    curls+=($!)
  done
  wait "${curls[@]}" || true
  local seconds=$(echo "$(date +%s.%N) - $start" | bc)
  printf '%-26s %d x %d MiB in %5.1f s, answers %s, resident %d MB\n' "$name" "$concurrent" "$mib" "$seconds" \
    "$(cat "$work"/out.* | sort | uniq -c | awk '{ printf "%s%s x%s", sep, ($2 == "000" ? "closed" : $2), $1; sep=", " }')" "$(rss)"
  rm -f "$work"/out.*
}
flood "github, no signature" /api/hooks/github -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d'
flood "github, wrong signature" /api/hooks/github -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d' \
  -H "X-Hub-Signature-256: sha256=$(printf '0%.0s' $(seq 1 64))"
flood "events, no signature" /api/hooks/events -H 'webhook-id: msg_1'
flood "events, wrong signature" /api/hooks/events -H 'webhook-id: msg_1' -H "webhook-timestamp: $(date +%s)" \
  -H "webhook-signature: v1,$(head -c 32 /dev/zero | base64)"
flood "deployments, wrong token" /api/deployments -H 'Authorization: Bearer wrong'
kill "$sampler" 2>/dev/null || true
echo "resident memory: $before MB before, $(cat "$work/peak") MB at most, $(rss) MB after; a signed ping right after: $(signed_ping)"
