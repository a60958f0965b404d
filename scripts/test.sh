#!/usr/bin/env bash
# Set up, then run the whole test suite (unit, contract tests on SQLite and PostGIS, end-to-end
# tests on the real Leicester pack), the linter and the type checker. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check assetmap tests bench
.venv/bin/mypy assetmap
.venv/bin/python -m pytest "$@"
