"""What the composition root hands to every router: settings and the adapters behind each port."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bbws.core.auth import TokenVerifier
from bbws.core.authorizer import Assignment
from bbws.core.clock import Clock
from bbws.core.issuer import LocalIssuer
from bbws.core.mail import Mailer
from bbws.core.pagination import CursorCodec
from bbws.core.ratelimit import RateLimiter
from bbws.core.settings import Settings
from bbws.store.port import ItemStore


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
    issuer: LocalIssuer | None = None
    extras: dict[str, Any] | None = None
