#!/usr/bin/env bash
# Builds in Release and runs the benchmarks on this machine, writing bench/RESULTS.md (machine, date, commit, each
# figure as the median with its min–max over repeated runs). Never part of scripts/test.sh.
#   scripts/bench.sh [--runs N]
# The agent's footprint needs Docker and the test images (scripts/test-env.sh provides both); the micro-benchmarks
# (bench/Workers.Micro, BenchmarkDotNet) run with its short job unless WORKERS_BENCH_MICRO_JOB says otherwise.
# bench/findings/*.md (what was tried because of a figure, before and after) are copied in after the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
runs=5
[ "${1:-}" = "--runs" ] && runs="$2"
micro_job="${WORKERS_BENCH_MICRO_JOB:-short}"
micro_out=artifacts/bench/micro

dotnet build bench/Workers.Bench -c Release -nologo -v quiet >/dev/null
dotnet build bench/Workers.Micro -c Release -nologo -v quiet >/dev/null
# The CLI as installed (published: ReadyToRun), beside the build the tests run, for the reads' figure.
dotnet publish src/Cli.Host -c Release -nologo -v quiet -o artifacts/bench/cli >/dev/null
export WORKERS_BENCH_CLI="$PWD/artifacts/bench/cli/workers"
# The agent as it ships (compiled ahead of time; installs clang and zlib1g-dev when missing): what the footprint measures.
# shellcheck source=scripts/lib/aot.sh
source scripts/lib/aot.sh
workers_publish_agent "$PWD/artifacts/bench/agent"
export WORKERS_BENCH_AGENT="${WORKERS_BENCH_AGENT:-$PWD/artifacts/bench/agent/Workers.HostAgent}"
docker_ready=no
# shellcheck source=test-env.sh
if source scripts/test-env.sh >&2; then docker_ready=yes; fi
out=bench/RESULTS.md
{
  echo "# Workers benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), .NET $(dotnet --version)"
  echo "- command: \`scripts/bench.sh --runs $runs\` (each figure: median and min–max over $runs runs; the 1M row, the agent footprint and the throughput over at most 3, the deploy latency over at least 20)${WORKERS_BENCH_THROUGHPUT_ARGS:+; throughput with $WORKERS_BENCH_THROUGHPUT_ARGS}"
  echo
  dotnet bench/Workers.Bench/bin/Release/net10.0/Workers.Bench.dll all --runs "$runs"
  echo
  if [ "$docker_ready" = yes ]; then
    dotnet bench/Workers.Bench/bin/Release/net10.0/Workers.Bench.dll footprint --runs "$runs"
    echo
    # The full load (1,000 hosts, 1,000 deployments x 10 replicas) by default; WORKERS_BENCH_THROUGHPUT_ARGS can
    # shrink it (for example "--deployments 200") when a run must be short. The table states the load it ran.
    # shellcheck disable=SC2086
    dotnet bench/Workers.Bench/bin/Release/net10.0/Workers.Bench.dll throughput --runs "$runs" ${WORKERS_BENCH_THROUGHPUT_ARGS:-}
  else
    echo "## Agent footprint, control-plane throughput"
    echo "Not measured: Docker or the test images could not be prepared (see scripts/test-env.sh)."
  fi
  echo
  echo "## Micro-benchmarks (BenchmarkDotNet, job $micro_job)"
  rm -rf "$micro_out"
  dotnet run -c Release --no-build --project bench/Workers.Micro -- --filter '*' --job "$micro_job" --artifacts "$micro_out" >&2
  for report in "$micro_out"/results/*-report-github.md; do
    echo
    echo "### $(basename "$report" -report-github.md)"
    # BenchmarkDotNet's environment block is the same for every class; keep only the table.
    sed -n '/^|/p' "$report"
  done
  # What the figures led to (levers tried, before and after, limits of the design): kept by hand, one file per figure.
  for notes in bench/findings/*.md; do
    [ -e "$notes" ] || continue
    echo
    cat "$notes"
  done
  echo
} > "$out"
cat "$out"
