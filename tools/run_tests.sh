#!/usr/bin/env bash
# Set up (idempotent) and run the test suite. Extra args go to pytest,
# e.g. `bash tools/run_tests.sh -m slow` for the slow (full-size) tests.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m pytest "$@"
