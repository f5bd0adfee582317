#!/usr/bin/env bash
# The floor under a lean agent (bench/LeanFloor): publishes it with NativeAOT, runs it against RabbitMQ in a container
# of the local test image for 70 s and prints its first-heartbeat time, its resident memory and its CPU over the last
# 60 s. Installs what NativeAOT needs (clang, zlib1g-dev) when missing. Figures: bench/findings/footprint.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# shellcheck source=scripts/lib/aot.sh
source scripts/lib/aot.sh
workers_ensure_aot_toolchain
source scripts/test-env.sh >&2
out=artifacts/bench/lean-floor
dotnet publish bench/LeanFloor -c Release -r linux-x64 -nologo -v quiet -o "$out" >&2

password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
broker=$(docker run -d --label workers.bench=lean-floor -e RABBITMQ_DEFAULT_USER=workers -e RABBITMQ_DEFAULT_PASS="$password" \
  -p 127.0.0.1::5672 "$WORKERS_TEST_RABBITMQ_IMAGE")
agent=
cleanup() { [ -n "$agent" ] && kill "$agent" 2>/dev/null; docker rm -f "$broker" >/dev/null; }
trap cleanup EXIT
port=$(docker port "$broker" 5672/tcp | head -1 | sed 's/.*://')
deadline=$((SECONDS + 120))
until docker exec "$broker" rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "RabbitMQ did not listen within 120 s" >&2; exit 1; }
  sleep 1
done

log=$(mktemp)
WORKERS_BENCH_AMQP="amqp://workers:$password@127.0.0.1:$port/" "$out/Workers.Bench.LeanFloor" >"$log" 2>&1 &
agent=$!
sleep 10
ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
before=$(ticks)
sleep 60
after=$(ticks)
grep -o 'first heartbeat confirmed.*' "$log" || { cat "$log" >&2; exit 1; }
echo "resident: $(awk '/^VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$agent/status"), of it anonymous $(awk '/^RssAnon/ {printf "%.1f MiB", $2 / 1024}' "/proc/$agent/status")"
echo "CPU over 60 s idle: $(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f %% of a core", 100 * t / hz / 60}')"
echo "executable: $(du -m "$out/Workers.Bench.LeanFloor" | cut -f1) MB"
rm -f "$log"
