"""Webhook deliveries: fan-out of events to endpoints, the schedule of attempts, and the signed HTTP sender."""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from standardwebhooks import Webhook

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock, iso, parse_iso
from bbws.core.container import Container
from bbws.core.errors import ApiError, UnprocessableEntity
from bbws.core.events import Event, matches_filter
from bbws.core.ids import new_id
from bbws.core.ports import SendResult, WebhookSender
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, version_is
from bbws.notifications import destinations, webhooks
from bbws.notifications import keys as webhook_keys
from bbws.notifications.webhooks_schemas import DeliveryStatus

if TYPE_CHECKING:  # loaded by the first send: the tenant service's Lambda imports this module and never sends
    import httpx

log = logging.getLogger("bbws.webhooks")

BACKOFF_SECONDS = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800)  # after the 1st, 2nd, ... failed attempt
RETRY_WINDOW = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # longer than a send can take, so a crashed scheduler's claim runs out and is retried
TIMEOUT_SECONDS = 10.0
ERROR_CHARS = 500
BATCH = 32
PARALLEL = 8
KEEP_DAYS = 30
USER_AGENT = "bbws-webhooks/1.0"
TEST_EVENT = "bbws.webhook.test"




# -- rules (no I/O)


def next_attempt_at(created_at: datetime, now: datetime, failed_attempts: int) -> datetime | None:
    """When to try again after `failed_attempts`, or None once the delivery's 24 h are spent."""
    deadline = created_at + RETRY_WINDOW
    if now >= deadline:
        return None
    delay = BACKOFF_SECONDS[min(failed_attempts, len(BACKOFF_SECONDS)) - 1]
    return min(now + timedelta(seconds=delay), deadline)


def new_delivery(webhook: dict[str, Any], event: Event, now: datetime) -> dict[str, Any]:
    delivery_id = new_id("dlv", now_ms=int(now.timestamp() * 1000))
    at = iso(now)
    return {
        "pk": webhook["pk"],
        "sk": webhook_keys.delivery_sk(webhook["webhookId"], event.time, event.id),
        "type": "delivery",
        "deliveryId": delivery_id,
        "webhookId": webhook["webhookId"],
        "tenantId": webhook["tenantId"],
        "eventId": event.id,
        "eventType": event.type,
        # The exact bytes every attempt sends (and signs), fixed once.
        "payload": json.dumps(event.envelope(), separators=(",", ":"), sort_keys=True),
        "status": DeliveryStatus.PENDING.value,
        "attempts": [],
        "nextAttemptAt": at,
        "reason": None,
        "createdAt": at,
        "completedAt": None,
        "version": 1,
        "ttl": int((now + timedelta(days=KEEP_DAYS)).timestamp()),
        **webhook_keys.due_indexes(at, delivery_id),
    }


def _finished(delivery: dict[str, Any], status: DeliveryStatus, now: datetime, **fields: Any) -> dict[str, Any]:
    done = {k: v for k, v in delivery.items() if not k.startswith("GSI1")}
    return {**done, **fields, "status": status.value, "nextAttemptAt": None, "completedAt": iso(now)}


def after_attempt(delivery: dict[str, Any], result: SendResult, now: datetime) -> dict[str, Any]:
    """The delivery once an attempt is recorded: done, given up, or due again on its own schedule."""
    attempts = [
        *delivery["attempts"],
        {
            "attempt": len(delivery["attempts"]) + 1,
            "time": iso(now),
            "statusCode": result.status_code,
            "durationMs": result.duration_ms,
            "error": (result.error or "")[:ERROR_CHARS] or None,
        },
    ]
    fields = {"attempts": attempts, "version": delivery["version"] + 1}
    if result.ok:
        return _finished(delivery, DeliveryStatus.SUCCEEDED, now, **fields)
    if result.status_code == 410:
        return _finished(delivery, DeliveryStatus.GIVEN_UP, now, reason="The receiver answered 410 Gone.", **fields)
    retry = next_attempt_at(parse_iso(delivery["createdAt"]), now, len(attempts))
    if retry is None:
        reason = f"No success within {RETRY_WINDOW.total_seconds() / 3600:.0f} h ({len(attempts)} attempts)."
        return _finished(delivery, DeliveryStatus.GIVEN_UP, now, reason=reason, **fields)
    at = iso(retry)
    return {
        **delivery,
        **fields,
        "status": DeliveryStatus.FAILED.value,
        "nextAttemptAt": at,
        **webhook_keys.due_indexes(at, delivery["deliveryId"]),
    }


