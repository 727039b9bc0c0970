#!/usr/bin/env bash
# Sets up BBWS with its test tools and runs the whole suite: lint, types, import layers, tests with coverage (>= 85%).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check src tests bench
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest -n 2 --cov=bbws --cov-report=term --cov-fail-under=85 "$@"
