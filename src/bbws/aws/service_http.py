"""What every HTTP Lambda is: API Gateway (HTTP API, payload v2) -> Mangum -> the app of one service (or of all
of them), with Powertools' logger, metrics and tracer, and API Gateway's request id as the correlation id."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from bbws.aws import container

# Problems go out as text too (Mangum would base64-encode a media type it does not know).
TEXT_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
NAMESPACE = "BBWS"
LambdaHandler = Callable[[dict[str, Any], Any], Any]


class ServiceApp:
    """`Mangum(app)` of one service, built at the first request of this Lambda instance and kept for the next."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._mangum: Mangum | None = None

    def get(self) -> Mangum:
        if self._mangum is None:
            with self._lock:
                if self._mangum is None:
                    from bbws.app import create_service_app

                    # No lifespan: it starts a worker thread, and on AWS the SQS consumer does that work.
                    app = create_service_app(self.service, container=container(self.service))
                    self._mangum = Mangum(app, lifespan="off", text_mime_types=TEXT_TYPES)
        return self._mangum

    def reset(self) -> None:
        """Forget the app (tests; the next request builds it again)."""
        self._mangum = None


def correlate(event: dict[str, Any]) -> str | None:
    """API Gateway's id of this request: the logs' correlation id, and the request's id unless the client named
    one (`X-Request-ID`), so the gateway's access log, these logs and the problem documents agree."""
    gateway_id = (event.get("requestContext") or {}).get("requestId")
    headers = event.setdefault("headers", {})
    if gateway_id and not any(name.lower() == "x-request-id" for name in headers):
        headers["x-request-id"] = gateway_id
    return str(gateway_id) if gateway_id else None


def service_handler(service: str) -> tuple[LambdaHandler, ServiceApp]:
    """The Lambda handler of one service, and the app it serves."""
    name = f"bbws-{service}"
    logger = Logger(service=name)
    metrics = Metrics(namespace=NAMESPACE, service=name)
    served = ServiceApp(service)
    cold = [True]

    def handler(event: dict[str, Any], context: Any) -> Any:
        logger.set_correlation_id(correlate(event))
        if cold[0]:
            cold[0] = False
            metrics.add_metric(name="ColdStart", unit=MetricUnit.Count, value=1)
        try:
            response = served.get()(event, context)
            if int(response.get("statusCode", 500)) >= 500:
                metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
            return response
        finally:
            if metrics.metric_set:  # an empty flush only warns
                metrics.flush_metrics()

    before_snapshot(served.get)
    if not tracing():
        return handler, served
    # Only the AWS SDK is traced: patching every library Powertools knows would import them all at cold start.
    tracer = Tracer(service=name, patch_modules=["botocore"])
    return tracer.capture_lambda_handler(handler, capture_response=False), served


def tracing() -> bool:
    """Whether X-Ray tracing is on: in a Lambda function, unless `POWERTOOLS_TRACE_DISABLED` (Powertools' own
    rule). Off, the tracer is not made at all: the X-Ray SDK it loads is the largest import of a cold start."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true", "yes", "on")
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not disabled


def before_snapshot(warm: Callable[[], object]) -> None:
    """With Lambda SnapStart, build the app (every import, the routers, the container) before the snapshot, so an
    instance restored from it answers its first request at once. Safe to keep in a snapshot: no connection is
    open then (the store's and queue's clients are made at their first call) and ids come from `os.urandom`.
    Outside a SnapStart function the runtime's hook module is absent and nothing is registered."""
    try:
        from snapshot_restore_py import register_before_snapshot  # the SnapStart runtime's own module
    except ImportError:
        return
    register_before_snapshot(warm)
