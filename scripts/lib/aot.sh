# shellcheck shell=bash
# The agent as it ships: compiled ahead of time (NativeAOT), one native executable. Meant to be `source`d:
#
#   source scripts/lib/aot.sh && workers_publish_agent DIR
#
# - installs what NativeAOT links with when it is missing (Debian's clang and zlib1g-dev, apt, non-interactive);
# - publishes src/HostAgent (PublishAot in its project) for this machine into DIR: DIR/Workers.HostAgent.
#
# Returns non-zero (never exits the calling shell) on failure.

workers_aot_log() { printf '[aot] %s\n' "$*" >&2; }

workers_ensure_aot_toolchain() {
    if command -v clang >/dev/null 2>&1 && [ -e /usr/include/zlib.h ]; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
    workers_aot_log "NativeAOT needs clang and zlib1g-dev: installing them with apt-get"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang zlib1g-dev >&2 \
        || { $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang zlib1g-dev >&2; }
}

workers_publish_agent() {
    local out=${1:?workers_publish_agent DIR}
    workers_ensure_aot_toolchain || return 1
    dotnet publish src/HostAgent -c Release -nologo -v quiet -o "$out" >&2 || return 1
    [ -x "$out/Workers.HostAgent" ] || { workers_aot_log "no $out/Workers.HostAgent after the publish"; return 1; }
}