def endpoint_health(
    webhook: dict[str, Any], delivery: dict[str, Any], result: SendResult, now: datetime
) -> tuple[dict[str, Any] | None, str | None]:
    """(fields to change on the endpoint, reason to disable it): 410 disables at once; so does a delivery given up
    after the endpoint has failed every attempt for 24 h. A success forgets past failures."""
    since = webhook.get("failingSince")
    if result.ok:
        return ({"failingSince": None} if since else None), None
    if result.status_code == 410:
        return None, f"The receiver answered 410 Gone at {iso(now)}."
    if delivery["status"] == DeliveryStatus.GIVEN_UP and since and now - parse_iso(since) >= RETRY_WINDOW:
        return None, f"Every attempt since {since} failed; delivery {delivery['deliveryId']} was given up."
    return (None if since else {"failingSince": iso(now)}), None


def signature_headers(msg_id: str, payload: str, secrets: Sequence[str], at: datetime) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation one `v1,` signature per secret, space-separated."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(msg_id, at, payload) for s in secrets),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# -- fan-out (a relay publisher) and test pings


def fan_out(events: Sequence[Event], *, store: ItemStore, clock: Clock) -> int:
    """One delivery per (event, enabled endpoint whose filter matches); returns how many were new."""
    now, made = clock.now(), 0
    by_tenant: dict[str, list[Event]] = {}
    for event in events:
        if event.tenant_id:
            by_tenant.setdefault(event.tenant_id, []).append(event)
    for tenant_id, batch in by_tenant.items():
        hooks = [h for h in webhooks.list_webhooks(store=store, tenant_id=tenant_id).items if h["enabled"]]
        for event in batch:
            for hook in hooks:
                if matches_filter(event.type, hook["eventTypes"]):
                    made += _enqueue(store, new_delivery(hook, event, now))
    return made


def fan_out_publisher(container: Container) -> Callable[[Sequence[Event]], None]:
    """The relay publisher that turns outbox events into webhook deliveries."""

    def publish(events: Sequence[Event]) -> None:
        fan_out(events, store=container.store, clock=container.clock)

    return publish


def queue_test_ping(*, store: ItemStore, clock: Clock, webhook: dict[str, Any]) -> dict[str, Any]:
    """A `bbws.webhook.test` delivery to this endpoint only, sent by the scheduler like any other."""
    if not webhook["enabled"]:
        raise UnprocessableEntity(
            "The webhook is disabled; re-enable it (PUT enabled: true) first.", code="WEBHOOK_DISABLED"
        )
    now = clock.now()
    wid = webhook["webhookId"]
    event = Event(
        type=TEST_EVENT,
        tenant_id=webhook["tenantId"],
        subject=f"webhook/{wid}",
        time=iso(now),
        data={"webhookId": webhook["webhookId"], "message": "A test delivery from BBWS."},
    )
    item = new_delivery(webhook, event, now)
    _enqueue(store, item)
    return item


def _enqueue(store: ItemStore, item: dict[str, Any]) -> int:
    try:
        store.put(item, condition=NOT_EXISTS)  # guards: a relay re-run hands the same event on again
    except ConditionFailed:
        return 0
    return 1


# -- the scheduler


def deliver_due(container: Container, now: datetime | None = None, *, sender: WebhookSender | None = None) -> int:
    """Attempt the deliveries that are due (a batch, in parallel) and record each outcome; returns how many."""
    store: ItemStore = container.store
    now = now or container.clock.now()
    page = store.query(webhook_keys.DUE_INDEX, index="GSI1", limit=BATCH)
    claimed = [c for d in page.items if d["nextAttemptAt"] <= iso(now) and (c := _claim(store, d, now))]
    if not claimed:
        return 0
    keys = list({(d["pk"], webhook_keys.webhook_sk(d["webhookId"])) for d in claimed})
    hooks = {h["webhookId"]: h for h in store.batch_get(keys)}
    send = sender or container.webhook_sender

    def attempt(delivery: dict[str, Any]) -> tuple[dict[str, Any], SendResult | None, str | None]:
        hook = hooks.get(delivery["webhookId"])
        if hook is None:
            return delivery, None, "The webhook endpoint was deleted."
        if not hook["enabled"]:
            return delivery, None, f"The webhook endpoint is disabled: {hook.get('disabledReason')}"
        # Receivers compare the signed timestamp with their own clock, so it is the real time of sending.
        headers = signature_headers(
            delivery["eventId"], delivery["payload"], webhooks.signing_secrets(hook, now), datetime.now(UTC)
        )
        return delivery, send(hook["url"], delivery["payload"].encode(), headers), None

    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(claimed)), thread_name_prefix="bbws-webhook") as pool:
        outcomes = list(pool.map(attempt, claimed))
    for delivery, result, skipped in outcomes:
        _record(store, delivery, result, skipped, now)
    return len(claimed)


