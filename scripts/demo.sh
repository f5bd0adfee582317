#!/usr/bin/env bash
# The main job, on one machine with nothing but Docker: the embedded default (functions, one agent, in-memory bus,
# SQLite under ~/.local/share/workers). It makes sure Docker runs and the workload image exists, shows what
# `workers validate` says of the examples, deploys examples/hello.yaml (3 replicas of busybox httpd) with --wait,
# curls every replica on the port Workers bound for it, and prints `workers status`. The deploy starts the local server
# (`workers serve`, in the background) that keeps watching the replicas.
# Remove the deployment afterwards with: dotnet src/Cli.Host/bin/Release/net10.0/workers.dll delete hello --wait
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# shellcheck source=scripts/lib/docker.sh
source scripts/lib/docker.sh
# shellcheck source=scripts/images.sh
source scripts/images.sh
workers_ensure_docker
workers_provide_workload_image

dotnet build src/Cli.Host -c Release -nologo -v quiet >/dev/null
workers() { dotnet src/Cli.Host/bin/Release/net10.0/workers.dll "$@"; }

echo "== workers validate examples/web.yaml examples/broken.yaml"
workers validate examples/web.yaml examples/broken.yaml || true

echo
echo "== workers deploy examples/hello.yaml --wait"
workers deploy examples/hello.yaml --wait

echo
echo "== curl every replica"
for port in $(workers status hello --format json | grep -A3 '"hostPort"' | grep -oE '"hostPort": [0-9]+' | grep -oE '[0-9]+$'); do
  printf '127.0.0.1:%s -> ' "$port"
  curl -fsS --max-time 5 "http://127.0.0.1:${port}/"
done

echo
echo "== workers status hello"
workers status hello
echo
echo "Remove it with: dotnet src/Cli.Host/bin/Release/net10.0/workers.dll delete hello --wait"
