"""What the composition root hands to every router: settings and the adapters behind each port."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bbws.core.artifacts import ArtifactStore
from bbws.core.auth import TokenVerifier
from bbws.core.authorizer import Assignment
from bbws.core.clock import Clock
from bbws.core.cursors import CursorCodec
from bbws.core.handlers import HandlerRegistry
from bbws.core.issuer import LocalIssuer
from bbws.core.mail import Mailer
from bbws.core.queue import JobQueue
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
    artifacts: ArtifactStore  # backups, template archives, plugin zips
    queue: JobQueue
    handlers: HandlerRegistry  # every context's job handlers, put together once by the composition root
    issuer: LocalIssuer | None = None
    wake: Callable[[], None] = field(default=lambda: None)  # nudges the in-process worker after a commit
    extras: dict[str, Any] = field(default_factory=dict)
