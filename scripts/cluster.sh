#!/usr/bin/env bash
# The multi-host walkthrough of docs/operations.md ("A cluster on one machine"), run on this machine exactly as
# written there: RabbitMQ in a container with a user per role, the functions host, and two agents (host-a, host-b)
# sharing this Docker engine, each run from the built binaries in artifacts/cluster/.
#
#   scripts/cluster.sh up       build once, start the broker and its users, the functions and the two agents, wait
#                               until both agents are live; prints the WORKERS_BROKER line for the CLI
#   scripts/cluster.sh status   `workers hosts` and `workers status` against that broker
#   scripts/cluster.sh down     stop the agents and the functions (SIGTERM, then wait for them to exit) and remove the
#                               broker's container; the keys and the store in artifacts/cluster/data stay
#   scripts/cluster.sh check    the docs quote exactly the lines this script runs (each block marked "# doc: NAME" here,
#                               and "<!-- scripts/cluster.sh: NAME -->" before its code block in the docs)
#   scripts/cluster.sh test     check, then up on fresh data, deploy examples/hello.yaml, check that both agents run
#                               replicas, delete it, down, and check that no process and no container is left behind
#
# RABBITMQ_IMAGE picks the broker's image (default rabbitmq:3.13-management); where no registry is reachable,
# RABBITMQ_IMAGE=workers-test/rabbitmq:3.10, built by `bash scripts/images.sh` (`test` defaults to
# WORKERS_TEST_RABBITMQ_IMAGE). Between commands the passwords and process ids are kept in artifacts/cluster/ (mode 0600).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

state=artifacts/cluster
docs=(README.md docs/operations.md)

log() { printf '[cluster] %s\n' "$*" >&2; }

