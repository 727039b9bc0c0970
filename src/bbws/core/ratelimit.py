"""In-process limits (on AWS, API Gateway usage plans sit in front): token buckets per token, per tenant and
for failed authentications per client address, and caps on the event streams open at once."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bbws.core.errors import RateLimited


@dataclass
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int = 0


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> Decision:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._state[key] = (tokens, now)
            if len(self._state) > 100_000:  # forget idle keys rather than grow without bound
                self._state = {k: v for k, v in self._state.items() if now - v[1] < 60}
        reset = math.ceil((self.burst - tokens) / self.rate)
        retry = 0 if allowed else math.ceil((1.0 - tokens) / self.rate)
        return Decision(allowed, self.burst, int(tokens), reset, retry)


def _headers(decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
    }


class RateLimiter:
    def __init__(
        self,
        *,
        token_rate: float,
        token_burst: int,
        tenant_rate: float,
        tenant_burst: int,
        auth_failure_rate: float = 1.0,
        auth_failure_burst: int = 30,
    ) -> None:
        self.per_token = TokenBucket(token_rate, token_burst)
        self.per_tenant = TokenBucket(tenant_rate, tenant_burst)
        self.auth_failures = TokenBucket(auth_failure_rate, auth_failure_burst)

    def check(self, token_key: str, tenant_id: str | None) -> Decision:
        """The tighter of the token's and the tenant's decisions."""
        decision = self.per_token.take(token_key)
        if tenant_id is not None and decision.allowed:
            tenant = self.per_tenant.take(tenant_id)
            if not tenant.allowed or tenant.remaining < decision.remaining:
                decision = tenant
        return decision

    def charge(self, token_key: str, tenant_id: str | None) -> dict[str, str]:
        """Take one request from the buckets: the `RateLimit-*` headers to send, or RateLimited (429)."""
        decision = self.check(token_key, tenant_id)
        headers = _headers(decision)
        if not decision.allowed:
            raise RateLimited(
                f"Too many requests; retry in {decision.retry_after} s.",
                headers={**headers, "Retry-After": str(decision.retry_after)},
            )
        return headers

    def charge_auth_failure(self, address: str) -> None:
        """Count a failed authentication from a client address: past the address's budget, RateLimited (429)
        instead of the 401. Only failures spend it, so a valid token from a busy address always gets in."""
        decision = self.auth_failures.take(address)
        if not decision.allowed:
            raise RateLimited(
                f"Too many failed authentications from this address; retry in {decision.retry_after} s.",
                headers={**_headers(decision), "Retry-After": str(decision.retry_after)},
            )


class StreamSlots:
    """Event streams open at once, per token and per tenant, in this process (each API process counts its own).
    A stream takes a slot of both when it opens and gives them back when it ends, however it ends."""

    RETRY_AFTER = 5  # seconds: a slot frees when one of the caller's own streams ends, not as time passes

    def __init__(self, *, per_token: int, per_tenant: int) -> None:
        self.per_token, self.per_tenant = per_token, per_tenant
        self._tokens: Counter[str] = Counter()
        self._tenants: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, token_key: str, tenant_id: str) -> Callable[[], None]:
        """Take a slot of the token and of the tenant (or RateLimited `TOO_MANY_STREAMS`); returns the release,
        which may be called more than once."""
        with self._lock:
            if self._tokens[token_key] >= self.per_token:
                raise self._refusal("This token", self.per_token)
            if self._tenants[tenant_id] >= self.per_tenant:
                raise self._refusal(f"Tenant {tenant_id}", self.per_tenant)
            self._tokens[token_key] += 1
            self._tenants[tenant_id] += 1
        held = [True]

        def release() -> None:
            with self._lock:
                if not held:
                    return
                held.clear()
                for counts, key in ((self._tokens, token_key), (self._tenants, tenant_id)):
                    counts[key] -= 1
                    if counts[key] <= 0:
                        del counts[key]

        return release

    def _refusal(self, whose: str, cap: int) -> RateLimited:
        return RateLimited(
            f"{whose} already has {cap} event streams open (the most allowed); close one, or retry "
            f"in {self.RETRY_AFTER} s.",
            code="TOO_MANY_STREAMS",
            headers={"Retry-After": str(self.RETRY_AFTER)},
            limit=cap,
        )
