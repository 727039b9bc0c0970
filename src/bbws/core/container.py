"""What the composition root hands to every router: settings and the adapters behind each port."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bbws.core.auth import TokenVerifier
from bbws.core.authorizer import Assignment
from bbws.core.clock import Clock
from bbws.core.issuer import LocalIssuer
from bbws.core.mail import Mailer
from bbws.core.pagination import CursorCodec
from bbws.core.ratelimit import RateLimiter, StreamSlots
from bbws.core.settings import Settings
from bbws.core.store import ItemStore


@dataclass
class Container:
    settings: Settings
    store: ItemStore
    clock: Clock
    verifier: TokenVerifier
    cursors: CursorCodec
    limiter: RateLimiter
    mailer: Mailer
    load_assignments: Callable[[str, str], list[Assignment]]
    streams: StreamSlots  # event streams open at once, per token and per tenant
    queue: Any = None  # bbws.jobs.queue.JobQueue (typed loosely: core does not import the jobs package)
    handlers: Any = None  # bbws.jobs.registry.HandlerRegistry: every context's job handlers, put together once
    issuer: LocalIssuer | None = None
    wake: Callable[[], None] = field(default=lambda: None)  # nudges the in-process worker after a commit
    extras: dict[str, Any] = field(default_factory=dict)
