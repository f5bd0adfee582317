# shellcheck shell=bash
# Make a working Docker engine available. Meant to be `source`d:
#
#   source scripts/lib/docker.sh && workers_ensure_docker
#
# - installs Debian's docker.io when the engine (`dockerd`) is missing, whatever client is present
#   (apt, non-interactive);
# - starts dockerd in the background when the daemon does not answer, and waits
#   for it (WORKERS_DOCKER_START_TIMEOUT seconds, default 60);
# - exports DOCKER_API_VERSION (the server's API version: Testcontainers 4.x
#   otherwise asks for a newer API than Engine 20.10's 1.41) and
#   TESTCONTAINERS_RYUK_DISABLED=true (the Ryuk image cannot be pulled here).
#
# Idempotent; prints one line per action it takes and nothing else on success.
# Returns non-zero (never exits the calling shell) on failure.

workers_docker_log() { printf '[docker] %s\n' "$*" >&2; }

workers_ensure_docker() {
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
    fi

    # The engine, not the client, decides: CI images and dev containers often ship a `docker` client alone.
    # Debian's docker.io brings dockerd (and its own client, which a newer one on PATH may shadow: the client
    # negotiates the API version down to the engine's). An engine that already answers (DOCKER_HOST) needs nothing.
    if ! docker info >/dev/null 2>&1 && ! command -v dockerd >/dev/null 2>&1; then
        if command -v docker >/dev/null 2>&1; then
            workers_docker_log "dockerd not found (a docker client alone is at $(command -v docker)): installing docker.io with apt-get"
        else
            workers_docker_log "docker not found: installing docker.io with apt-get"
        fi
        if ! { $sudo apt-get update -qq >/dev/null &&
               DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker.io >/dev/null; }; then
            workers_docker_log "ERROR: apt-get install docker.io failed"
            return 1
        fi
        if ! command -v dockerd >/dev/null 2>&1; then
            workers_docker_log "ERROR: docker.io is installed but dockerd is still not on PATH ($PATH)"
            return 1
        fi
    fi

    if ! docker info >/dev/null 2>&1; then
        local logfile="${WORKERS_DOCKERD_LOG:-/var/log/workers-dockerd.log}"
        local deadline=$(( $(date +%s) + ${WORKERS_DOCKER_START_TIMEOUT:-60} ))
        # The default daemon (its pid file), not any dockerd: another one may serve a socket of its own.
        local pidfile="${WORKERS_DOCKER_PIDFILE:-/var/run/docker.pid}"
        if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
            # containerd is started by dockerd itself when none is running.
            workers_docker_log "starting dockerd in the background (log: $logfile)"
            $sudo sh -c "nohup dockerd >>'$logfile' 2>&1 </dev/null &"
        else
            workers_docker_log "dockerd is running but not answering yet; waiting"
        fi
        until docker info >/dev/null 2>&1; do
            if [ "$(date +%s)" -ge "$deadline" ]; then
                workers_docker_log "ERROR: docker daemon did not answer within ${WORKERS_DOCKER_START_TIMEOUT:-60}s; last lines of $logfile:"
                tail -n 20 "$logfile" >&2 2>/dev/null || true
                return 1
            fi
            sleep 1
        done
        workers_docker_log "dockerd is up"
    fi

    local api
    api="$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null)"
    if [ -z "$api" ]; then
        workers_docker_log "ERROR: could not read the Docker server API version"
        return 1
    fi
    if [ "${DOCKER_API_VERSION:-}" != "$api" ]; then
        export DOCKER_API_VERSION="$api"
        workers_docker_log "DOCKER_API_VERSION=$api"
    fi
    if [ "${TESTCONTAINERS_RYUK_DISABLED:-}" != "true" ]; then
        export TESTCONTAINERS_RYUK_DISABLED=true
        workers_docker_log "TESTCONTAINERS_RYUK_DISABLED=true"
    fi
    return 0
}
