"""Validation problems say the rule in words for people and keep the regular expression for programs."""

from __future__ import annotations

import re
from typing import Any

from bbws.core.patterns import describe
from tests.support.api import ApiHarness

SUBDOMAIN_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


def patterns_in(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(patterns_in(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(patterns_in(v) for v in node))
    return set()


def test_a_pattern_mismatch_is_described_in_words_and_keeps_the_pattern(api: ApiHarness) -> None:
    tenant_id = api.create_tenant()["tenantId"]
    answer = api.client.post(
        f"/v1.0/tenants/{tenant_id}/sites",
        json={"siteName": "Acme", "subdomain": "Bad_Name!", "environment": "dev"},
        headers=api.admin(),
    )
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["code"] == "VALIDATION_ERROR"
    [error] = problem["errors"]
    assert error["field"] == "subdomain"
    assert error["pattern"] == SUBDOMAIN_PATTERN
    assert error["message"] == (
        "must be lowercase letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen"
    )
    assert "^" not in problem["detail"] and "[" not in problem["detail"], problem["detail"]
    assert "subdomain: must be lowercase letters" in problem["detail"]


def test_a_bad_id_in_the_path_names_its_shape(api: ApiHarness) -> None:
    answer = api.client.get("/v1.0/tenants/ten_NOPE", headers=api.admin())
    assert answer.status_code == 400, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "tenantId" and error["pattern"] == r"^ten_[0-9a-z]{26}$"
    assert error["message"] == "must be an id: ten_ followed by 26 lowercase letters or digits"


def test_other_validation_problems_carry_no_pattern(api: ApiHarness) -> None:
    answer = api.client.post("/v1.0/tenants", json={"organizationName": "A"}, headers=api.admin())
    assert answer.status_code == 400
    assert all("pattern" not in error for error in answer.json()["errors"])


def test_every_pattern_the_api_declares_is_described(api: ApiHarness) -> None:
    declared = patterns_in(api.app.openapi())
    assert len(declared) > 20  # the walk found the API's patterns at all
    undescribed = sorted(p for p in declared if describe(p) is None)
    assert not undescribed, f"add these to DESCRIPTIONS in src/bbws/core/patterns.py: {undescribed}"
    for pattern in declared:  # every description is words, not a regex in disguise
        words = describe(pattern) or ""
        assert not re.search(r"[\\^$]|\[[^\]]*-[^\]]*\]", words), (pattern, words)
