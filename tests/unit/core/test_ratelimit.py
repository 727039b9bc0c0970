"""Token buckets per token, per tenant and per address (driven by an explicit clock), and stream slots."""

from __future__ import annotations

import pytest

from bbws.core.errors import RateLimited
from bbws.core.ratelimit import RateLimiter, StreamSlots, TokenBucket


def test_burst_then_refused_with_retry_after() -> None:
    bucket = TokenBucket(rate=1.0, burst=3)
    decisions = [bucket.take("k", now=100.0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert all(d.limit == 3 for d in decisions)
    refused = decisions[3]
    assert refused.retry_after == 1 and refused.remaining == 0
    assert decisions[0].retry_after == 0


def test_refills_at_the_rate_and_never_above_the_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=4)
    for _ in range(4):
        assert bucket.take("k", now=0.0).allowed
    assert not bucket.take("k", now=0.0).allowed
    assert not bucket.take("k", now=0.4).allowed  # 0.8 of a token so far
    assert bucket.take("k", now=0.5).allowed
    idle = bucket.take("k", now=1_000.0)
    assert idle.allowed and idle.remaining == 3  # capped at the burst, minus this request


def test_reset_counts_the_seconds_until_full() -> None:
    bucket = TokenBucket(rate=0.5, burst=2)
    bucket.take("k", now=0.0)
    d = bucket.take("k", now=0.0)
    assert d.remaining == 0 and d.reset_seconds == 4
    refused = bucket.take("k", now=0.0)
    assert not refused.allowed and refused.retry_after == 2


def test_keys_have_their_own_buckets() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    assert bucket.take("a", now=0.0).allowed
    assert not bucket.take("a", now=0.0).allowed
    assert bucket.take("b", now=0.0).allowed


def test_refused_requests_do_not_spend_tokens() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    bucket.take("k", now=0.0)
    for _ in range(10):
        assert not bucket.take("k", now=0.5).allowed
    assert bucket.take("k", now=1.0).allowed


def slow_limiter(**kw: float) -> RateLimiter:
    # a refill rate so low that no token comes back while the test runs
    args = {"token_rate": 1e-9, "token_burst": 100, "tenant_rate": 1e-9, "tenant_burst": 100, **kw}
    return RateLimiter(**args)  # type: ignore[arg-type]


def test_a_tenant_limit_binds_across_tokens() -> None:
    limiter = slow_limiter(tenant_burst=2)
    assert limiter.check("token-1", "ten_a").allowed
    assert limiter.check("token-2", "ten_a").allowed
    refused = limiter.check("token-3", "ten_a")
    assert not refused.allowed and refused.limit == 2 and refused.retry_after > 0
    assert limiter.check("token-3", "ten_b").allowed
    assert limiter.check("token-3", None).allowed  # platform-wide calls are charged to the token only


def test_a_token_limit_binds_across_tenants() -> None:
    limiter = slow_limiter(token_burst=2)
    assert limiter.check("token-1", "ten_a").allowed
    assert limiter.check("token-1", "ten_b").allowed
    assert not limiter.check("token-1", "ten_c").allowed
    assert limiter.check("token-2", "ten_c").allowed


def test_the_tighter_decision_is_reported() -> None:
    limiter = slow_limiter(token_burst=10, tenant_burst=3)
    d = limiter.check("token-1", "ten_a")
    assert d.allowed and d.limit == 3 and d.remaining == 2
    d = limiter.check("token-2", None)
    assert d.limit == 10 and d.remaining == 9


def test_stream_slots_cap_per_token_and_tenant_and_a_release_counts_once() -> None:
    slots = StreamSlots(per_token=2, per_tenant=3)
    first = slots.acquire("token-1", "ten_a")
    slots.acquire("token-1", "ten_a")
    with pytest.raises(RateLimited) as token_cap:
        slots.acquire("token-1", "ten_b")  # the token's cap binds across tenants
    assert token_cap.value.code == "TOO_MANY_STREAMS" and token_cap.value.headers["Retry-After"]
    slots.acquire("token-2", "ten_a")
    with pytest.raises(RateLimited):
        slots.acquire("token-3", "ten_a")  # the tenant's cap binds across tokens
    first()
    first()  # a second release of the same stream frees nothing more
    slots.acquire("token-3", "ten_a")
    with pytest.raises(RateLimited):
        slots.acquire("token-4", "ten_a")


def test_only_failed_authentications_spend_the_address_budget() -> None:
    limiter = slow_limiter(auth_failure_rate=1e-9, auth_failure_burst=2)
    limiter.charge_auth_failure("192.0.2.1")
    limiter.charge_auth_failure("192.0.2.1")
    with pytest.raises(RateLimited) as refused:
        limiter.charge_auth_failure("192.0.2.1")
    assert int(refused.value.headers["Retry-After"]) > 0
    limiter.charge_auth_failure("192.0.2.2")  # each address has its own budget
