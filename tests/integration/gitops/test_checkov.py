"""checkov on the tenant-instance module: nothing fails, and every inline skip is needed and gives its reason.

`scripts/checkov.sh` installs checkov into `.venv-checkov` on its first run, which takes a while.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bbws.instances.gitops.driver import find_module
from tests.support.checkov import checkov

SKIP = re.compile(r"#checkov:skip=(CKV2?_AWS_\d+):(.*)$", re.MULTILINE)

pytestmark = pytest.mark.slow


def failed(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]}


def test_the_module_passes_and_each_skip_is_needed(tmp_path: Path) -> None:
    module = find_module()
    assert module is not None
    report = checkov(module)
    assert failed(report) == set(), report["results"]["failed_checks"]
    assert report["summary"]["passed"] > 30
    skipped = {(c["check_id"], c["resource"]) for c in report["results"]["skipped_checks"]}

    comments = [m for f in module.glob("*.tf") for m in SKIP.findall(f.read_text())]
    assert len(comments) == len(skipped)
    for check, reason in comments:
        assert len(reason.split()) >= 6, f"{check}: the reason must say why, not only that"

    # Without its skips the module fails exactly the skipped checks: none of them is there for nothing.
    bare = tmp_path / "module"
    bare.mkdir()
    for f in module.glob("*.tf"):
        (bare / f.name).write_text(SKIP.sub("", f.read_text()))
    assert failed(checkov(bare)) == skipped
