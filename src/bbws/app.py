"""Composition root: settings -> adapters -> container -> FastAPI app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from bbws.artifacts import build_artifacts
from bbws.core import http, logs
from bbws.core.auth import TokenVerifier, jwks_key_lookup, remote_jwks_lookup
from bbws.core.clock import Clock, SystemClock
from bbws.core.container import Container
from bbws.core.cursors import CursorCodec
from bbws.core.driver import RuntimeDriver
from bbws.core.files import private_dir, write_private
from bbws.core.handlers import HandlerRegistry
from bbws.core.hooks import Hooks, ReleaseHook
from bbws.core.issuer import LocalIssuer
from bbws.core.mail import FileMailer, Mailer
from bbws.core.ports import HealthChecker, Lazy, SendResult, WebhookSender
from bbws.core.ratelimit import RateLimiter, StreamSlots
from bbws.core.settings import DEFAULT_SECRET, Settings
from bbws.core.store import ItemStore
from bbws.events.outbox import Relay
from bbws.jobs.reaper import DeadLetterReaper
from bbws.jobs.runtime import WorkerThread, build_queue
from bbws.jobs.worker import Worker
from bbws.tenants.roles import assignment_loader

log = logging.getLogger("bbws.app")

API_DESCRIPTION = """Control plane for multi-tenant WordPress hosting.

All paths start with `/v1.0`. Errors are `application/problem+json` with a stable `code`; lists are
cursor-paginated (`pageSize`, `startAt`); resources carry `_links`; writes accept `If-Match` and POSTs
accept `Idempotency-Key`. Rate limits are reported in `RateLimit-*` headers."""


def build_store(settings: Settings) -> ItemStore:
    if settings.store == "dynamodb":
        from bbws.store.dynamodb_store import DynamoDbStore

        return DynamoDbStore(
            settings.dynamodb_table, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        )
    from bbws.store.sqlite_store import SqliteStore

    store = SqliteStore(settings.sqlite_path)
    store.purge_expired()
    return store


def _cursor_secret(settings: Settings) -> bytes:
    """The configured secret, or (locally) a random one kept in the data dir across restarts."""
    if settings.cursor_secret != DEFAULT_SECRET:
        return settings.cursor_secret.encode()
    path = settings.data_dir / "cursor-secret"
    if not path.exists():
        write_private(path, secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def build_worker(container: Container) -> Worker:
    """A worker over the container's queue and handlers, relaying the outbox and reaping dead letters."""
    relay = Relay(store=container.store, queue=container.queue, publishers=container.publishers)
    worker = Worker(container=container, queue=container.queue, registry=container.handlers, relay=relay.drain)
    worker.ticks.append(DeadLetterReaper(container=container, queue=container.queue))
    return worker


ALL = "all"  # every service in one app: `bbws serve` and the all-in-one Lambda


@dataclass(frozen=True)
class Service:
    """One HTTP service (its own Lambda on AWS): the routers it mounts, imported only when it is built, and the
    routes that take larger bodies than `max_body_bytes`."""

    routers: Callable[[], list[APIRouter]]
    body_limits: Callable[[Settings], Mapping[tuple[str, str], int]] = lambda _settings: {}


def _tenant_routers() -> list[APIRouter]:
    from bbws.jobs.api import router as operations_router
    from bbws.jobs.dlq_api import router as dlq_router
    from bbws.notifications.stream_api import router as event_stream_router
    from bbws.notifications.webhooks_api import router as webhooks_router
    from bbws.tenants.api import router as tenants_router
    from bbws.tenants.hierarchy_api import router as hierarchy_router
    from bbws.tenants.invitations_api import public_router as invitation_token_router
    from bbws.tenants.invitations_api import router as invitations_router
    from bbws.tenants.users_api import router as users_router

    return [tenants_router, operations_router, hierarchy_router, users_router, invitations_router,
            invitation_token_router, webhooks_router, event_stream_router, dlq_router]


def _instance_routers() -> list[APIRouter]:
    from bbws.instances.api import router as instances_router

    return [instances_router]


def _site_routers() -> list[APIRouter]:
    from bbws.plugins.api import router as plugins_router
    from bbws.sites.api import router as sites_router
    from bbws.sites.api_ops import router as site_ops_router
    from bbws.sites.plugins.api import router as site_plugins_router
    from bbws.sites.templating_api import router as template_making_router
    from bbws.templates.admin_api import admin_router as template_admin_router
    from bbws.templates.api import router as templates_router

    return [sites_router, site_ops_router, plugins_router, site_plugins_router, templates_router,
            template_making_router, template_admin_router]


def _plugin_body_limits(settings: Settings) -> Mapping[tuple[str, str], int]:
    from bbws.plugins.api import body_limits

    return body_limits(settings)


