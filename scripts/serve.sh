#!/usr/bin/env bash
# Sets up BBWS and runs the API server on embedded defaults (SQLite, built-in issuer). Extra args go to `bbws serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/bbws serve "$@"
