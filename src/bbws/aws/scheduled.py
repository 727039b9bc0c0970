"""Lambda entry point for a schedule (an EventBridge rule, every minute): the worker's periodic work that no
queue message triggers on AWS: webhook deliveries that are due (first tries that failed, and their retries), the
periodic site health sweep, and failing the Operations of jobs the SQS redrive policy moved to the DLQ."""

from __future__ import annotations

from typing import Any

from bbws.app import build_worker
from bbws.aws import container


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    worker = build_worker(container())  # its ticks: the dead-letter reaper; the container's: deliveries, sweep
    worker.after_tick()
    return {"ticks": len(worker.ticks) + len(container().after_tick)}
