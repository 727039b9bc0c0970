"""Lambda entry point of the whole API in one function: every service's routes, as `bbws serve` answers them
(`tenants_http`, `instances_http` and `sites_http` are the same, one service each)."""

from __future__ import annotations

from bbws.aws import ALL
from bbws.aws.service_http import service_handler

handler, app = service_handler(ALL)


def reset() -> None:
    """Forget the app (tests; the next request builds it again)."""
    app.reset()
