#!/usr/bin/env bash
# Set up, load the Leicester data pack (idempotent: a second run reports it unchanged) and serve
# the app on http://127.0.0.1:5000 . Set ASSETMAP_DATA_PACK / ASSETMAP_DATABASE_URL to change where
# the pack is read from and where data is stored (default: instance/assetmap.sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m assetmap load-pack
exec .venv/bin/gunicorn --bind "${ASSETMAP_BIND:-127.0.0.1:5000}" --workers 2 "app:app"
