"""checkov on the control-plane module: nothing fails, every inline skip gives its reason and is used.

`scripts/checkov.sh` installs checkov into `.venv-checkov` on its first run, which takes a while.
"""

from __future__ import annotations

import re

from tests.integration.terraform.conftest import MODULE
from tests.support.checkov import checkov

SKIP = re.compile(r"#checkov:skip=(CKV2?_AWS_\d+):(.*)$", re.MULTILINE)
BLOCK = re.compile(r'^(resource|data) "(\w+)" "(\w+)" \{', re.MULTILINE)


def inline_skips() -> set[tuple[str, str]]:
    """(check, resource address) of every skip comment, with its reason checked on the way."""
    found = set()
    for path in MODULE.glob("*.tf"):
        text = path.read_text()
        for match in SKIP.finditer(text):
            check, reason = match.groups()
            assert len(reason.split()) >= 6, f"{path.name} {check}: the reason must say why, not only that"
            block = list(BLOCK.finditer(text, 0, match.start()))[-1]
            kind, name = block.group(2), block.group(3)
            found.add((check, f"{kind}.{name}"))
    return found


def test_the_module_passes_and_each_skip_is_used() -> None:
    report = checkov(MODULE)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert report["summary"]["passed"] > 150
    # checkov reports a skip once per instance (`aws_lambda_function.this["tenants"]`): one comment covers them.
    skipped = {(c["check_id"], re.sub(r"\[.*\]$", "", c["resource"])) for c in report["results"]["skipped_checks"]}
    assert skipped == inline_skips()
