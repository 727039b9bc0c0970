"""Client calls for sites, their backups and promotions, templates and the plugin catalog."""

from __future__ import annotations

from typing import Any


class SiteCalls:
    """Mixed into `BbwsClient`; every call that starts long work returns the Operation (`wait()` on it)."""

    def request(self, method: str, path: str, **kwargs: Any) -> Any:  # pragma: no cover - BbwsClient's
        raise NotImplementedError

    @staticmethod
    def _site(tenant_id: str, site_id: str, *more: str) -> str:
        return "/".join((f"/tenants/{tenant_id}/sites/{site_id}", *more)).rstrip("/")

    def create_site(
        self,
        tenant_id: str,
        *,
        site_name: str,
        subdomain: str,
        environment: str,
        template: str | None = None,
        plugins: list[str] | None = None,
        team_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {
            "siteName": site_name,
            "subdomain": subdomain,
            "environment": environment,
            "templateId": template,
            "plugins": plugins or None,
            "teamId": team_id,
            **fields,
        }
        return dict(
            self.request("POST", f"/tenants/{tenant_id}/sites", json={k: v for k, v in body.items() if v is not None})
        )

    def list_sites(
        self, tenant_id: str, *, environment: str | None = None, status: str | None = None, page_size: int = 100
    ) -> list[dict[str, Any]]:
        """Every site of the tenant (all pages) matching the filters."""
        params: dict[str, Any] = {
            k: v
            for k, v in {"environment": environment, "status": status, "pageSize": page_size}.items()
            if v is not None
        }
        found: list[dict[str, Any]] = []
        page = self.request("GET", f"/tenants/{tenant_id}/sites", params=params)
        while True:
            found += page["items"]
            if not page.get("moreAvailable"):
                return found
            page = self.request("GET", page["_links"]["next"]["href"])

    def get_site(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        return dict(self.request("GET", self._site(tenant_id, site_id)))

    def find_site(self, tenant_id: str, environment: str, subdomain: str) -> dict[str, Any] | None:
        """The tenant's live (not deleted) site with that subdomain in an environment."""
        return next(
            (
                s
                for s in self.list_sites(tenant_id, environment=environment)
                if s["subdomain"] == subdomain and s["status"] != "DELETED"
            ),
            None,
        )

    def update_site(self, tenant_id: str, site_id: str, **fields: Any) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        return dict(self.request("PUT", self._site(tenant_id, site_id), json=body))

    def delete_site(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        return dict(self.request("DELETE", self._site(tenant_id, site_id)))

    def set_site_status(self, tenant_id: str, site_id: str, action: str) -> dict[str, Any]:
        return dict(self.request("PUT", self._site(tenant_id, site_id, "status"), json={"action": action}))

    def clone_site(
        self, tenant_id: str, site_id: str, *, subdomain: str, site_name: str, environment: str | None = None
    ) -> dict[str, Any]:
        body = {"subdomain": subdomain, "siteName": site_name, "environment": environment}
        return dict(
            self.request(
                "POST", self._site(tenant_id, site_id, "clone"), json={k: v for k, v in body.items() if v is not None}
            )
        )

    def promote_site(self, tenant_id: str, site_id: str, target: str, *, dry_run: bool = False) -> dict[str, Any]:
        """The Operation, or with `dry_run` the plan (what would change in the target)."""
        return dict(
            self.request(
                "POST",
                self._site(tenant_id, site_id, "promote"),
                json={"target": target},
                params={"dryRun": "true"} if dry_run else None,
            )
        )

    def list_promotions(self, tenant_id: str, site_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", self._site(tenant_id, site_id, "promotions"))["items"])

    def rollback_promotion(self, tenant_id: str, site_id: str, promotion_id: str) -> dict[str, Any]:
        return dict(self.request("POST", self._site(tenant_id, site_id, "promotions", promotion_id, "rollback")))

    def backup_site(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        return dict(self.request("POST", self._site(tenant_id, site_id, "backup")))

    def list_backups(self, tenant_id: str, site_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", self._site(tenant_id, site_id, "backups"))["items"])

    def restore_site(self, tenant_id: str, site_id: str, backup_id: str) -> dict[str, Any]:
        return dict(self.request("POST", self._site(tenant_id, site_id, "restore"), json={"backupId": backup_id}))

    def site_health(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        """The latest recorded health check (reading it checks nothing)."""
        return dict(self.request("GET", self._site(tenant_id, site_id, "health")))

    def check_site_health(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        """Check the site now and record the result (OPERATOR or above)."""
        return dict(self.request("POST", self._site(tenant_id, site_id, "health")))

    def apply_template(self, tenant_id: str, site_id: str, template: str) -> dict[str, Any]:
        return dict(
            self.request("POST", self._site(tenant_id, site_id, "apply-template"), json={"templateId": template})
        )

    def list_templates(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/templates")["items"])

    def list_plugins(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        return list(self.request("GET", "/plugins", params={"kind": kind} if kind else None)["items"])
