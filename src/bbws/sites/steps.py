"""What each site job does, step by step, through the runtime driver (every step may run again after a crash)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bbws.core.driver import DriverError, InstanceSpec
from bbws.core.errors import ApiError
from bbws.core.handlers import PermanentFailure
from bbws.core.store import version_is
from bbws.instances.runtime import bring_back
from bbws.plugins import catalog
from bbws.plugins.install import install_from_catalog
from bbws.sites import backups, history
from bbws.sites.context import SiteContext, site_spec
from bbws.sites.holds import forget, settle, site_result
from bbws.sites.models import BackupStatus, HealthStatus, PromotionStatus, SiteAction, SiteStatus
from bbws.sites.plugins import steps as plugin_steps
from bbws.sites.promotion import get_promotion
from bbws.sites.records import get_site, instance_spec_for
from bbws.templates import service as templates

A, S, P = SiteAction, SiteStatus, PromotionStatus
Report = Callable[[int, str], None]


def _spec(ctx: SiteContext, site: dict[str, Any]) -> InstanceSpec:
    try:
        return instance_spec_for(ctx.store, site)
    except ApiError as exc:
        raise DriverError(exc.detail, code="INSTANCE_NOT_FOUND") from exc


def baseline(
    ctx: SiteContext,
    spec: InstanceSpec,
    site: dict[str, Any],
    installed: dict[str, dict[str, Any]] | None = None,
    packages: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the platform declares the site runs: its active plugins and theme as WordPress reports them now
    (`packages`: as the copy that made the site just read them)."""
    packages = packages or ctx.driver.run_admin(spec, site["key"], "packages")
    plugins, themes = packages["plugins"], packages["themes"]
    catalog = installed or {}
    return {
        "plugins": {
            p["slug"]: {
                "pluginId": (catalog.get(p["slug"]) or {}).get("pluginId"),
                "version": p["version"],
                "active": True,
                "config": {},
            }
            for p in plugins
            if p.get("active")
        },
        "theme": next((t["theme"] for t in themes if t.get("active")), None),
    }


def _template_archive(ctx: SiteContext, ref: dict[str, Any]) -> Any:
    template = templates.find_usable(store=ctx.store, ref=f"{ref['templateId']}@{ref['version']}", platform_admin=True)
    return templates.archive_for(container=ctx.container, template=template, work_dir=ctx.work_dir)


GATE_ATTEMPTS = 4  # a new site's first request compiles WordPress for its folder: on a busy host, ask again


def _gate_new_site(ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any]) -> dict[str, Any]:
    """A site is ACTIVE only once its front page answers 200 (the periodic check goes deeper); that check is its
    first history entry."""
    for attempt in range(GATE_ATTEMPTS):
        report = ctx.check_health(spec, site, deep=False)
        front = next((c for c in report["checks"] if c["name"] == "frontPage"), None)
        if front is not None and front["status"] != "fail":
            return report
        if attempt + 1 < GATE_ATTEMPTS:
            time.sleep(0.5 * (attempt + 1))
    status = (front or {}).get("httpStatus")
    raise DriverError(
        f"the site does not answer at {site['url']}: {(front or {}).get('detail')}",
        code="SITE_NOT_ANSWERING",
        # No answer or a server error may be the runtime restarting (MariaDB, PHP): the job tries again later and
        # fails with this code only once its tries are spent. Any other answer (a 404, a redirect) is for good.
        retryable=status is None or status >= 500,
    )


def _health_fields(report: dict[str, Any]) -> dict[str, Any]:
    return {"healthStatus": report["healthStatus"], "lastHealthAt": report["checkedAt"]}


