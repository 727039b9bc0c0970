"""In-process token buckets per token and per tenant (on AWS, API Gateway usage plans sit in front)."""

from __future__ import annotations

import math
import threading
import time
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


class RateLimiter:
    def __init__(self, *, token_rate: float, token_burst: int, tenant_rate: float, tenant_burst: int) -> None:
        self.per_token = TokenBucket(token_rate, token_burst)
        self.per_tenant = TokenBucket(tenant_rate, tenant_burst)

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
        headers = {
            "RateLimit-Limit": str(decision.limit),
            "RateLimit-Remaining": str(decision.remaining),
            "RateLimit-Reset": str(decision.reset_seconds),
        }
        if not decision.allowed:
            raise RateLimited(
                f"Too many requests; retry in {decision.retry_after} s.",
                headers={**headers, "Retry-After": str(decision.retry_after)},
            )
        return headers
