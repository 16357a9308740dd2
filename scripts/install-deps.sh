#!/usr/bin/env bash
# Installs what Plumb needs to build, test and run on Debian 12: Debian packages
# through apt-get (only those missing), then the UI's npm packages with `npm ci`.
# Safe to run again: it does nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libsimdjson-dev
  libsodium-dev libspdlog-dev libcli11-dev libgtest-dev libgmock-dev
  libbenchmark-dev libpq-dev postgresql nginx libzip-dev zlib1g-dev libpugixml-dev
  nodejs npm chromium wrk time
)

missing=()
for p in "${packages[@]}"; do
  # nodejs may come from another Debian-compatible source that also ships npm.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done

# nginx goes in on its own (below), so that what keeps it from starting
# touches no other package.
want_nginx=no
others=()
for p in "${missing[@]}"; do
  if [ "$p" = nginx ]; then want_nginx=yes; else others+=("$p"); fi
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
fi
if [ ${#others[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${others[@]}"
fi

# nginx: only its binary is used. The tests run their own nginx on a free
# loopback port with a config under a temp dir (deploy/nginx/); Debian's
# package would start a system nginx on port 80 on install, which the tests do
# not need and which fails (and fails the install) where port 80 is taken. A
# policy-rc.d that answers 101 ("action forbidden") keeps invoke-rc.d from
# starting it, and is removed again afterwards; one that is there already
# (containers ship one answering 101) is left as it is. Where systemd runs,
# the unit is also disabled so that it does not come up at the next boot.
if [ "$want_nginx" = yes ]; then
  policy=/usr/sbin/policy-rc.d
  made_policy=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-deps.sh: no services started while nginx installs\nexit 101\n' |
      $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    made_policy=yes
    # Also gone when the install is interrupted.
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx ||
    status=$?
  if [ "$made_policy" = yes ]; then
    $SUDO rm -f "$policy"
    trap - EXIT
  fi
  [ "$status" -eq 0 ] || exit "$status"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

# Vite 8 needs Node.js 20.19 or newer; Debian 12's own nodejs is 18. This
# machine kind ships Node.js 20; elsewhere, say so plainly instead of failing
# deep inside the UI build.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: Node.js 20 or newer is needed for the UI build (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# The npm packages of the UI and of the browser tests, pinned by committed lock
# files. `npm ci` runs only when the lock file is newer than the installed tree.
for dir in web e2e; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
