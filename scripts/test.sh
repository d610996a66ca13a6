#!/usr/bin/env bash
# One command: install mzgis with its test dependencies (Debian packages included) and run
# every check: ruff (lint + format), mypy, and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
