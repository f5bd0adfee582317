#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs and starts what the tests need (the Docker engine and the
# locally built test images), builds with warnings as errors, runs all test projects, the link check of README.md
# and docs/ and the multi-host walkthrough (scripts/cluster.sh test; each counted as one test), and ends with one line:
#   tests: N passed, N failed, N skipped
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Docker and the test images (RabbitMQ, PostgreSQL, the HTTP workload) for the integration tests.
# shellcheck source=scripts/test-env.sh
source scripts/test-env.sh

dotnet build Workers.sln -c Release -warnaserror -nologo -v quiet

# The agent as it ships, compiled ahead of time (installs clang and zlib1g-dev when missing): the fault-injection suite
# runs this executable (WORKERS_TEST_AGENT), as scripts/cluster.sh does its own publish.
# shellcheck source=scripts/lib/aot.sh
source scripts/lib/aot.sh
workers_publish_agent "$root/artifacts/test-agent"
export WORKERS_TEST_AGENT="$root/artifacts/test-agent/Workers.HostAgent"

# The Azure Bicep compiles and lints (the Bicep CLI comes from its NuGet package).
bash infra/azure/check.sh

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
log="$results/test.log"
set +e
# The relative links and #anchors of README.md and docs/*.md: one test, passed or failed.
bash scripts/check-links.sh > "$results/links.log" 2>&1
links=$?
cat "$results/links.log"
# One test project at a time: the integration and fault-injection suites each run real processes and containers
# on these 2 cores, and side by side they would only slow each other into their deadlines.
dotnet test Workers.sln -c Release --no-build --nologo -m:1 \
  --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The multi-host walkthrough of docs/operations.md as written (built binaries, RabbitMQ and its per-role users, the
# functions, two agents; deploy, status, delete; down leaves no process or container): one test, passed or failed. After
# the test projects, so its publish step cannot touch what they run.
bash scripts/cluster.sh test > "$results/cluster.log" 2>&1
cluster=$?
tail -n 1 "$results/cluster.log"
set -e

# Sum the counters of every test assembly's TRX report.
counter() { grep -ahoE "<Counters [^>]*>" "$results"/*.trx 2>/dev/null | grep -oE " $1=\"[0-9]+\"" | grep -oE "[0-9]+" | awk '{ s += $1 } END { print s + 0 }'; }
passed=$(counter passed)
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) ))
skipped=$(counter notExecuted)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A crash or a build problem that no summary counted still fails the run.
  failed=1
fi
if [ "$links" -eq 0 ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  [ "$status" -ne 0 ] || status=1
fi
if [ "$cluster" -eq 0 ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  [ "$status" -ne 0 ] || status=1
fi
# Name what failed just above the summary, so the tail of a CI log says which test broke and why.
if [ "$failed" -ne 0 ]; then
  # The fault suite's own account of a failed run (the faults, then the queues and store sessions when it gave up).
  if grep -q "Failed Workers.FaultInjection" "$log"; then
    for scenario in "$results"/fault-injection/*/scenario.log; do
      [ -f "$scenario" ] || continue
      echo "Tail of $scenario:"
      grep -v " dip: " "$scenario" | tail -n 40 | cut -c1-240
    done
  fi
  grep -E -A 12 "^\s+Failed [A-Za-z_.]+" "$log" | grep -v -E "^\s+Passed " | head -60 || true
  grep -E "Test Run Aborted|The active test run was aborted|Test host process crashed|error MSB|: error " "$log" | head -20 || true
  if [ "$links" -ne 0 ]; then
    echo "Failed link check (scripts/check-links.sh):"
    grep -v "^links: " "$results/links.log" | head -20 || true
  fi
  if [ "$cluster" -ne 0 ]; then
    echo "Failed walkthrough (scripts/cluster.sh test; the processes' logs in artifacts/cluster/*.log):"
    grep -E "FAIL|differs|quoted in none|\[cluster\]|rror" "$results/cluster.log" | tail -20 || true
  fi
fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