def _finish(
    ctx: SiteContext, site: dict[str, Any], audit: str | None, report: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    changes = ctx.changes()
    op_id = site["pendingOperationId"]
    after = settle(changes, site, op_id, audit=audit, **(_health_fields(report) if report else {}), **fields)
    if report:
        history.record_check(changes, site=after, report=report, lookback_hours=ctx.settings.health_lookback_hours)
    changes.commit(ctx.store)
    return after


def create(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    spec = _spec(ctx, site)
    if params.get("template"):
        report(10, "Applying the template.")
        info = ctx.driver.import_site(spec, site_spec(site), _template_archive(ctx, params["template"]))
    else:
        report(10, "Installing WordPress.")
        info = ctx.driver.install_site(spec, site_spec(site))
    installed = _install_plugins(ctx, spec, site, params.get("plugins") or [], report)
    live = {**site, "url": info.url}
    health = _gate_new_site(ctx, spec, live)
    after = _finish(
        ctx,
        site,
        "site.created",
        health,
        url=info.url,
        wordpressVersion=spec.wordpress_version,
        phpVersion=spec.php_version,
        declared=baseline(ctx, spec, site, installed, None if installed else info.packages),
    )
    if params.get("template"):
        templates.count_use(store=ctx.store, template_id=params["template"]["templateId"])
    return site_result(after)


def _install_plugins(
    ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any], plugin_ids: list[str], report: Report
) -> dict[str, dict[str, Any]]:
    installed: dict[str, dict[str, Any]] = {}
    for number, plugin_id in enumerate(plugin_ids, 1):
        report(40 + number, f"Installing plugin {number} of {len(plugin_ids)}.")
        entry = catalog.get_entry(store=ctx.store, plugin_id=plugin_id)
        install_from_catalog(
            container=ctx.container, spec=spec, site_key=site["key"], entry=entry, activate=True, work_dir=ctx.work_dir
        )
        installed[entry["slug"]] = entry
    return installed


def _copy(ctx: SiteContext, source: dict[str, Any], target: dict[str, Any], target_spec: InstanceSpec) -> str:
    """Copy the source over the target (URLs rewritten, fresh credentials); the target's URL."""
    info = ctx.driver.copy_site(_spec(ctx, source), source["key"], target_spec, site_spec(target))
    return info.url


def clone(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    source = get_site(store=ctx.store, tenant_id=site["tenantId"], site_id=params["sourceSiteId"])
    spec = _spec(ctx, site)
    report(20, f"Copying {source['siteId']}.")
    url = _copy(ctx, source, site, spec)
    health = _gate_new_site(ctx, spec, {**site, "url": url})
    changes = ctx.changes()
    op_id = site["pendingOperationId"]
    after = settle(
        changes,
        site,
        op_id,
        audit="site.created",
        url=url,
        wordpressVersion=spec.wordpress_version,
        phpVersion=spec.php_version,
        declared=source.get("declared"),
        **_health_fields(health),
    )
    settle(changes, source, op_id, audit="site.cloned", status=source.get("previousStatus") or S.ACTIVE.value)
    history.record_check(changes, site=after, report=health, lookback_hours=ctx.settings.health_lookback_hours)
    changes.commit(ctx.store)
    return site_result(after, sourceSiteId=source["siteId"])


def promote(ctx: SiteContext, source: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    target = get_site(store=ctx.store, tenant_id=source["tenantId"], site_id=params["targetSiteId"])
    promotion = get_promotion(store=ctx.store, source=source, promotion_id=params["promotionId"])
    spec = _spec(ctx, target)
    # the job brought back its own (the source's) instance after a restart; the target's is checked over HTTP below
    bring_back(ctx.container, tenant_id=target["tenantId"], environment=target["environment"])
    backup = None
    if params.get("preBackupId"):
        report(10, "Backing up the target.")
        backup = backups.get_backup(store=ctx.store, site=target, backup_id=params["preBackupId"])
        backup = backups.take_backup(ctx, spec, target, backup)
    report(40, "Copying the source over the target.")
    url = _copy(ctx, source, target, spec)
    report(80, "Checking the target's health.")
    health = ctx.check_health(spec, {**target, "url": url})
    changes = ctx.changes()
    op_id = source["pendingOperationId"]
    settle(changes, source, op_id, status=source.get("previousStatus") or S.ACTIVE.value)
    if health["healthStatus"] == HealthStatus.UNHEALTHY:
        reason = "the target failed its health check after the copy; it was put back as it was"
        if backup is None:
            ctx.driver.delete_site(spec, target["key"])
            forget(
                changes,
                ctx.store,
                settle(changes, target, op_id, audit="site.promotion_failed", status=S.DELETED.value, lastError=reason),
            )
        else:
            backups.restore(ctx, spec, target, backup)
            settle(changes, target, op_id, audit="site.promotion_failed", status=S.ACTIVE.value)
        _end_promotion(changes, promotion, P.ROLLED_BACK, health=health, error=reason)
        changes.commit(ctx.store)
        raise PermanentFailure(
            f"Promotion {promotion['promotionId']} rolled back: {reason}.", code="HEALTH_GATE_FAILED"
        )
    after = settle(
        changes,
        target,
        op_id,
        audit="site.promoted",
        url=url,
        wordpressVersion=spec.wordpress_version,
        phpVersion=spec.php_version,
        declared=source.get("declared"),
        promotedFrom=source["siteId"],
        lastPromotionId=promotion["promotionId"],
        **_health_fields(health),
    )
    history.record_check(changes, site=after, report=health, lookback_hours=ctx.settings.health_lookback_hours)
    _end_promotion(changes, promotion, P.COMPLETED, health=health)
    changes.commit(ctx.store)
    return site_result(
        after, promotionId=promotion["promotionId"], sourceSiteId=source["siteId"], targetSiteId=target["siteId"]
    )


def _end_promotion(changes: Any, promotion: dict[str, Any], status: PromotionStatus, **fields: Any) -> None:
    done = {
        **promotion,
        "status": status.value,
        "completedAt": changes.timestamp,
        **fields,
        "version": promotion["version"] + 1,
    }
    if status == P.ROLLED_BACK and "health" not in fields:
        done.update(rolledBackAt=changes.timestamp, rolledBackBy=changes.actor.sub)
    changes.put(done, version_is(promotion["version"]))  # guards: one job ends a promotion
    changes.audit(
        tenant_id=promotion["tenantId"],
        action="site.promotion_completed" if status == P.COMPLETED else "site.promotion_rolled_back",
        resource_type="site",
        resource_id=promotion["sourceSiteId"],
        event_data={
            k: done.get(k)
            for k in (
                "promotionId",
                "sourceSiteId",
                "targetSiteId",
                "status",
                "sourceEnvironment",
                "targetEnvironment",
                "error",
            )
        },
    )


def _rolled_back(ctx: SiteContext, changes: Any, params: dict[str, Any], tenant_id: str) -> None:
    if not params.get("promotionId"):
        return
    source = {"tenantId": tenant_id, "siteId": params["promotionSourceId"]}
    promotion = get_promotion(store=ctx.store, source=source, promotion_id=params["promotionId"])
    if promotion["status"] == P.COMPLETED:
        _end_promotion(changes, promotion, P.ROLLED_BACK)


def restore(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    backup = backups.get_backup(store=ctx.store, site=site, backup_id=params["backupId"])
    spec = _spec(ctx, site)
    report(20, f"Restoring backup {backup['backupId']}.")
    check = backups.restore(ctx, spec, site, backup)
    health = ctx.check_health(spec, site)
    changes = ctx.changes()
    after = settle(changes, site, site["pendingOperationId"], audit="site.restored", **_health_fields(health))
    history.record_check(changes, site=after, report=health, lookback_hours=ctx.settings.health_lookback_hours)
    _rolled_back(ctx, changes, params, site["tenantId"])
    changes.commit(ctx.store)
    return site_result(after, restore=check)


def backup(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    item = backups.get_backup(store=ctx.store, site=site, backup_id=params["backupId"])
    report(20, "Exporting the database and wp-content.")
    done = backups.take_backup(ctx, _spec(ctx, site), site, item)
    after = _finish(ctx, site, None)  # the backup itself is the event (site.backed_up)
    return site_result(after, backupId=done["backupId"], checksum=done["checksum"], size=done["size"])


def update(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    names = {"siteName": "blogname", "tagline": "blogdescription", "adminEmail": "admin_email"}
    options = {names[k]: v for k, v in params.items() if k in names}
    ctx.driver.run_admin(_spec(ctx, site), site["key"], "set-options", {"options": options})
    after = _finish(ctx, site, "site.updated", **{k: v for k, v in params.items() if k in names})
    return site_result(after)


def _maintenance(enabled: bool, audit: str) -> Callable[..., dict[str, Any]]:
    def step(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
        ctx.driver.set_site_maintenance(_spec(ctx, site), site["key"], enabled)
        return site_result(_finish(ctx, site, audit))

    return step


def apply_template(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    spec = _spec(ctx, site)
    report(10, "Backing up the site first.")
    backups.take_backup(ctx, spec, site, backups.get_backup(store=ctx.store, site=site, backup_id=params["backupId"]))
    report(40, "Applying the template.")
    ctx.driver.import_site(spec, site_spec(site), _template_archive(ctx, params["template"]))
    health = ctx.check_health(spec, site)
    after = _finish(
        ctx,
        site,
        "site.template_applied",
        health,
        templateId=params["template"]["templateId"],
        declared=baseline(ctx, spec, site),
    )
    return site_result(after, backupId=params["backupId"])


def delete(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    item = backups.get_backup(store=ctx.store, site=site, backup_id=params["backupId"])
    try:
        spec: InstanceSpec | None = _spec(ctx, site)
    except DriverError:
        spec = None  # the instance is gone: nothing is left to back up or remove
    if spec is not None:
        if ctx.driver.site_info(spec, site["key"]) is not None:
            report(10, "Backing up the site first.")
            item = backups.take_backup(ctx, spec, site, item)
        report(60, "Removing the database, user and files.")
        # also when the runtime no longer shows the site: a removal a crash cut short is finished, not left
        ctx.driver.delete_site(spec, site["key"])
    changes = ctx.changes()
    after = settle(changes, site, site["pendingOperationId"], audit="site.deleted", status=S.DELETED.value, url=None)
    forget(changes, ctx.store, after)
    _rolled_back(ctx, changes, params, site["tenantId"])
    changes.commit(ctx.store)
    return site_result(after, backupId=item["backupId"] if item["status"] == BackupStatus.COMPLETED else None)


STEPS: dict[SiteAction, Callable[..., dict[str, Any]]] = {
    A.CREATE: create,
    A.CLONE: clone,
    A.PROMOTE: promote,
    A.RESTORE: restore,
    A.BACKUP: backup,
    A.UPDATE: update,
    A.SUSPEND: _maintenance(True, "site.suspended"),
    A.ACTIVATE: _maintenance(False, "site.activated"),
    A.APPLY_TEMPLATE: apply_template,
    A.DELETE: delete,
    **plugin_steps.STEPS,
}