def _claim(store: ItemStore, delivery: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    until = iso(now + LEASE)
    claimed = {
        **delivery,
        "nextAttemptAt": until,
        "version": delivery["version"] + 1,
        **webhook_keys.due_indexes(until, delivery["deliveryId"]),
    }
    try:
        store.put(claimed, condition=version_is(delivery["version"]))  # guards: two schedulers taking one delivery
    except ConditionFailed:
        return None
    return claimed


def _record(
    store: ItemStore, delivery: dict[str, Any], result: SendResult | None, skipped: str | None, now: datetime
) -> None:
    """Write the attempt and, when it says something new about the endpoint, the endpoint's health."""
    if result is None:
        updated = _finished(delivery, DeliveryStatus.GIVEN_UP, now, reason=skipped, version=delivery["version"] + 1)
    else:
        updated = after_attempt(delivery, result, now)
    for _ in range(3):
        changes = Changes(actor=Actor.system("webhooks"), now=now)
        changes.put(updated, version_is(delivery["version"]))  # guards: another scheduler took over after the lease
        hook = store.get(delivery["pk"], webhook_keys.webhook_sk(delivery["webhookId"])) if result else None
        if result is not None and hook is not None and hook["enabled"]:
            fields, reason = endpoint_health(hook, updated, result, now)
            if reason:
                webhooks.disable(changes, hook, reason)
                log.warning("webhook disabled", extra={"webhookId": hook["webhookId"], "reason": reason})
            elif fields:
                changes.put({**hook, **fields, "version": hook["version"] + 1}, version_is(hook["version"]))
        try:
            changes.commit(store)
            return
        except ConditionFailed as exc:
            if exc.sk == updated["sk"]:
                return  # lost the delivery to another scheduler; its record wins
    log.error("webhook health not recorded after retries", extra={"deliveryId": delivery["deliveryId"]})


# -- the sender


class HttpSender:
    """POSTs one delivery. The destination is checked again (DNS can change) and the connection pinned to the
    checked address; redirects are not followed; the answer's body is not read beyond a short excerpt."""

    def __init__(
        self, *, allow_private: bool, timeout: float = TIMEOUT_SECONDS, resolve: destinations.Resolver | None = None
    ) -> None:
        self.allow_private, self.timeout = allow_private, timeout
        self.resolve = resolve or destinations.resolve_host
        # The CA store is loaded once, not per send. Connections are not pooled: an idle kept-alive connection to a
        # receiver is state that can go stale between sends, and receivers are other people's servers.
        self._tls = ssl.create_default_context()

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        import httpx

        started = time.monotonic()
        try:
            address = destinations.destination_addresses(url, allow_private=self.allow_private, resolve=self.resolve)[0]
            with httpx.Client(
                timeout=self.timeout, follow_redirects=False, trust_env=False, verify=self._tls
            ) as client:
                request = _pinned(client, url, address, body, headers)
                response = client.send(request, stream=True)
                try:
                    code, error = response.status_code, _error_of(response)
                finally:
                    response.close()
        except ApiError as exc:
            return SendResult(None, _ms_since(started), f"Refused: {exc.detail}"[:ERROR_CHARS])
        except Exception as exc:  # timeouts, refused connections, TLS: recorded, retried
            return SendResult(None, _ms_since(started), f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
        return SendResult(code, _ms_since(started), error)


def _pinned(client: httpx.Client, url: str, address: str, body: bytes, headers: dict[str, str]) -> httpx.Request:
    """A request to the checked address that still names the host (Host header, TLS SNI and certificate check)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return client.build_request(
        "POST",
        target,
        content=body,
        headers={**headers, "host": parts.netloc},
        extensions={"sni_hostname": parts.hostname or ""},
    )


def _error_of(response: httpx.Response) -> str | None:
    code = response.status_code
    if 200 <= code < 300:
        return None
    if 300 <= code < 400:
        return f"HTTP {code}: redirect to {response.headers.get('location', '?')} not followed."
    excerpt = b""
    for chunk in response.iter_bytes():
        excerpt += chunk
        if len(excerpt) >= 200:
            break
    text = excerpt[:200].decode(errors="replace").strip()
    return f"HTTP {code}" + (f": {text}" if text else "")


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
