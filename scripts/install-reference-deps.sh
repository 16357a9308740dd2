#!/usr/bin/env bash
# Installs what src/quality/reference/metrics_reference.py needs to recompute
# src/quality/reference/metrics_expected.json: Debian's scikit-learn, NLTK,
# statsmodels and numpy for /usr/bin/python3 (only those missing). The tests
# do not need them: they read the committed expected values. Safe to run
# again: it does nothing when everything is already there.
set -euo pipefail

packages=(python3 python3-numpy python3-sklearn python3-nltk python3-statsmodels)

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]; }

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-reference-deps: installing ${missing[*]}"
$SUDO apt-get update -qq

# Debian 12's python3-scipy, which scikit-learn and statsmodels need, depends
# on python3-pythran, which depends on libboost-dev: Boost 1.74's headers,
# which conflict with the libboost1.81-dev that Plumb builds with
# (scripts/install-deps.sh), so apt refuses the lot. Nothing here uses
# pythran (it compiles Python to C++; scipy only ships with it), so where
# Boost 1.81 is installed a local empty package named libboost-dev, depending
# on libboost1.81-dev, stands in for Debian's: Boost stays 1.81 and apt is
# satisfied. `dpkg -r libboost-dev` takes it away again (with pythran).
if installed libboost1.81-dev && ! installed libboost-dev; then
  stand_in=$(mktemp -d)
  trap 'rm -rf "$stand_in"' EXIT
  mkdir -p "$stand_in/pkg/DEBIAN"
  cat >"$stand_in/pkg/DEBIAN/control" <<'EOF'
Package: libboost-dev
Version: 1.81.0.0+plumb1
Architecture: all
Maintainer: Plumb <plumb@localhost>
Depends: libboost1.81-dev
Section: libdevel
Priority: optional
Description: stand-in for Debian's libboost-dev (Boost 1.74) that keeps Boost 1.81
 Installed by Plumb's scripts/install-reference-deps.sh so that python3-pythran,
 a dependency of python3-scipy, can be installed beside libboost1.81-dev.
EOF
  dpkg-deb --build --root-owner-group "$stand_in/pkg" "$stand_in/libboost-dev.deb" >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "$stand_in/libboost-dev.deb"
fi

DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