# Prints block $2 of file $1, each line without its indentation: in this script the lines after "# doc: NAME" up to
# the next blank line; in a markdown file the code block after "<!-- scripts/cluster.sh: NAME -->".
block() {
  awk -v name="$2" '
    { line = $0; sub(/^[ \t]+/, "", line) }
    FILENAME ~ /\.sh$/ {
      if (line == "# doc: " name) { on = 1; next }
      if (on && line == "") exit
      if (on) print line
      next
    }
    line == "<!-- scripts/cluster.sh: " name " -->" { armed = 1; next }
    armed && line ~ /^```/ { if (on) exit; on = 1; next }
    on { print line }
  ' "$1"
}

# Every "<!-- scripts/cluster.sh: NAME -->" block in the docs must be this script's block NAME, line for line
# (indentation aside), and every block of this script must be quoted somewhere.
check() {
  local name file found bad=0
  for name in $(grep -oE '^  # doc: [a-z-]+$' "$0" | sed 's/.*: //'); do
    found=0
    for file in "${docs[@]}"; do
      grep -qE "^[[:space:]]*<!-- scripts/cluster.sh: $name -->\$" "$file" || continue
      found=1
      if ! diff <(block "$0" "$name") <(block "$file" "$name") >/dev/null; then
        echo "$file: block '$name' differs from scripts/cluster.sh (< script, > docs):"
        diff <(block "$0" "$name") <(block "$file" "$name") || true
        bad=1
      fi
    done
    if [ "$found" -eq 0 ]; then echo "block '$name' of scripts/cluster.sh is quoted in none of: ${docs[*]}"; bad=1; fi
  done
  [ "$bad" -eq 0 ] && echo "cluster.sh: the docs quote every block of the script as it runs"
  return "$bad"
}

up() {
  # Not quoted in the docs: where the passwords and process ids are kept for `status` and `down`.
  mkdir -p "$state"
  if docker container inspect workers-rabbit >/dev/null 2>&1; then
    log "a container named workers-rabbit exists already: run scripts/cluster.sh down first"
    return 1
  fi
  trap 'log "up failed: taking down what started"; down' ERR

  # Not quoted in the docs (they say to install them): what the agent's ahead-of-time compile links with.
  # shellcheck source=scripts/lib/aot.sh
  source scripts/lib/aot.sh
  workers_ensure_aot_toolchain

  # doc: build
  dotnet publish src/Functions.Host -c Release -o artifacts/cluster/functions
  dotnet publish src/HostAgent -c Release -o artifacts/cluster/agent
  dotnet publish src/Cli.Host -c Release -o artifacts/cluster/cli

  # doc: broker
  export RABBITMQ_IMAGE=${RABBITMQ_IMAGE:-rabbitmq:3.13-management}
  docker run -d --name workers-rabbit -p 127.0.0.1:5672:5672 "$RABBITMQ_IMAGE"
  docker exec workers-rabbit timeout 120 sh -c 'until rabbitmqctl -q await_startup >/dev/null 2>&1; do sleep 1; done'
  docker cp infra/rabbitmq/users.sh workers-rabbit:/tmp/users.sh
  for user in FUNCTIONS HOST_A HOST_B CI; do export "${user}_PASSWORD=$(openssl rand -hex 16)"; done
  docker exec workers-rabbit sh /tmp/users.sh functions workers-functions "$FUNCTIONS_PASSWORD"
  docker exec workers-rabbit sh /tmp/users.sh agent host-a "$HOST_A_PASSWORD"
  docker exec workers-rabbit sh /tmp/users.sh agent host-b "$HOST_B_PASSWORD"
  docker exec workers-rabbit sh /tmp/users.sh client ci "$CI_PASSWORD"

  (umask 077 && printf 'export CI_PASSWORD=%q\n' "$CI_PASSWORD" > "$state/passwords")

  # doc: functions
  export XDG_DATA_HOME=$PWD/artifacts/cluster/data
  WORKERS_BROKER=rabbitmq://workers-functions:$FUNCTIONS_PASSWORD@127.0.0.1:5672/workers \
    artifacts/cluster/functions/Workers.Functions.Host > artifacts/cluster/functions.log 2>&1 &
  timeout 60 sh -c 'until [ -s "$XDG_DATA_HOME/workers/control.pub" ]; do sleep 1; done'

  echo "functions $!" > "$state/pids"

  # doc: agents
  WORKERS_BROKER=rabbitmq://host-a:$HOST_A_PASSWORD@127.0.0.1:5672/workers WORKERS_HOST_ID=host-a \
    WORKERS_BIND_ADDRESS=127.0.0.2 WORKERS_CONTROL_KEYS=$XDG_DATA_HOME/workers/control.pub \
    artifacts/cluster/agent/Workers.HostAgent > artifacts/cluster/host-a.log 2>&1 &
  WORKERS_BROKER=rabbitmq://host-b:$HOST_B_PASSWORD@127.0.0.1:5672/workers WORKERS_HOST_ID=host-b \
    WORKERS_BIND_ADDRESS=127.0.0.3 WORKERS_CONTROL_KEYS=$XDG_DATA_HOME/workers/control.pub \
    artifacts/cluster/agent/Workers.HostAgent > artifacts/cluster/host-b.log 2>&1 &

  # Jobs in the order they started: the functions, host-a, host-b.
  jobs -p | tail -n 2 | paste -d' ' <(printf 'host-a\nhost-b\n') - >> "$state/pids"

  # doc: client
  export WORKERS_BROKER=rabbitmq://ci:$CI_PASSWORD@127.0.0.1:5672/workers
  timeout 120 sh -c 'until [ "$(artifacts/cluster/cli/workers hosts -o json | grep -c "\"live\": true")" -ge 2 ]; do sleep 1; done'
  artifacts/cluster/cli/workers hosts

  trap - ERR
  log "up: the functions, host-a and host-b run (logs in $state/*.log); for the CLI:"
  log "  source $state/passwords && export WORKERS_BROKER=rabbitmq://ci:\$CI_PASSWORD@127.0.0.1:5672/workers"
}

client_env() {
  [ -f "$state/passwords" ] || { log "no $state/passwords: run scripts/cluster.sh up first"; return 1; }
  # shellcheck source=/dev/null
  source "$state/passwords"
  export WORKERS_BROKER=rabbitmq://ci:$CI_PASSWORD@127.0.0.1:5672/workers
}

status() {
  client_env
  artifacts/cluster/cli/workers hosts
  artifacts/cluster/cli/workers status
}

alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

down() {
  local name pid left deadline
  if [ -f "$state/pids" ]; then
    while read -r name pid; do
      if alive "$pid"; then log "stopping $name ($pid)"; kill -TERM "$pid" || true; fi
    done < "$state/pids"
    deadline=$((SECONDS + 60))
    while :; do
      left=$(while read -r name pid; do if alive "$pid"; then echo "$name"; fi; done < "$state/pids")
      [ -z "$left" ] && break
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "still running after 60 s, killing: $left"
        while read -r name pid; do if alive "$pid"; then kill -KILL "$pid" || true; fi; done < "$state/pids"
        break
      fi
      sleep 0.5
    done
    rm -f "$state/pids"
  fi
  if docker container inspect workers-rabbit >/dev/null 2>&1; then
    log "removing the container workers-rabbit"
    docker rm -f workers-rabbit >/dev/null
  fi
  rm -f "$state/passwords"
}

# The walkthrough end to end, as a test: exits non-zero and says why when any step or check fails.
walkthrough_test() {
  check
  export RABBITMQ_IMAGE=${RABBITMQ_IMAGE:-${WORKERS_TEST_RABBITMQ_IMAGE:-workers-test/rabbitmq:3.10}}
  rm -rf "$state/data"
  up
  local pids failed=0
  pids=$(cut -d' ' -f2 "$state/pids")
  trap 'down' EXIT
  client_env

  # doc: deploy
  artifacts/cluster/cli/workers deploy examples/hello.yaml --wait
  artifacts/cluster/cli/workers status hello

  local hosts
  hosts=$(artifacts/cluster/cli/workers status hello -o json | grep -oE '"hostId": "[^"]+"' | sort -u | sed 's/.*: //' | tr -d '"' | tr '\n' ' ' || true)
  if [ "$hosts" != "host-a host-b " ]; then
    echo "FAIL: the replicas of hello run on '$hosts', not on both host-a and host-b"
    failed=1
  fi

  # doc: delete
  artifacts/cluster/cli/workers delete hello --wait

  local containers
  containers=$(docker ps -aq --filter label=workers.deployment=hello --filter label=workers.host=host-a; docker ps -aq --filter label=workers.deployment=hello --filter label=workers.host=host-b)
  if [ -n "$containers" ]; then echo "FAIL: containers of hello left after delete: $containers"; failed=1; fi

  trap - EXIT
  down
  local pid
  for pid in $pids; do
    if alive "$pid"; then echo "FAIL: process $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline")) still runs after down"; failed=1; fi
  done
  if docker container inspect workers-rabbit >/dev/null 2>&1; then echo "FAIL: the container workers-rabbit is left after down"; failed=1; fi
  [ "$failed" -eq 0 ] && echo "cluster.sh test: passed (deploy on host-a and host-b, status, delete, down left nothing)"
  return "$failed"
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  check) check ;;
  test) walkthrough_test ;;
  *) echo "usage: scripts/cluster.sh up|status|down|check|test" >&2; exit 2 ;;
esac
