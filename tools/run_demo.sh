#!/usr/bin/env bash
# The main job: set up (idempotent), then run the real-data demo.
# Extra args go to tools/demo.py (see `--help`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" tools/demo.py "$@"
