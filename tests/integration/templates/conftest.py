from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from bbws.core.clock import iso
from bbws.core.driver import InstanceSpec, SiteSpec
from bbws.core.ids import new_id
from bbws.sites import keys as site_keys
from bbws.sites.records import instance_spec_for
from bbws.sites.templating_api import router as making_router
from bbws.templates.admin_api import admin_router
from bbws.templates.api import router
from bbws.templates.builtin import seed_builtin
from bbws.tenants import keys as tenant_keys
from tests.support.api import ApiHarness, rid
from tests.support.fake_driver import FakeSites


def with_template_routes(app: FastAPI) -> FastAPI:
    """The template routers, unless the app already serves them."""
    if not any(getattr(route, "path", "") == "/v1.0/templates" for route in app.routes):
        app.include_router(router)
        app.include_router(making_router)
        app.include_router(admin_router)
    return app


class TemplateFakes(FakeSites):
    """FakeSites whose posts keep their categories, as the real create-post command reports them."""

    def run_admin(self, spec: InstanceSpec, key: str, command: str, args: dict[str, Any] | None = None) -> Any:
        answer = super().run_admin(spec, key, command, args)
        if command == "create-post":
            answer["categories"] = list(range(2, 2 + len((args or {}).get("categories") or [])))
            self._site(spec, key).setdefault("entries", []).append((args or {}).get("title"))
        if command == "switch-theme":
            self._site(spec, key)["theme"] = (args or {})["theme"]
            return {"theme": (args or {})["theme"]}
        return answer


def write_site(api: ApiHarness, tenant_id: str, *, status: str = "ACTIVE", install: bool = True) -> dict[str, Any]:
    """A site record as the sites service keeps it, and its WordPress installed through the driver."""
    store, now = api.container.store, iso(api.container.clock.now())
    site_id = new_id("site")
    subdomain = "s" + site_id[-10:]
    instance = store.get(tenant_keys.tenant_pk(tenant_id), tenant_keys.instance_sk("dev"))
    record: dict[str, Any] = {
        "pk": tenant_keys.tenant_pk(tenant_id),
        "sk": site_keys.site_sk(site_id),
        "type": "site",
        **site_keys.site_indexes(tenant_id, "dev", status, site_id),
        "siteId": site_id,
        "tenantId": tenant_id,
        "siteName": "Source",
        "subdomain": subdomain,
        "environment": "dev",
        "status": status,
        "lineageId": new_id("site"),
        "templateId": None,
        "teamId": None,
        "nodePath": "",
        "url": None,
        "key": site_id,
        "path": subdomain,
        "instanceId": instance["instanceId"] if instance else None,
        "wordpressVersion": None,
        "phpVersion": None,
        "healthStatus": "UNKNOWN",
        "adminEmail": "owner@example.com",
        "tagline": "",
        "declared": {"plugins": {}},
        "pendingOperationId": None,
        "version": 1,
        "createdAt": now,
        "createdBy": "test",
        "updatedAt": now,
    }
    if install and instance is not None:
        spec = instance_spec_for(store, record)
        info = api.container.runtime.get().install_site(
            spec, SiteSpec(key=site_id, path=subdomain, title="Source", admin_email="owner@example.com")
        )
        record["url"] = info.url
        record["wordpressVersion"], record["phpVersion"] = spec.wordpress_version, spec.php_version
    store.put(record)
    return record


class TemplateHarness(ApiHarness):
    """The API with the template routes over an in-memory runtime, and the built-in templates seeded."""

    def __init__(self, data_dir: Path) -> None:
        self.driver = TemplateFakes()
        super().__init__(data_dir, driver=self.driver)
        with_template_routes(self.app)
        seed_builtin(self.container)

    def tenant(self, *, instance: bool = True) -> str:
        tenant = self.create_tenant()
        self.run_jobs()
        if instance:
            body = {"environment": "dev", "desiredCount": 1}
            op = self.wait(
                self.client.post(f"/v1.0/tenants/{tenant['tenantId']}/instances", json=body, headers=self.admin())
            )
            assert op["status"] == "COMPLETED", op
        return str(tenant["tenantId"])

    def site(self, tenant_id: str | None = None, **kw: Any) -> dict[str, Any]:
        return write_site(self, tenant_id or self.tenant(), **kw)

    def make(self, site: dict[str, Any], **body: Any) -> dict[str, Any]:
        """Make a template from `site` (as a platform admin); returns the finished Operation."""
        body = {"slug": rid("t"), "name": "Made", "tenantId": site["tenantId"], "siteId": site["siteId"], **body}
        return self.wait(self.client.post("/v1.0/admin/templates", json=body, headers=self.admin()))

    def get(self, ref: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(f"/v1.0/templates/{ref}", headers=headers or self.admin())


@pytest.fixture
def api(tmp_path: Path) -> TemplateHarness:
    return TemplateHarness(tmp_path / "data")
