"""Lambda entry point: EventBridge ECS events (service actions, deployment and task state changes) -> the
instance records of this environment (`bbws.instances.ecs_events`)."""

from __future__ import annotations

import logging
from typing import Any

from bbws.aws import container
from bbws.instances.ecs_events import handle_ecs_event

log = logging.getLogger("bbws.aws.ecs_events")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Apply one event; an error (a write that lost its race twice) makes EventBridge deliver it again."""
    c = container()
    outcome = handle_ecs_event(store=c.store, clock=c.clock, event=event, environment=c.settings.environment)
    if outcome.result == "ignored":
        log.info("ECS event %s (%s) ignored: %s", event.get("id"), event.get("detail-type"), outcome.reason)
    else:
        log.info("ECS event %s %s: %s", event.get("id"), outcome.result, outcome.reason)
    return outcome.as_dict()
