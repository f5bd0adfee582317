#!/usr/bin/env bash
# Build (or reuse) the local Docker images that the integration tests use.
# No container registry is reachable, so the images are made from Debian
# packages with debootstrap / busybox-static and `docker import`.
#
#   bash scripts/images.sh                       # standalone
#   source scripts/images.sh && workers_build_test_images   # exports the names
#
# Image names (env, with defaults):
#   WORKERS_TEST_RABBITMQ_IMAGE  workers-test/rabbitmq:3.10   RabbitMQ 3.10 (Debian rabbitmq-server)
#   WORKERS_TEST_POSTGRES_IMAGE  workers-test/postgres:15     PostgreSQL 15 (Debian postgresql)
#   WORKERS_TEST_WORKLOAD_IMAGE  workers-test/httpd:1         busybox httpd on :8080 (Debian busybox-static)
# Other knobs:
#   WORKERS_IMAGE_CACHE   rootfs tarball cache (default /var/cache/workers-images; "" disables)
#   WORKERS_DEBIAN_MIRROR Debian mirror for debootstrap (default: read from apt's sources)
#   WORKERS_DEBIAN_SUITE  default bookworm
#   WORKERS_IMAGES_REBUILD=1  ignore existing images and cached tarballs
#
# A workers-test/* image is reused when it exists with the current recipe label
# (org.workers.recipe); any other name is reused when present, else pulled
# (timeout 30 s), else built under that name.
#
# Requires a running Docker daemon (see scripts/lib/docker.sh) and root (or sudo)
# for apt-get/debootstrap.

# Bump a recipe when its build steps change: existing images/tarballs are then rebuilt.
WORKERS_RECIPE_RABBITMQ="rabbitmq-3.10-r1"
WORKERS_RECIPE_POSTGRES="postgres-15-r2"
WORKERS_RECIPE_WORKLOAD="httpd-busybox-r2"

workers_img_log() { printf '[images] %s\n' "$*" >&2; }

