"""The site, template and plugin services over fakes, without HTTP: the real composition root on an SQLite file,
a manual clock, the in-memory runtime and a local artifact folder. Records are seeded through the services and
the jobs they queue (run here by the worker), never written raw."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bbws.app import build_container, build_worker
from bbws.core.auth import Principal
from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.clock import ManualClock, iso
from bbws.core.container import Container
from bbws.core.ports import SendResult
from bbws.core.settings import Settings
from bbws.instances.models import Environment
from bbws.instances.schemas import InstanceCreate
from bbws.instances.service import create_instance
from bbws.jobs.operations import get_operation
from bbws.plugins import catalog
from bbws.sites import promotion, readiness, service
from bbws.sites.records import get_site
from bbws.sites.templating import create_template
from bbws.store.sqlite_store import SqliteStore
from bbws.templates.records import get_template
from bbws.tenants.models import Tier
from bbws.tenants.roles import grant_role
from bbws.tenants.schemas import TenantCreate
from bbws.tenants.service import create_tenant, get_tenant
from tests.support import packages
from tests.support.api import rid
from tests.support.fake_driver import FakeSites, fake_health
from tests.support.waiting import drain


def no_webhooks(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """These services subscribe no webhooks: a delivery attempt would be a bug in the test set-up."""
    raise AssertionError(f"a webhook was sent to {url}")


def services_container(settings: Settings, *, store: SqliteStore, clock: ManualClock, driver: FakeSites) -> Container:
    """The one place the fakes go into the container."""
    return build_container(
        settings, store=store, clock=clock, runtime=driver, site_health=fake_health, webhook_sender=no_webhooks
    )


class Services:
    """The container plus helpers that make tenants, instances, sites and catalog entries the way callers do."""

    def __init__(self, root: Path, **settings: Any) -> None:
        self.root = root
        # starts now: health history items carry a TTL that the store compares with the real time
        self.clock = ManualClock(datetime.now(UTC))
        # No token is verified without HTTP; an external key set (never fetched) spares each test an RSA signing key.
        settings.setdefault("jwks_url", "https://keys.invalid/jwks.json")
        self.settings = Settings(data_dir=root / "data", **settings)
        self.store = SqliteStore(root / "store.db")
        self.driver = FakeSites()
        self.container = services_container(self.settings, store=self.store, clock=self.clock, driver=self.driver)
        self.worker = build_worker(self.container)
        self.actor = Actor.system("unit-test")

    def run_jobs(self, *, limit: int = 200) -> int:
        """Run queued jobs until none is left (what the worker beside the API does)."""
        return drain(self.worker, limit=limit)

    def operation(self, operation_id: str) -> dict[str, Any]:
        found = get_operation(self.store, operation_id)
        assert found is not None, operation_id
        return found

    # -- callers
    def authz(self, role: str = "ADMIN") -> Authorizer:
        """A platform user holding `role`."""
        return Authorizer(Principal(sub=rid("staff"), platform_role=role), self.container.load_assignments)

    def member(self, tenant: dict[str, Any], role: str, *, node_path: str = "") -> Authorizer:
        """A user holding `role` on a node of the tenant (a stored assignment)."""
        user = rid("user")
        grant_role(
            store=self.store,
            clock=self.clock,
            actor=self.actor,
            tenant_id=tenant["tenantId"],
            user_id=user,
            role=role,
            node_path=node_path,
        )
        return Authorizer(Principal(sub=user), self.container.load_assignments)

    # -- tenants and instances
    def tenant(self, *envs: str, tier: str = "STANDARD") -> dict[str, Any]:
        """An ACTIVE tenant with an ACTIVE instance in each of `envs`."""
        data = TenantCreate(organizationName=rid("Org"), contactEmail="ops@example.com", tier=Tier(tier))
        tenant = create_tenant(store=self.store, clock=self.clock, actor=self.actor, data=data)
        for env in envs:
            self.instance(tenant, env)
        return get_tenant(store=self.store, tenant_id=tenant["tenantId"])

    def tenant_of(self, tenant_id: str) -> dict[str, Any]:
        return get_tenant(store=self.store, tenant_id=tenant_id)

    def clock_iso(self) -> str:
        return iso(self.clock.now())

    def instance(self, tenant: dict[str, Any], env: str) -> None:
        create_instance(
            store=self.store,
            clock=self.clock,
            actor=self.actor,
            tenant=tenant,
            data=InstanceCreate(environment=Environment(env), desiredCount=1),
            versions=self.driver.versions(),
            runtime="local",
        )
        self.run_jobs()

    # -- sites
    def request_site(self, tenant: dict[str, Any], env: str = "dev", **body: Any) -> dict[str, Any]:
        """Ask for a new site (the Operation; its job not run)."""
        body = {"siteName": "Acme", "subdomain": rid("s").replace("-", ""), "environment": env, **body}
        return service.create_site(
            store=self.store,
            clock=self.clock,
            actor=self.actor,
            tenant=tenant,
            body=body,
            node_path="",
            template=None,
            plugins=[],
        )

    def site(self, tenant: dict[str, Any], env: str = "dev", **body: Any) -> dict[str, Any]:
        """An ACTIVE site: requested, and its CreateSite job run."""
        operation = self.request_site(tenant, env, **body)
        self.run_jobs()
        done = self.operation(operation["operationId"])
        assert done["status"] == "COMPLETED", done
        return self.reread(done["result"]["siteId"], tenant["tenantId"])

    def template_now(self, template: dict[str, Any]) -> dict[str, Any]:
        """The template as it is stored now."""
        found = get_template(store=self.store, template_id=template["templateId"])
        assert found is not None, template["templateId"]
        return found

    def reread(self, site_id: str, tenant_id: str) -> dict[str, Any]:
        return get_site(store=self.store, tenant_id=tenant_id, site_id=site_id)

    def fresh(self, site: dict[str, Any]) -> dict[str, Any]:
        return self.reread(site["siteId"], site["tenantId"])

    def promote(self, source: dict[str, Any], target_env: str, *, authz: Authorizer | None = None) -> dict[str, Any]:
        """Ask for a promotion (a platform admin by default); the Operation, its job not run."""
        return readiness.promote(
            container=self.container, authz=authz or self.authz(), actor=self.actor, source=source,
            target_env=target_env,
        )

    def promoted(self, source: dict[str, Any], target_env: str) -> dict[str, Any]:
        """A finished promotion (requested, its job run): the promotion record."""
        operation = self.promote(self.fresh(source), target_env)
        self.run_jobs()
        [item] = promotion.list_promotions(store=self.store, source=source, limit=1).items
        assert item["operationId"] == operation["operationId"]
        return item

    # -- the catalog and templates
    def upload(self, archive: Path) -> dict[str, Any]:
        return catalog.upload_package(
            store=self.store,
            artifacts=self.container.artifacts,
            clock=self.clock,
            actor=self.actor,
            settings=self.settings,
            source=archive,
        )

    def plugin(self, slug: str = "bbws-hello", version: str = "1.0.0", **kw: Any) -> dict[str, Any]:
        return self.upload(packages.fixture_zip(slug, self.root / rid("zip"), version=version, **kw))

    def template(self, site: dict[str, Any], *, slug: str | None = None) -> dict[str, Any]:
        """A template made from `site` (its export job run): one DRAFT version."""
        operation = create_template(
            store=self.store,
            clock=self.clock,
            actor=self.actor,
            fields={"slug": slug or rid("t"), "name": "Made"},
            tenant_id=site["tenantId"],
            site_id=site["siteId"],
        )
        self.run_jobs()
        done = self.operation(operation["operationId"])
        assert done["status"] == "COMPLETED", done
        template = get_template(store=self.store, template_id=operation["resourceId"])
        assert template is not None
        return template


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    return Services(tmp_path)