# The services, in the order `create_app` mounts them. A service's container loads its own contexts and the ones
# below it (docs/architecture.md): tenants none of the others, instances the tenants, sites all three.
SERVICES: dict[str, Service] = {
    "tenants": Service(_tenant_routers),
    "instances": Service(_instance_routers),
    "sites": Service(_site_routers, _plugin_body_limits),
}
# Every resource type an operation may claim; a service without that type's context queues its release.
RESOURCE_TYPES = ("tenant", "instance", "site", "template", "templatePreview")


def _loads(service: str, context: str) -> bool:
    """Whether a service's container loads a context (`ALL` loads every one)."""
    order = ("tenants", "instances", "sites")
    return service == ALL or order.index(context) <= order.index(service)


def build_handlers(service: str = ALL) -> HandlerRegistry:
    """The job handlers of the contexts a service loads (every one by default) in one registry, listed here rather
    than registered by importing a module."""
    from bbws.jobs.deferred import HANDLERS as deferred_jobs
    from bbws.tenants.lifecycle import HANDLERS as tenant_jobs

    registry = HandlerRegistry(tenant_jobs, deferred_jobs)
    if _loads(service, "instances"):
        from bbws.instances.work import HANDLERS as instance_jobs

        registry.add(instance_jobs)
    if _loads(service, "sites"):
        from bbws.sites.templating import HANDLERS as template_making_jobs
        from bbws.sites.work import HANDLERS as site_jobs
        from bbws.templates.work import HANDLERS as template_jobs

        for table in (site_jobs, template_making_jobs, template_jobs):
            registry.add(table)
    return registry


def build_hooks(handlers: HandlerRegistry, *, service: str = ALL) -> Hooks:
    """What one context does when another acts, connected here once (importing a module connects nothing): what
    an operation that ended without its job lets go of, per resource type; what a tenant's lifecycle checks and
    cascades to; what an instance's removal does to its sites. A single service's container (its HTTP Lambda)
    loads only its own contexts: it queues the release of another context's resource for a worker, which has
    them all, and reads a site's place in the tree from the site's record."""
    from bbws.jobs.deferred import release_later, stored_node
    from bbws.tenants.instance_status import refuse_while_busy
    from bbws.tenants.keys import SITE_PREFIX

    # each claimed job lets go of its own kind of resource
    release: dict[str, ReleaseHook] = {job.kind: job.release for job in handlers.claimed()}
    hooks = Hooks(release=release, tenant_prechecks=[refuse_while_busy])
    if service != ALL:  # an HTTP service runs no job, so it cascades to nothing
        hooks.release = dict.fromkeys(RESOURCE_TYPES, release_later) | release
        hooks.resource_nodes = {"site": stored_node(SITE_PREFIX)}
        return hooks
    from bbws.instances import work as instance_work
    from bbws.sites import records
    from bbws.sites import work as site_work
    from bbws.templates import work as template_work

    hooks.release["templatePreview"] = template_work.release_preview  # a preview is made once, not claimed
    hooks.resource_nodes = {"site": records.site_node}
    hooks.tenant_cascades = [instance_work.cascade]
    hooks.instance_removed = [site_work.forget_sites_of]
    return hooks


