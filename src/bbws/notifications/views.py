"""How webhook endpoints and their deliveries are shown: public fields (never the secret) plus `_links`."""

from __future__ import annotations

from typing import Any

from bbws.core.links import act, href, links
from bbws.notifications.webhooks import redacted
from bbws.tenants.views import public


def webhook_href(tenant_id: str, webhook_id: str, *rest: str) -> str:
    return href("tenants", tenant_id, "webhooks", webhook_id, *rest)


def webhook_public(item: dict[str, Any]) -> dict[str, Any]:
    tid, wid = item["tenantId"], item["webhookId"]
    self_href = webhook_href(tid, wid)
    return {
        **redacted(public(item)),
        "_links": links(
            self=self_href,
            collection=href("tenants", tid, "webhooks"),
            tenant=href("tenants", tid),
            deliveries=webhook_href(tid, wid, "deliveries"),
            update=act(self_href, "PUT"),
            delete=act(self_href, "DELETE"),
            rotateSecret=act(webhook_href(tid, wid, "rotate-secret")),
            test=act(webhook_href(tid, wid, "test")) if item["enabled"] else None,
            enable=None if item["enabled"] else act(self_href, "PUT"),
        ),
    }


def delivery_public(item: dict[str, Any]) -> dict[str, Any]:
    tid, wid = item["tenantId"], item["webhookId"]
    shown = {k: v for k, v in public(item).items() if k not in ("payload", "version")}
    return {**shown, "_links": links(webhook=webhook_href(tid, wid), collection=webhook_href(tid, wid, "deliveries"))}
