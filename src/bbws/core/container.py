"""What the composition root hands to every router: settings and the adapters behind each port."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bbws.core.artifacts import ArtifactStore
from bbws.core.auth import TokenVerifier
from bbws.core.authorizer import Assignment
from bbws.core.clock import Clock
from bbws.core.cursors import CursorCodec
from bbws.core.driver import RuntimeDriver
from bbws.core.handlers import HandlerRegistry
from bbws.core.hooks import Hooks
from bbws.core.issuer import LocalIssuer
from bbws.core.mail import Mailer
from bbws.core.ports import HealthChecker, Lazy, Publisher, Tick, WebhookSender
from bbws.core.queue import JobQueue
from bbws.core.ratelimit import RateLimiter, StreamSlots
from bbws.core.restore import Restore
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
    hooks: Hooks  # what one context does when another acts
    runtime: Lazy[RuntimeDriver]  # runs WordPress (local processes or GitOps + ECS); built on first use
    site_health: HealthChecker  # checks one site's health through the runtime
    webhook_sender: WebhookSender  # one per container, so its connection pool outlives a worker tick
    publishers: list[Publisher] = field(default_factory=list)  # where the relay hands committed events
    after_tick: list[Tick] = field(default_factory=list)  # what the worker does after each tick
    issuer: LocalIssuer | None = None
    restore: Restore | None = None  # the instances a starting server still brings back in the background
    wake: Callable[[], None] = field(default=lambda: None)  # nudges the in-process worker after a commit
