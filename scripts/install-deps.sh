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
  libbenchmark-dev libpq-dev postgresql
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

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
