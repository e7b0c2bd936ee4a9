#!/usr/bin/env bash
# The Debian packages the tests need beyond Python (`make system-deps`, run by `make test`):
#   bubblewrap   the `bwrap` sandbox of the parallel autograder
#   postgresql   a PostgreSQL server; the tests start a throwaway one of their own
#   chromium     the headless browser of tests/test_browser.py (/usr/bin/chromium, driven by
#                Playwright from requirements-dev.txt; never `playwright install`)
#   fonts-liberation, fonts-dejavu-core
#                fonts for its screenshots: chromium only recommends fonts-liberation, and
#                --no-install-recommends leaves it out (MathJax brings its own math fonts)
# Installs the missing ones with apt-get, as root or through `sudo -n`; prints nothing when
# all are installed. It does not start Debian's PostgreSQL service: during the install a
# policy-rc.d (see invoke-rc.d(8)) forbids starting services, unless the machine has one.
set -euo pipefail

PACKAGES=(bubblewrap postgresql chromium fonts-liberation fonts-dejavu-core)

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "system-deps: this script installs Debian packages with apt-get, which this machine" \
         "does not have. Install bubblewrap (bwrap), a PostgreSQL server (initdb, pg_ctl" \
         "in /usr/lib/postgresql/<version>/bin) and Chromium (/usr/bin/chromium) yourself." >&2
    exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        exec sudo -n bash "$0" "$@"
    fi
    echo "system-deps: the Debian packages ${missing[*]} are missing, and installing them" \
         "needs root (sudo -n is not available). Run as root:" >&2
    echo "    apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
cleanup=("$log")
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    cleanup+=("$policy")
    printf '#!/bin/sh\n# temporary, by system-deps.sh: start no service\nexit 101\n' >"$policy"
    chmod 755 "$policy"
fi
trap 'rm -f "${cleanup[@]}"' EXIT

echo "system-deps: installing ${missing[*]}"
install=(apt-get install -y -q --no-install-recommends "${missing[@]}")
if ! "${install[@]}" >"$log" 2>&1; then
    echo "system-deps: apt-get install failed without a fresh package list; running apt-get update"
    apt-get update -q
    "${install[@]}"
fi

for package in "${missing[@]}"; do
    installed "$package" || { echo "system-deps: $package is still not installed" >&2; exit 1; }
done
