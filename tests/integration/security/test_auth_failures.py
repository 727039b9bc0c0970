"""Failed authentication is limited per client address: past the budget 429, while valid tokens still get in."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.api import ApiHarness

PROTECTED = "/v1.0/tenants"
BAD = {"Authorization": "Bearer not-a-token"}


def test_repeated_bad_tokens_from_one_address_get_429_but_a_good_token_still_works(tmp_path: Path) -> None:
    # a budget of 3 failures that does not refill while the test runs
    api = ApiHarness(tmp_path / "data", rate_limit_auth_failures_burst=3, rate_limit_auth_failures_per_second=0.001)
    assert [api.client.get(PROTECTED, headers=BAD).status_code for _ in range(2)] == [401, 401]
    assert api.client.get(PROTECTED).status_code == 401  # no token at all is a failure too
    limited = api.client.get(PROTECTED, headers=BAD)
    assert limited.status_code == 429, limited.text
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert limited.json()["code"] == "RATE_LIMITED" and "failed authentications" in limited.json()["detail"]
    assert int(limited.headers["Retry-After"]) > 0
    # only failures spend the budget: a valid token from the same address is served, and does not refill it
    for _ in range(3):
        assert api.client.get(PROTECTED, headers=api.admin()).status_code == 200
    assert api.client.get(PROTECTED, headers=BAD).status_code == 429
    # another address has its own budget
    elsewhere = TestClient(api.app, client=("203.0.113.7", 40000))
    assert elsewhere.get(PROTECTED, headers=BAD).status_code == 401
