"""The one idempotency layer: `Idempotency-Key` on any POST, scoped to (principal, method, path).

Applied to every route by `core.router.ApiRoute`.

The same key with the same body replays the first answer for 24 h; with another body it is a 422.
Records live in the item store under `IDEMPOTENCY#{principal}#{key}` with a TTL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response

from bbws.core.container import Container
from bbws.core.deps import resolve_principal
from bbws.core.errors import Conflict, UnprocessableEntity, ValidationFailed
from bbws.core.keys import idempotency_key
from bbws.core.store import NOT_EXISTS, ConditionFailed, version_is

HEADER = "idempotency-key"
_KEPT_HEADERS = ("content-type", "location", "etag")


def _validate(key: str) -> None:
    if not (1 <= len(key) <= 255) or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key must be 1..255 printable characters.",
            errors=[{"field": "Idempotency-Key", "message": "1..255 printable characters"}],
        )


async def run_once(
    request: Request, key: str, original: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    _validate(key)
    container: Container = request.app.state.container
    principal = resolve_principal(request, container)
    store, now = container.store, container.clock.now()
    scope_hash = hashlib.sha256(f"{request.method} {request.url.path}\n{key}".encode()).hexdigest()
    pk, sk = idempotency_key(principal.sub, scope_hash)
    body_hash = hashlib.sha256(await request.body()).hexdigest()
    record = store.get(pk, sk)
    if record is not None:
        return _replay(record, body_hash)
    lock = {
        "pk": pk,
        "sk": sk,
        "type": "idempotency",
        "state": "IN_PROGRESS",
        "bodyHash": body_hash,
        "version": 1,
        "ttl": int(now.timestamp()) + container.settings.idempotency_ttl_seconds,
    }
    try:
        store.put(lock, condition=NOT_EXISTS)  # guards: two concurrent requests with one key run once
    except ConditionFailed:
        record = store.get(pk, sk)
        return _replay(record, body_hash) if record else await run_once(request, key, original)
    try:
        response = await original(request)
    except BaseException:
        store.delete(pk, sk)
        raise
    if response.status_code >= 500 or not hasattr(response, "body"):
        store.delete(pk, sk)  # a server failure is not an answer worth replaying: let the client retry
        return response
    done = {
        **lock,
        "state": "DONE",
        "version": 2,
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k in _KEPT_HEADERS},
        "body": bytes(response.body).decode("utf-8"),
    }
    store.put(done, condition=version_is(1))  # guards: only the request holding the lock completes it
    return response


def _replay(record: dict[str, Any], body_hash: str) -> Response:
    if record["bodyHash"] != body_hash:
        raise UnprocessableEntity(
            "This Idempotency-Key was used with a different request body.", code="IDEMPOTENCY_KEY_REUSED"
        )
    if record["state"] != "DONE":
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="IDEMPOTENCY_IN_PROGRESS",
            headers={"Retry-After": "1"},
        )
    headers = {**record["headers"], "Idempotent-Replayed": "true"}
    return Response(content=record["body"], status_code=record["status"], headers=headers)
