#!/usr/bin/env bash
# Runs checkov on the per-tenant instance module. checkov lives in its own virtualenv (.venv-checkov): its pins
# clash with the test tools in .venv. Extra arguments go to checkov (e.g. `--output json`); CHECKOV_MODULE
# names another folder to check.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=".venv-checkov"
want="checkov>=3.2,<4"
stamp="$venv/.bbws-installed"
mkdir -p "$venv"
(
  # One installer at a time (parallel test workers may both get here first).
  flock 9
  if [[ ! -x $venv/bin/checkov || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "Installing $want into $venv" >&2
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip >&2
    "$venv/bin/python" -m pip install -q "$want" >&2
    echo "$want" > "$stamp"
  fi
) 9>"$venv/.install.lock"

module="${CHECKOV_MODULE:-infra/terraform/modules/tenant-instance}"
# Skips are inline in the module, each with its reason beside the resource it concerns. Without arguments only
# failed checks are printed, without their code.
(($#)) || set -- --quiet --compact
exec "$venv/bin/checkov" --directory "$module" --framework terraform --skip-download "$@"