def _check_site(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The site health checker, loaded on its first check (a process without the sites context never does)."""
    from bbws.sites.health import check_site

    return check_site(*args, **kwargs)


def _webhook_sender(settings: Settings) -> WebhookSender:
    """One HTTP sender per container, made at its first delivery (the HTTP client is a large import)."""

    def build() -> WebhookSender:
        from bbws.notifications.delivery import HttpSender

        return HttpSender(allow_private=settings.webhooks_allow_loopback)

    sender = Lazy(build)

    def send(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        return sender.get()(url, body, headers)

    return send


def _runtime_driver(settings: Settings) -> RuntimeDriver:
    from bbws.instances.runtime import build_driver

    return build_driver(settings)


def build_container(
    settings: Settings,
    *,
    service: str = ALL,
    store: ItemStore | None = None,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    runtime: RuntimeDriver | None = None,
    site_health: HealthChecker | None = None,
    webhook_sender: WebhookSender | None = None,
) -> Container:
    """Every port from settings, or the one a caller passes (tests pass their fakes here). `service` names the one
    HTTP service this container serves (its Lambda): only its contexts are loaded, and it relays nothing (on AWS
    the outbox relay and the scheduled Lambdas do, with a container of `ALL`)."""
    private_dir(settings.data_dir)  # it holds the signing key, tokens and every tenant's records
    handlers = build_handlers(service)
    store = store or build_store(settings)
    issuer: LocalIssuer | None = None
    if settings.jwks_url:
        key_for = remote_jwks_lookup(settings.jwks_url)
    else:
        issuer = LocalIssuer.load_or_create(settings.data_dir, issuer=settings.issuer, audience=settings.audience)
        key_for = jwks_key_lookup(issuer.jwks())
    clock = clock or SystemClock()
    container = Container(
        settings=settings,
        store=store,
        clock=clock,
        verifier=TokenVerifier(issuer=settings.issuer, audience=settings.audience, key_for=key_for),
        cursors=CursorCodec(_cursor_secret(settings)),
        limiter=RateLimiter(
            token_rate=settings.rate_limit_token_per_second,
            token_burst=settings.rate_limit_token_burst,
            tenant_rate=settings.rate_limit_tenant_per_second,
            tenant_burst=settings.rate_limit_tenant_burst,
            auth_failure_rate=settings.rate_limit_auth_failures_per_second,
            auth_failure_burst=settings.rate_limit_auth_failures_burst,
        ),
        streams=StreamSlots(per_token=settings.sse_streams_per_token, per_tenant=settings.sse_streams_per_tenant),
        artifacts=build_artifacts(settings),
        mailer=mailer or FileMailer(settings.data_dir / "mail", clock),
        queue=build_queue(settings, store=store),
        handlers=handlers,
        hooks=build_hooks(handlers, service=service),
        runtime=Lazy.of(runtime) if runtime is not None else Lazy(lambda: _runtime_driver(settings)),
        site_health=site_health or _check_site,
        webhook_sender=webhook_sender or _webhook_sender(settings),
        load_assignments=assignment_loader(store),
        issuer=issuer,
    )
    if service == ALL:
        _add_relay_and_ticks(container)
    if _loads(service, "sites"):
        from bbws.templates.builtin import seed_builtin

        try:
            seed_builtin(container)
        except Exception:  # a store that cannot be reached now must not stop the API from starting
            log.exception("built-in templates could not be seeded")
    return container


def _add_relay_and_ticks(container: Container) -> None:
    """Where the relay hands committed events (webhooks, EventBridge) and what the worker does after each tick."""
    from bbws.notifications.delivery import deliver_due, fan_out_publisher

    settings = container.settings
    container.publishers.append(fan_out_publisher(container))
    container.after_tick += [lambda: deliver_due(container), lambda: sweep_health(container)]
    if settings.event_bus:  # webhooks and EventBridge each have their publisher
        from bbws.events.eventbridge import EventBridgePublisher

        container.publishers.append(
            EventBridgePublisher(
                None, settings.event_bus, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
            )
        )


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    """Every service's routers in one app (`bbws serve`, the all-in-one Lambda, the OpenAPI export)."""
    return create_service_app(ALL, settings=settings, container=container)


def create_service_app(
    service: str, *, settings: Settings | None = None, container: Container | None = None
) -> FastAPI:
    """The app of one service (`SERVICES`), or of all of them (`ALL`)."""
    services = list(SERVICES.values()) if service == ALL else [SERVICES[service]]
    container = container or build_container(settings or Settings(), service=service)
    logs.configure(container.settings.log_level)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        """With `run_worker`, a worker thread runs beside the API for as long as the server does."""
        from bbws.instances.runtime import start_runtime_in_background, stop_runtime

        thread = None
        if container.settings.run_worker:  # the process running jobs owns the runtime's processes
            thread = WorkerThread(build_worker(container))
            container.wake = thread.worker.wakeup.set
            # The instances come back in the background: the worker takes back the jobs a crash interrupted and
            # the API answers at once, without waiting for every instance to be restarted.
            start_runtime_in_background(container)
            thread.start()
        yield
        if thread is not None:
            thread.stop()
            stop_runtime(container)

    # /docs and /redoc load Swagger UI and ReDoc from files this server serves, so they work without internet.
    app = FastAPIOffline(
        static_url="/docs-assets",
        title="BBWS API",
        version="1.0.0",
        description=API_DESCRIPTION,
        servers=[{"url": container.settings.base_url, "description": "This server"}],
        lifespan=lifespan,
    )
    app.state.container = container
    body_limits: dict[tuple[str, str], int] = {}
    for each in services:
        body_limits.update(each.body_limits(container.settings))
    http.install(app, max_body_bytes=container.settings.max_body_bytes, body_limits=body_limits)
    for each in services:
        for router in each.routers():
            app.include_router(router)

    @app.get("/.well-known/jwks.json", include_in_schema=False)
    def jwks() -> dict[str, Any]:
        return container.issuer.jwks() if container.issuer else {"keys": []}

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness: the process is up and answers HTTP (nothing else is checked)."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness: 200 when the store, a worker and (local runtime) MariaDB and the web runtime are up,
        else 503 with the failing parts named. No auth and no tenant data, like /healthz."""
        from bbws.readiness import READY, readiness

        answer = readiness(container)
        return JSONResponse(answer, status_code=200 if answer["status"] == READY else 503,
                            headers={"Cache-Control": "no-store"})

    return app


def sweep_health(container: Container) -> int:
    """Queue the periodic health checks of serving sites that are due (once per interval across workers)."""
    from bbws.sites.history import sweep

    return sweep(
        store=container.store, clock=container.clock, interval_seconds=container.settings.health_interval_seconds
    )


def admin_token_path(data_dir: Path) -> Path:
    return data_dir / "admin-token"