# Prints the Debian mirror apt uses for the main archive of $1 (a suite).
workers_debian_mirror() {
    if [ -n "${WORKERS_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$WORKERS_DEBIAN_MIRROR"
        return 0
    fi
    local suite="$1" f files=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    [ "${#files[@]}" -gt 0 ] || return 1
    awk -v suite="$suite" '
        function consider(uris, suites, types,   n, u, s, i, j) {
            if (types != "" && types !~ /(^|[ \t])deb([ \t]|$)/) return
            n = split(suites, s, /[ \t]+/)
            for (i = 1; i <= n; i++) if (s[i] == suite) {
                split(uris, u, /[ \t]+/)
                for (j = 1; j in u; j++) if (u[j] ~ /^(https?|file):/) { print u[j]; found = 1; exit }
            }
        }
        FILENAME ~ /\.sources$/ {
            if ($0 ~ /^[ \t]*$/) { consider(U, S, T); U = S = T = ""; next }
            if ($0 ~ /^[ \t]*#/) next
            if (tolower($1) == "uris:")   { $1 = ""; U = $0 }
            if (tolower($1) == "suites:") { $1 = ""; S = $0 }
            if (tolower($1) == "types:")  { $1 = ""; T = $0 }
            next
        }
        FNR == 1 && prev ~ /\.sources$/ { consider(U, S, T); U = S = T = "" }
        { prev = FILENAME }
        $1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            consider($i, $(i + 1), "deb")
        }
        END { if (!found) consider(U, S, T) }
    ' "${files[@]}" | sed 's:/*$::' | head -n 1 | grep .
}

# True when image $1 exists locally (and, when $2 is given, carries recipe label $2).
workers_image_ok() {
    local labels
    labels="$(docker image inspect -f '{{index .Config.Labels "org.workers.recipe"}}' "$1" 2>/dev/null)" || return 1
    [ -z "${2:-}" ] || [ "$labels" = "$2" ]
}

workers_apt_install() {
    workers_img_log "installing $* with apt-get"
    if [ -z "${WORKERS_APT_UPDATED:-}" ]; then
        apt-get update -qq >/dev/null || return 1
        WORKERS_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# debootstrap minbase + packages into $1 (runs in the caller's subshell; set -e there).
workers_debootstrap() {
    local dir="$1" include="$2" suite mirror
    suite="${WORKERS_DEBIAN_SUITE:-bookworm}"
    mirror="$(workers_debian_mirror "$suite")" || {
        echo "cannot find a Debian mirror for '$suite' in apt's sources; set WORKERS_DEBIAN_MIRROR" >&2
        return 1
    }
    echo "debootstrap --variant=minbase --include=$include $suite $dir $mirror"
    debootstrap --variant=minbase --include="$include" "$suite" "$dir" "$mirror"
    # Trim what a container never needs.
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
        "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
        "$dir"/usr/share/locale/* "$dir"/var/log/*.log "$dir"/tmp/* 2>/dev/null || true
}

# Imports rootfs tarball $1 as image $2 with extra `docker import --change` args.
workers_import() {
    local tarball="$1" name="$2"; shift 2
    docker import "$@" "$tarball" "$name" >/dev/null
}

# Shared driver: reuse / pull / import-from-cache / build. $1 = kind, $2 = image, $3 = recipe,
# $4 = builder function that fills $dir; remaining args = docker import --change options.
workers_provide_image() (
    set -euo pipefail
    local kind="$1" name="$2" recipe="$3" builder="$4"; shift 4
    local cache="${WORKERS_IMAGE_CACHE-/var/cache/workers-images}"
    local rebuild="${WORKERS_IMAGES_REBUILD:-}"
    local tarball="" workdir
    # The label names the rootfs recipe plus a hash of the image metadata (--change
    # options): editing only the metadata re-imports the cached rootfs.
    local label
    label="$recipe-$(printf '%s\n' "$@" | sha1sum | cut -c1-8)"

    case "$name" in
        workers-test/*)
            if [ -z "$rebuild" ] && workers_image_ok "$name" "$label"; then
                workers_img_log "$kind: reusing $name"; return 0
            fi ;;
        *)
            if [ -z "$rebuild" ] && workers_image_ok "$name"; then
                workers_img_log "$kind: reusing $name"; return 0
            fi
            workers_img_log "$kind: trying docker pull $name (30 s)"
            if timeout 30 docker pull -q "$name" >/dev/null 2>&1; then
                workers_img_log "$kind: pulled $name"; return 0
            fi
            workers_img_log "$kind: pull failed; building $name locally" ;;
    esac

    local changes=(--change "LABEL org.workers.recipe=$label" "$@")
    if [ -n "$cache" ]; then
        mkdir -p "$cache"
        tarball="$cache/$recipe.tar"
        if [ -z "$rebuild" ] && [ -s "$tarball" ]; then
            workers_img_log "$kind: importing $name from cached $tarball"
            workers_import "$tarball" "$name" "${changes[@]}"
            return 0
        fi
    fi

    local start=$SECONDS
    workdir="$(mktemp -d "${TMPDIR:-/tmp}/workers-image-$kind.XXXXXX")"
    trap 'rm -rf "$workdir"' EXIT
    mkdir "$workdir/rootfs"
    workers_img_log "$kind: building $name (log: $workdir/build.log)"
    # Run in the background and wait: a function called as an `if` condition would run
    # with `set -e` silently disabled.
    "$builder" "$workdir/rootfs" >"$workdir/build.log" 2>&1 &
    if ! wait $!; then
        workers_img_log "ERROR: building $kind image $name failed; last lines of the log:"
        tail -n 30 "$workdir/build.log" >&2
        cp "$workdir/build.log" "${TMPDIR:-/tmp}/workers-image-$kind.failed.log" 2>/dev/null &&
            workers_img_log "full log kept in ${TMPDIR:-/tmp}/workers-image-$kind.failed.log"
        return 1
    fi
    local out="${tarball:-$workdir/rootfs.tar}"
    tar --numeric-owner -C "$workdir/rootfs" -cf "$out.tmp" .
    mv "$out.tmp" "$out"
    if [ -n "$tarball" ]; then
        # Drop tarballs of older revisions of this recipe.
        local old
        for old in "$cache/${recipe%-r*}"-r*.tar; do
            [ "$old" = "$tarball" ] || [ ! -e "$old" ] || rm -f "$old"
        done
    fi
    workers_import "$out" "$name" "${changes[@]}"
    workers_img_log "$kind: built $name in $((SECONDS - start)) s ($(du -sh "$out" | cut -f1) rootfs)"
)

# ---------------------------------------------------------------- rabbitmq
workers_build_rabbitmq_rootfs() {
    set -euo pipefail
    local dir="$1"
    workers_debootstrap "$dir" rabbitmq-server
    mkdir -p "$dir/etc/rabbitmq/conf.d"
    cat >"$dir/etc/rabbitmq/rabbitmq.conf" <<'EOF'
# workers-test image: accept remote logins for the default user, log to stdout
# (Testcontainers waits for "Server startup complete" in the container log).
loopback_users = none
listeners.tcp.default = 5672
log.console = true
log.console.level = info
log.file = false
EOF
    # Keep the node name stable across the build host and the container.
    : >"$dir/etc/rabbitmq/rabbitmq-env.conf"
    cat >"$dir/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Honours RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS / RABBITMQ_DEFAULT_VHOST
# like the official image (the values go to a conf.d file read at boot).
set -e
conf=/etc/rabbitmq/conf.d/10-defaults.conf
: >"$conf"
if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then echo "default_user = $RABBITMQ_DEFAULT_USER" >>"$conf"; fi
if [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then echo "default_pass = $RABBITMQ_DEFAULT_PASS" >>"$conf"; fi
if [ -n "${RABBITMQ_DEFAULT_VHOST:-}" ]; then echo "default_vhost = $RABBITMQ_DEFAULT_VHOST" >>"$conf"; fi
if [ ! -s "$HOME/.erlang.cookie" ]; then
    # A per-container cookie (the image must not ship one).
    od -An -N15 -tx1 /dev/urandom | tr -d ' \n' >"$HOME/.erlang.cookie"
    chmod 400 "$HOME/.erlang.cookie"
fi
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- rabbitmq-server "$@"; fi
exec "$@"
EOF
    chmod 755 "$dir/usr/local/bin/docker-entrypoint.sh"
    rm -f "$dir/var/lib/rabbitmq/.erlang.cookie"
    rm -rf "$dir/var/lib/rabbitmq/mnesia"/* "$dir/var/log/rabbitmq"/*
    chroot "$dir" chown -R rabbitmq:rabbitmq /etc/rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
}

# ---------------------------------------------------------------- postgres
workers_build_postgres_rootfs() {
    set -euo pipefail
    local dir="$1"
    workers_debootstrap "$dir" postgresql-15
    # JIT (LLVM, ~130 MB) is of no use for tests: without llvmjit.so the server runs with
    # JIT unavailable, and the entrypoint also sets jit = off.
    rm -rf "$dir"/usr/lib/postgresql/15/lib/llvmjit* "$dir"/usr/lib/postgresql/15/lib/bitcode \
        "$dir"/usr/lib/*/libLLVM-* "$dir"/usr/lib/*/libz3.so* \
        "$dir"/usr/share/i18n
    # Drop the cluster that the Debian package creates; the entrypoint makes its own in $PGDATA.
    rm -rf "$dir/etc/postgresql/15/main" "$dir/var/lib/postgresql/15"
    mkdir -p "$dir/var/lib/postgresql/data" "$dir/run/postgresql" "$dir/docker-entrypoint-initdb.d"
    chmod 700 "$dir/var/lib/postgresql/data"
    chmod 2777 "$dir/run/postgresql"
    chroot "$dir" chown -R postgres:postgres /var/lib/postgresql /run/postgresql
    cat >"$dir/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# A small re-implementation of the official postgres image's entrypoint:
# on first start (empty $PGDATA) initdb with POSTGRES_USER / POSTGRES_PASSWORD,
# create POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sql|*.sh, then exec postgres.
# During initialisation the server listens on no TCP address, so
# `pg_isready --host localhost` (Testcontainers' wait strategy) succeeds only once
# the final server is up.
set -e
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        echo "error: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
        echo "       (set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
        exit 1
    fi
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    # shellcheck disable=SC2086
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
        --auth-host="$auth" -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\njit = off\n" >>"$PGDATA/postgresql.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w -s start
    if [ "$POSTGRES_DB" != postgres ]; then
        psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname postgres \
            -v db="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"db";
SQL
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) echo "running $f"; . "$f" ;;
            *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w -s stop
    echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
EOF
    chmod 755 "$dir/usr/local/bin/docker-entrypoint.sh"
}

# ---------------------------------------------------------------- workload
workers_build_workload_rootfs() {
    set -euo pipefail
    local dir="$1" bb applet
    if ! dpkg -s busybox-static >/dev/null 2>&1; then
        workers_apt_install busybox-static
    fi
    bb="$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -n 1)"
    echo "using $bb"
    mkdir -p "$dir/bin" "$dir/etc" "$dir/www" "$dir/tmp" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/root"
    chmod 1777 "$dir/tmp" "$dir/www"
    cp "$bb" "$dir/bin/busybox"
    for applet in $("$dir/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
    done
    for applet in sh httpd wget sleep cat echo hostname; do
        [ -e "$dir/bin/$applet" ] || { echo "busybox lacks $applet" >&2; return 1; }
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
    echo ok >"$dir/www/healthz"
    echo "hello from workers-test/httpd" >"$dir/www/index.html"
    cat >"$dir/entrypoint.sh" <<'EOF'
#!/bin/sh
# Serves /www; index.html names the container (its hostname).
echo "hello from $(hostname)" >/www/index.html
echo ok >/www/healthz
# PID 1 gets no default signal handlers, so forward SIGTERM/SIGINT to the server
# (otherwise `docker stop` waits its full timeout).
"$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
wait "$pid"
rc=$?
trap - TERM INT
wait "$pid" 2>/dev/null
exit "$rc"
EOF
    chmod 755 "$dir/entrypoint.sh"
}

# ---------------------------------------------------------------- driver
# The workload image alone (what scripts/demo.sh needs): a 2 MB busybox httpd.
workers_provide_workload_image() {
    export WORKERS_TEST_WORKLOAD_IMAGE="${WORKERS_TEST_WORKLOAD_IMAGE:-workers-test/httpd:1}"
    workers_provide_image workload "$WORKERS_TEST_WORKLOAD_IMAGE" "$WORKERS_RECIPE_WORKLOAD" \
        workers_build_workload_rootfs \
        --change 'ENV PATH=/bin' \
        --change 'EXPOSE 8080' \
        --change 'ENTRYPOINT ["/entrypoint.sh"]' \
        --change 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]'
}

workers_build_test_images() {
    export WORKERS_TEST_RABBITMQ_IMAGE="${WORKERS_TEST_RABBITMQ_IMAGE:-workers-test/rabbitmq:3.10}"
    export WORKERS_TEST_POSTGRES_IMAGE="${WORKERS_TEST_POSTGRES_IMAGE:-workers-test/postgres:15}"
    export WORKERS_TEST_WORKLOAD_IMAGE="${WORKERS_TEST_WORKLOAD_IMAGE:-workers-test/httpd:1}"
    (
        set -euo pipefail
        if ! docker info >/dev/null 2>&1; then
            workers_img_log "ERROR: the Docker daemon is not reachable (source scripts/lib/docker.sh; workers_ensure_docker)"
            exit 1
        fi
        if ! command -v debootstrap >/dev/null 2>&1 &&
            { ! workers_image_ok "$WORKERS_TEST_RABBITMQ_IMAGE" || ! workers_image_ok "$WORKERS_TEST_POSTGRES_IMAGE"; }; then
            workers_apt_install debootstrap
        fi

        local rabbit_pid pg_pid rc=0
        workers_provide_image rabbitmq "$WORKERS_TEST_RABBITMQ_IMAGE" "$WORKERS_RECIPE_RABBITMQ" \
            workers_build_rabbitmq_rootfs \
            --change 'USER rabbitmq' \
            --change 'WORKDIR /var/lib/rabbitmq' \
            --change 'ENV HOME=/var/lib/rabbitmq' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'ENV PATH=/usr/local/bin:/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'EXPOSE 5672' \
            --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
            --change 'CMD ["rabbitmq-server"]' &
        rabbit_pid=$!
        workers_provide_image postgres "$WORKERS_TEST_POSTGRES_IMAGE" "$WORKERS_RECIPE_POSTGRES" \
            workers_build_postgres_rootfs \
            --change 'USER postgres' \
            --change 'ENV PGDATA=/var/lib/postgresql/data' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'ENV PATH=/usr/local/bin:/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'EXPOSE 5432' \
            --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
            --change 'CMD ["postgres"]' &
        pg_pid=$!
        workers_provide_workload_image || rc=1
        wait "$rabbit_pid" || rc=1
        wait "$pg_pid" || rc=1
        if [ "$rc" != 0 ]; then
            workers_img_log "ERROR: could not provide all test images (see above)"
            exit 1
        fi
    )
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    workers_build_test_images "$@"
    rc=$?
    if [ "$rc" = 0 ]; then
        printf 'WORKERS_TEST_RABBITMQ_IMAGE=%s\nWORKERS_TEST_POSTGRES_IMAGE=%s\nWORKERS_TEST_WORKLOAD_IMAGE=%s\n' \
            "$WORKERS_TEST_RABBITMQ_IMAGE" "$WORKERS_TEST_POSTGRES_IMAGE" "$WORKERS_TEST_WORKLOAD_IMAGE"
    fi
    exit "$rc"
fi
