"""A small typed client of the BBWS API over httpx: tenants, operations (get, wait, watch, cancel) and the DLQ."""

from __future__ import annotations

import importlib.metadata
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from bbws.client.sites import SiteCalls

FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
DEFAULT_URL = "http://127.0.0.1:8080"
API = "/v1.0"


def agent(name: str) -> str:
    """`name/version` for the User-Agent header: the server words its hints for the caller it names."""
    try:
        version = importlib.metadata.version("bbws")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    return f"{name}/{version}"


class BbwsError(Exception):
    """An error answer of the API (its problem+json body), or a server that could not be reached."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status, self.problem = status, problem
        self.code = str(problem.get("code") or "HTTP_ERROR")
        self.detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.hint = str(problem["hint"]) if problem.get("hint") else None
        super().__init__(f"{self.code}: {self.detail}")


class OperationTimeout(Exception):
    """The operation did not finish in the time given to wait for it."""


@dataclass(frozen=True)
class ServerEvent:
    event: str
    data: str
    id: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(lines: Iterable[str]) -> Iterator[ServerEvent]:
    """Server-sent events from the lines of a stream (comments and `retry:` lines are skipped)."""
    event, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield ServerEvent(event, "\n".join(data), event_id)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


class BbwsClient(SiteCalls):
    """`BbwsClient(url, token)`; every method raises `BbwsError` for an error answer."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        user_agent: str | None = None,
    ) -> None:
        headers = {"User-Agent": user_agent or agent("bbws-python")}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    def __enter__(self) -> BbwsClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- plumbing
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request to an API path (`/tenants`, or a `/v1.0/...` link); the JSON body of the answer."""
        url = path if path.startswith(API) else API + path
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise BbwsError(0, {"code": "UNREACHABLE", "detail": f"cannot reach {self.url}: {exc}"}) from exc
        if response.status_code >= 400:
            self._raise(response)
        return response.json() if response.content else None

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following `startAt` page by page."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        while True:
            page = self.request("GET", path, params=query)
            yield from page["items"]
            if not page.get("moreAvailable"):
                return
            query["startAt"] = page["startAt"]

    # -- tenants
    def create_tenant(
        self,
        organization_name: str,
        contact_email: str,
        *,
        tier: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"organizationName": organization_name, "contactEmail": contact_email}
        if tier:
            body["tier"] = tier
        if metadata:
            body["metadata"] = metadata
        return dict(self.request("POST", "/tenants", json=body))

    def list_tenants(
        self, *, status: str | None = None, tier: str | None = None, page_size: int = 20, start_at: str | None = None
    ) -> dict[str, Any]:
        params = {"status": status, "tier": tier, "pageSize": page_size, "startAt": start_at}
        return dict(self.request("GET", "/tenants", params={k: v for k, v in params.items() if v is not None}))

    def iter_tenants(self, *, status: str | None = None, tier: str | None = None) -> Iterator[dict[str, Any]]:
        return self.pages("/tenants", {"status": status, "tier": tier, "pageSize": 100})

    def get_tenant(self, tenant_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/tenants/{tenant_id}"))

    def update_tenant(self, tenant_id: str, *, if_match: str | None = None, **fields: Any) -> dict[str, Any]:
        headers = {"If-Match": if_match} if if_match else {}
        return dict(self.request("PUT", f"/tenants/{tenant_id}", json=fields, headers=headers))

    def lifecycle(self, tenant_id: str, action: str, *, reason: str | None = None) -> dict[str, Any]:
        """Start a lifecycle action (suspend, resume, park, unpark, retry, delete); returns its Operation."""
        if action == "delete":
            return dict(self.request("DELETE", f"/tenants/{tenant_id}"))
        body = {"reason": reason} if reason is not None else None
        return dict(self.request("POST", f"/tenants/{tenant_id}/lifecycle/{action}", json=body))

    def park(self, tenant_id: str, reason: str) -> dict[str, Any]:
        return self.lifecycle(tenant_id, "park", reason=reason)

    def unpark(self, tenant_id: str) -> dict[str, Any]:
        return self.lifecycle(tenant_id, "unpark")

    def suspend(self, tenant_id: str, reason: str) -> dict[str, Any]:
        return self.lifecycle(tenant_id, "suspend", reason=reason)

    def resume(self, tenant_id: str) -> dict[str, Any]:
        return self.lifecycle(tenant_id, "resume")

    def retry(self, tenant_id: str) -> dict[str, Any]:
        return self.lifecycle(tenant_id, "retry")

    def delete_tenant(self, tenant_id: str) -> dict[str, Any]:
        return self.lifecycle(tenant_id, "delete")

    # -- instances
    def create_instance(self, tenant_id: str, environment: str, **fields: Any) -> dict[str, Any]:
        """Start provisioning; returns the Operation (`wait()` on it, then `get_instance`)."""
        body = {"environment": environment, **{k: v for k, v in fields.items() if v is not None}}
        return dict(self.request("POST", f"/tenants/{tenant_id}/instances", json=body))

    def list_instances(self, tenant_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/tenants/{tenant_id}/instances")["items"])

    def get_instance(self, tenant_id: str, instance_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/tenants/{tenant_id}/instances/{instance_id}"))

    def find_instance(self, tenant_id: str, environment: str) -> dict[str, Any] | None:
        """The tenant's instance in one environment, if it has one."""
        return next((i for i in self.list_instances(tenant_id) if i["environment"] == environment), None)

    def instance_status(self, tenant_id: str, instance_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/tenants/{tenant_id}/instances/{instance_id}/status"))

    def update_instance(self, tenant_id: str, instance_id: str, **fields: Any) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        return dict(self.request("PUT", f"/tenants/{tenant_id}/instances/{instance_id}", json=body))

    def stop_instance(self, tenant_id: str, instance_id: str) -> dict[str, Any]:
        path = f"/tenants/{tenant_id}/instances/{instance_id}/status"
        return dict(self.request("PUT", path, json={"action": "stop"}))

    def start_instance(self, tenant_id: str, instance_id: str) -> dict[str, Any]:
        path = f"/tenants/{tenant_id}/instances/{instance_id}/status"
        return dict(self.request("PUT", path, json={"action": "start"}))

    def scale_instance(self, tenant_id: str, instance_id: str, desired_count: int) -> dict[str, Any]:
        path = f"/tenants/{tenant_id}/instances/{instance_id}/size"
        return dict(self.request("PUT", path, json={"desiredCount": desired_count}))

    def delete_instance(self, tenant_id: str, instance_id: str) -> dict[str, Any]:
        return dict(self.request("DELETE", f"/tenants/{tenant_id}/instances/{instance_id}"))

    # -- operations
    def get_operation(self, operation_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/operations/{operation_id}"))

    def list_operations(
        self, tenant_id: str, *, status: str | None = None, operation_type: str | None = None, page_size: int = 20
    ) -> dict[str, Any]:
        params = {"status": status, "operationType": operation_type, "pageSize": page_size}
        path = f"/tenants/{tenant_id}/operations"
        return dict(self.request("GET", path, params={k: v for k, v in params.items() if v is not None}))

    def cancel_operation(self, operation_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/operations/{operation_id}/cancel"))

    def watch(
        self, operation_id: str, *, timeout: float | None = None, poll_seconds: float = 0.5
    ) -> Iterator[dict[str, Any]]:
        """The operation each time it changes, until it finishes: from the server-sent event stream
        (reconnecting when a stream ends early), or by polling when streaming is not possible."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last: dict[str, Any] | None = None
        try:
            for op in self._stream(operation_id, deadline):
                last = op
                yield op
                if op["status"] in FINISHED:
                    return
        except (httpx.HTTPError, ValueError, KeyError):
            pass  # a proxy that buffers or cuts streams: poll instead
        yield from self._poll(operation_id, deadline, poll_seconds, last)

    def _stream(self, operation_id: str, deadline: float | None) -> Iterator[dict[str, Any]]:
        last_id: str | None = None
        url = f"{API}/operations/{operation_id}/events"
        while deadline is None or time.monotonic() < deadline:
            headers = {"Accept": "text/event-stream", **({"Last-Event-ID": last_id} if last_id else {})}
            with self.http.stream("GET", url, headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise(response)
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    raise ValueError("the server did not answer with an event stream")
                for event in parse_sse(response.iter_lines()):
                    if event.event == "operation":
                        last_id = event.id
                        yield dict(event.json())
                    elif event.event == "end":
                        return
                    if deadline is not None and time.monotonic() >= deadline:
                        raise OperationTimeout(f"operation {operation_id} did not finish in time")
        raise OperationTimeout(f"operation {operation_id} did not finish in time")

    def _poll(
        self, operation_id: str, deadline: float | None, poll_seconds: float, last: dict[str, Any] | None
    ) -> Iterator[dict[str, Any]]:
        while True:
            op = self.get_operation(operation_id)
            if op != last:
                last = op
                yield op
            if op["status"] in FINISHED:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise OperationTimeout(f"operation {operation_id} did not finish in time")
            time.sleep(poll_seconds)

    def wait(self, operation_id: str, *, timeout: float | None = 600.0) -> dict[str, Any]:
        """The finished operation (COMPLETED, FAILED or CANCELLED); `OperationTimeout` if it takes longer."""
        final: dict[str, Any] = {}
        for op in self.watch(operation_id, timeout=timeout):
            final = op
        return final

    # -- dead-letter queue (platform admins)
    def list_dead_letters(self, *, page_size: int = 20, start_at: str | None = None) -> dict[str, Any]:
        params = {"pageSize": page_size, **({"startAt": start_at} if start_at else {})}
        return dict(self.request("GET", "/admin/dlq", params=params))

    def iter_dead_letters(self) -> Iterator[dict[str, Any]]:
        return self.pages("/admin/dlq", {"pageSize": 100})

    def get_dead_letter(self, message_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/admin/dlq/{message_id}"))

    def redrive_dead_letters(self, message_ids: list[str] | None = None) -> int:
        """Put these dead letters (or all, with None) back on the queue; returns how many."""
        body = {"messageIds": message_ids} if message_ids is not None else {}
        return int(self.request("POST", "/admin/dlq/redrive", json=body)["redriven"])

    def purge_dead_letters(self, message_ids: list[str] | None = None) -> int:
        """Delete these dead letters (or all, with None) for good; returns how many."""
        params: dict[str, Any] = {"messageId": message_ids} if message_ids else {"confirm": "true"}
        return int(self.request("DELETE", "/admin/dlq", params=params)["purged"])

    @staticmethod
    def _raise(response: httpx.Response) -> None:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text[:500]}
        raise BbwsError(response.status_code, problem if isinstance(problem, dict) else {"detail": str(problem)})
