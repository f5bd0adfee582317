# shellcheck shell=bash
# Test environment for the integration tests. Source it (from .ci/run or a shell):
#
#   source scripts/test-env.sh
#
# Makes Docker available (installing/starting it when needed), exports
# DOCKER_API_VERSION and TESTCONTAINERS_RYUK_DISABLED=true, builds or reuses the
# local test images and exports their names:
#   WORKERS_TEST_RABBITMQ_IMAGE, WORKERS_TEST_POSTGRES_IMAGE, WORKERS_TEST_WORKLOAD_IMAGE
# and the browser the dashboard test drives: WORKERS_TEST_CHROMIUM (Debian's chromium, installed when missing).
# Returns non-zero when any step fails.

workers_test_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/docker.sh
source "$workers_test_env_dir/lib/docker.sh"
# shellcheck source=images.sh
source "$workers_test_env_dir/images.sh"
unset workers_test_env_dir

# curl: the intake tests post webhooks with it, as a user would.
command -v curl >/dev/null 2>&1 || workers_apt_install curl || echo "[test-env] WARNING: curl could not be installed" >&2
# chromium: the dashboard's browser test drives Debian's build through Playwright (whose own download is not reachable).
command -v chromium >/dev/null 2>&1 || workers_apt_install chromium || echo "[test-env] WARNING: chromium could not be installed" >&2
WORKERS_TEST_CHROMIUM="$(command -v chromium || true)"
export WORKERS_TEST_CHROMIUM PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if workers_ensure_docker && workers_build_test_images; then
    export WORKERS_TEST_RABBITMQ_IMAGE WORKERS_TEST_POSTGRES_IMAGE WORKERS_TEST_WORKLOAD_IMAGE
else
    echo "[test-env] ERROR: the test environment could not be prepared" >&2
    # `return` when sourced; `exit` when run as a script.
    return 1 2>/dev/null || exit 1
fi
