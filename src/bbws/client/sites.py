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

    # -- a site's plugins and themes: each change returns its Operation (`wait()` on it); `kind="theme"` for themes
    def list_site_plugins(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        """Every plugin and theme of the site (declared vs actual) in `items`, and its `drift`."""
        return dict(self.request("GET", self._site(tenant_id, site_id, "plugins")))

    def install_site_plugin(
        self,
        tenant_id: str,
        site_id: str,
        *,
        plugin_id: str | None = None,
        slug: str | None = None,
        kind: str = "plugin",
        version: str | None = None,
        activate: bool = True,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """A catalog entry by `plugin_id`, or by `slug` (the newest catalog version unless `version` is named)."""
        named: dict[str, Any] = (
            {"pluginId": plugin_id} if plugin_id else {"slug": slug, "kind": kind, "version": version}
        )
        body = {k: v for k, v in {**named, "activate": activate}.items() if v is not None}
        return self._plugin_change("POST", tenant_id, site_id, None, kind, body, if_match)

    def set_site_plugin_status(
        self,
        tenant_id: str,
        site_id: str,
        slug: str,
        *,
        active: bool,
        kind: str = "plugin",
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """Activate or deactivate a plugin; a theme is only switched to (`active=True`)."""
        return self._plugin_change("PUT", tenant_id, site_id, f"{slug}/status", kind, {"active": active}, if_match)

    def configure_site_plugin(
        self,
        tenant_id: str,
        site_id: str,
        slug: str,
        options: dict[str, Any],
        *,
        kind: str = "plugin",
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """Set WordPress options of the package (None deletes one)."""
        return self._plugin_change("PUT", tenant_id, site_id, f"{slug}/config", kind, {"options": options}, if_match)

    def update_site_plugin(
        self,
        tenant_id: str,
        site_id: str,
        slug: str,
        *,
        version: str | None = None,
        plugin_id: str | None = None,
        kind: str = "plugin",
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """To `version` or `plugin_id`, or the newest catalog version."""
        body = {k: v for k, v in {"version": version, "pluginId": plugin_id}.items() if v is not None}
        return self._plugin_change("PUT", tenant_id, site_id, f"{slug}/update", kind, body, if_match)

    def remove_site_plugin(
        self, tenant_id: str, site_id: str, slug: str, *, kind: str = "plugin", if_match: str | None = None
    ) -> dict[str, Any]:
        return self._plugin_change("DELETE", tenant_id, site_id, slug, kind, None, if_match)

    def _plugin_change(
        self,
        method: str,
        tenant_id: str,
        site_id: str,
        rest: str | None,
        kind: str,
        body: dict[str, Any] | None,
        if_match: str | None,
    ) -> dict[str, Any]:
        path = self._site(tenant_id, site_id, "plugins", *([rest] if rest else []))
        params = {"kind": kind} if rest and kind != "plugin" else None  # an install names its kind in the body
        headers = {"If-Match": if_match} if if_match else None
        return dict(self.request(method, path, json=body, params=params, headers=headers))
