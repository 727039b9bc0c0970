"""checkov over one Terraform module, through `scripts/checkov.sh` (it installs checkov into `.venv-checkov` on its
first run). The report's JSON, whether checks failed or not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def checkov(module: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "checkov.sh"), "--output", "json"],
        cwd=ROOT,
        env={**os.environ, "CHECKOV_MODULE": str(module)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: checks failed (the report says which)
    report = json.loads(done.stdout)
    return dict(report if isinstance(report, dict) else report[0])
