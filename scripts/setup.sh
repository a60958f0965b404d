#!/usr/bin/env bash
# Install everything assetmap needs on a fresh Debian machine, from the project's own files:
# system packages (PostGIS for the PostgreSQL server on this machine, Chromium for the browser
# tests, poppler-utils to look at generated PDFs), a Python virtualenv in .venv with the pinned
# requirements, and the front-end libraries
# from package-lock.json into node_modules. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(postgresql-15-postgis-3 chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils wrk)
command -v npm >/dev/null || apt_packages+=(nodejs npm)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install ${missing[*]} (apt-get)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
