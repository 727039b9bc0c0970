"""Composition root: settings -> adapters -> container -> FastAPI app."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
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
from bbws.core.hooks import Hooks
from bbws.core.issuer import LocalIssuer
from bbws.core.mail import FileMailer, Mailer
from bbws.core.ports import HealthChecker, Lazy, WebhookSender
from bbws.core.ratelimit import RateLimiter, StreamSlots
from bbws.core.restore import Restore
from bbws.core.settings import DEFAULT_SECRET, Settings
from bbws.core.store import ItemStore
from bbws.events.outbox import Relay
from bbws.jobs.reaper import DeadLetterReaper
from bbws.jobs.runtime import WorkerThread, build_queue
from bbws.jobs.worker import Worker
from bbws.notifications.delivery import deliver_due, fan_out_publisher
from bbws.readiness import READY, readiness
from bbws.tenants.roles import assignment_loader

log = logging.getLogger("bbws.app")
RESTORE_JOIN_SECONDS = 60.0  # a start under way ends within its own timeouts (PHP 20 s, MariaDB 30 s)

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


def build_handlers() -> HandlerRegistry:
    """Every context's job handlers in one registry, listed here rather than registered by importing a module."""
    from bbws.instances.work import HANDLERS as instance_jobs
    from bbws.sites.templating import HANDLERS as template_making_jobs
    from bbws.sites.work import HANDLERS as site_jobs
    from bbws.templates.work import HANDLERS as template_jobs
    from bbws.tenants.lifecycle import HANDLERS as tenant_jobs

    return HandlerRegistry(tenant_jobs, instance_jobs, site_jobs, template_making_jobs, template_jobs)


def build_hooks(handlers: HandlerRegistry) -> Hooks:
    """What one context does when another acts, connected here once (importing a module connects nothing): what
    an operation that ended without its job lets go of, per resource type; what a tenant's lifecycle checks and
    cascades to; what an instance's removal does to its sites."""
    from bbws.instances import work as instance_work
    from bbws.sites import records
    from bbws.sites import work as site_work
    from bbws.templates import work as template_work

    return Hooks(
        # each claimed job lets go of its own kind of resource; a preview is made once, not claimed
        release={job.kind: job.release for job in handlers.claimed()}
        | {"templatePreview": template_work.release_preview},
        resource_nodes={"site": records.site_node},
        tenant_prechecks=[instance_work.refuse_while_busy],
        tenant_cascades=[instance_work.cascade],
        instance_removed=[site_work.forget_sites_of],
    )


def build_container(
    settings: Settings,
    *,
    store: ItemStore | None = None,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    runtime: RuntimeDriver | None = None,
    site_health: HealthChecker | None = None,
    webhook_sender: WebhookSender | None = None,
) -> Container:
    """Every port from settings, or the one a caller passes (tests pass their fakes here)."""
    from bbws.instances.runtime import build_driver
    from bbws.notifications.delivery import HttpSender
    from bbws.sites.health import check_site

    private_dir(settings.data_dir)  # it holds the signing key, tokens and every tenant's records
    handlers = build_handlers()
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
        hooks=build_hooks(handlers),
        runtime=Lazy.of(runtime) if runtime is not None else Lazy(lambda: build_driver(settings)),
        site_health=site_health or check_site,
        webhook_sender=webhook_sender or HttpSender(allow_private=settings.webhooks_allow_loopback),
        load_assignments=assignment_loader(store),
        issuer=issuer,
    )
    container.publishers.append(fan_out_publisher(container))
    container.after_tick += [lambda: deliver_due(container), lambda: sweep_health(container)]
    if settings.event_bus:  # webhooks and EventBridge each have their publisher
        from bbws.events.eventbridge import EventBridgePublisher

        container.publishers.append(
            EventBridgePublisher(
                None, settings.event_bus, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
            )
        )
    from bbws.templates.builtin import seed_builtin

    try:
        seed_builtin(container)
    except Exception:  # a store that cannot be reached now must not stop the API from starting
        log.exception("built-in templates could not be seeded")
    return container


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    from bbws.instances.api import router as instances_router
    from bbws.jobs.api import router as operations_router
    from bbws.jobs.dlq_api import router as dlq_router
    from bbws.notifications.stream_api import router as event_stream_router
    from bbws.notifications.webhooks_api import router as webhooks_router
    from bbws.plugins.api import body_limits as plugin_body_limits
    from bbws.plugins.api import router as plugins_router
    from bbws.sites.api import router as sites_router
    from bbws.sites.api_ops import router as site_ops_router
    from bbws.sites.plugins.api import router as site_plugins_router
    from bbws.sites.templating_api import router as template_making_router
    from bbws.templates.admin_api import admin_router as template_admin_router
    from bbws.templates.api import router as templates_router
    from bbws.tenants.api import router as tenants_router
    from bbws.tenants.hierarchy_api import router as hierarchy_router
    from bbws.tenants.invitations_api import public_router as invitation_token_router
    from bbws.tenants.invitations_api import router as invitations_router
    from bbws.tenants.users_api import router as users_router

    container = container or build_container(settings or Settings())
    logs.configure(container.settings.log_level)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        """With `run_worker`, a worker thread runs beside the API for as long as the server does."""
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
    http.install(app, max_body_bytes=container.settings.max_body_bytes,
                 body_limits=plugin_body_limits(container.settings))
    for router in (
        tenants_router,
        operations_router,
        hierarchy_router,
        users_router,
        invitations_router,
        invitation_token_router,
        webhooks_router,
        event_stream_router,
        dlq_router,
        instances_router,
        sites_router,
        site_ops_router,
        plugins_router,
        site_plugins_router,
        templates_router,
        template_making_router,
        template_admin_router,
    ):
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


def start_runtime(container: Container, *, restore: Restore | None = None) -> None:
    """Bring back the instances that should be serving (reconcile desired vs actual)."""
    from bbws.instances.runtime import reconcile

    try:
        counts = reconcile(container, restore=restore)
    except Exception:  # the API must come up even when the runtime cannot (missing packages are reported)
        log.exception("instances could not be reconciled")
        return
    if counts["started"] or counts["failed"]:
        log.info("instances reconciled", extra=counts)


def start_runtime_in_background(container: Container) -> None:
    """Note which instances should be serving (a store query, before any job is taken), then bring them back in
    a thread. A job for an instance not back yet starts it itself or waits for its start (`bring_back`)."""
    from bbws.instances.runtime import to_restore

    try:
        restore = to_restore(container.store)
    except Exception:  # the store is down: nothing to restore now; jobs and the supervisor carry on
        log.exception("instances to restore could not be listed")
        return
    container.restore = restore
    restore.thread = threading.Thread(target=start_runtime, args=(container,), kwargs={"restore": restore},
                                      name="bbws-runtime-restore", daemon=True)
    restore.thread.start()


def stop_runtime(container: Container) -> None:
    """Stop the instances' processes this server started (their data stays; the next start brings them back)."""
    restore, container.restore = container.restore, None
    if restore is not None:  # no instance is started after the driver shut down
        restore.stopping.set()
        if restore.thread is not None:
            restore.thread.join(RESTORE_JOIN_SECONDS)
    driver = container.runtime.built
    if driver is not None:
        driver.shutdown()


def admin_token_path(data_dir: Path) -> Path:
    return data_dir / "admin-token"
