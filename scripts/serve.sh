#!/usr/bin/env bash
# One command: install mzgis and serve the API with maps on the embedded Beijing demo.
# Extra arguments go to `mzgis serve` (e.g. --port 8080, --store my.gpkg).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/mzgis serve "$@"
