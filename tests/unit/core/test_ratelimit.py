"""Token buckets per token and per tenant, driven by an explicit clock."""

from __future__ import annotations

from bbws.core.ratelimit import RateLimiter, TokenBucket


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
