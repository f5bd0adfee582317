#!/usr/bin/env bash
# Builds in Release and runs the benchmarks on this machine, writing bench/RESULTS.md (machine, date, commit, each
# figure as the median with its min–max over repeated runs). Never part of scripts/test.sh.
#   scripts/bench.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
runs=5
[ "${1:-}" = "--runs" ] && runs="$2"

dotnet build bench/Workers.Bench -c Release -nologo -v quiet >/dev/null
out=bench/RESULTS.md
{
  echo "# Workers benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), .NET $(dotnet --version)"
  echo "- command: \`scripts/bench.sh --runs $runs\` (each figure: median and min–max over $runs runs; the 1M row over at most 3)"
  echo
  dotnet bench/Workers.Bench/bin/Release/net10.0/Workers.Bench.dll all --runs "$runs"
  echo
  echo "## Not measured yet"
  echo "Deploy latency against the Docker floor and Swarm, control-plane throughput on RabbitMQ with PostgreSQL, and the"
  echo "agent's footprint (issue: Measure it) have no harness yet."
} > "$out"
cat "$out"
