#!/usr/bin/env bash
# Install mzgis into ./.venv. With --test: also the test dependencies and the Debian
# packages the tests drive for real (GDAL's ogrinfo, Chromium, PostgreSQL + PostGIS).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_bin="${PYTHON:-python3}"
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "mzgis needs Python 3.11 or newer (found: $("$python_bin" --version 2>&1))" >&2
  exit 1
fi
if ! "$python_bin" -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi

# PostGIS for the server version of PostgreSQL this distribution ships (15 on Debian 12)
postgis_package() {
  local major
  major=$(apt-cache policy postgresql 2>/dev/null | awk '/Candidate:/ {print $2}' | sed -E 's/^([0-9]+).*/\1/')
  if [ -z "$major" ] || [ "$major" = "(none)" ]; then
    $sudo_cmd apt-get update -qq
    major=$(apt-cache policy postgresql | awk '/Candidate:/ {print $2}' | sed -E 's/^([0-9]+).*/\1/')
  fi
  echo "postgresql-${major}-postgis-3"
}

if [ $want_test = 1 ]; then
  apt_install gdal-bin chromium fonts-noto-cjk postgresql "$(postgis_package)"
fi

# The web maps' browser assets (Leaflet and plugins), pinned in package-lock.json and
# served by the app itself: maps never load anything from the internet.
command -v npm >/dev/null || apt_install nodejs npm
if [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ $want_test = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
