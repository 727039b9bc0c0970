"""Worker side of templates: export a site into a new version (`MakeTemplate`), make a version's preview
(`PreviewTemplate`), and what an operation that ended without its handler leaves behind."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bbws.artifacts import artifacts_of
from bbws.core.changes import Actor, Changes
from bbws.core.clock import iso
from bbws.core.files import scratch
from bbws.core.links import act, href, links
from bbws.instances.driver import DriverError, SiteSpec
from bbws.instances.runtime import driver_of
from bbws.jobs.operations import RELEASE_HOOKS
from bbws.jobs.queue import Job
from bbws.jobs.registry import JobContext, PermanentFailure, registry
from bbws.sites.records import get_site, instance_spec_for
from bbws.store.port import Delete, ItemStore, version_is
from bbws.templates import keys, previews, records
from bbws.templates.archives import archive_for, read_manifest
from bbws.templates.models import TemplateStatus, next_version
from bbws.templates.platform import ensure_running, once, preview_spec
from bbws.templates.service import MAKE_JOB, PURGE_JOB, template_children

log = logging.getLogger("bbws.templates")


def _actor(ctx: JobContext) -> Actor:
    op = ctx.operation or {}
    return Actor(sub=op.get("createdBy", "system"), request_id=op.get("requestId", ""))


def _work_dir(container: Any) -> Path:
    return Path(container.settings.data_dir) / "tmp"  # beside the artifacts: a put hard-links, not copies


def _result(template: dict[str, Any], number: int, status: str, **more: Any) -> dict[str, Any]:
    template_href = href("templates", template["templateId"])
    return {
        "message": f"Template {template['slug']} version {number} is {status}.",
        "templateId": template["templateId"],
        "slug": template["slug"],
        "version": number,
        "status": status,
        **more,
        "_links": links(
            template=template_href,
            version=href("templates", f"{template['templateId']}@{number}"),
            publish=act(href("admin", "templates", template["templateId"], "publish"))
            if status == TemplateStatus.DRAFT
            else None,
        ),
    }


def _driving(call: Any, *args: Any) -> Any:
    """A runtime refusal that retrying cannot fix fails the job at once, with the runtime's reason."""
    try:
        return call(*args)
    except DriverError as exc:
        if exc.retryable:
            raise
        raise PermanentFailure(exc.reason) from exc


@registry.register(MAKE_JOB)
def handle_make(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Export the site, store the archive, and record it as the template's next version (DRAFT)."""
    container, store, op_id = ctx.container, ctx.container.store, str(job.operation_id)
    template = records.get_template(store=store, template_id=job.payload["templateId"])
    if template is None:
        raise PermanentFailure(f"template {job.payload['templateId']} no longer exists")
    if template.get("lastOperationId") == op_id:  # recorded by an earlier delivery of this job
        number = int(template["latestVersion"])
        return _result(template, number, records.statuses(template)[number].value)
    if template.get("pendingOperationId") != op_id:
        raise PermanentFailure(f"template {template['slug']} is no longer waiting for operation {op_id}")
    site = get_site(store=store, tenant_id=job.payload["tenantId"], site_id=job.payload["siteId"])
    if site["status"] != "ACTIVE":
        raise PermanentFailure(f"site {site['siteId']} is {site['status']}; a template is made from an ACTIVE site")
    spec, driver = instance_spec_for(store, site), driver_of(container)
    number = next_version(int(template.get("latestVersion") or 0))
    artifact_key = keys.artifact_key(template["slug"], number, template["templateId"])
    ctx.report(10, "Exporting the site.")
    with scratch(_work_dir(container)) as work:
        archive = _driving(driver.export_site, spec, site["key"], Path(work) / "site.tar.gz")
        themes = _driving(driver.run_admin, spec, site["key"], "themes")
        plugins = [p for p in _driving(driver.run_admin, spec, site["key"], "plugins") if p.get("active")]
        manifest = read_manifest(archive)
        ctx.report(60, "Storing the archive.")
        stored = artifacts_of(container).put(artifact_key, archive)
    fields = {
        "artifactKey": artifact_key,
        "checksum": stored.sha256,
        "size": stored.size,
        "themeSlug": next((t["theme"] for t in themes if t.get("active")), None),
        "includedPlugins": [p["slug"] for p in plugins],
        "plugins": plugins,
        "minWordPressVersion": manifest.get("wordpressVersion") or spec.wordpress_version,
        "sourceTenantId": site["tenantId"],
        "sourceSiteId": site["siteId"],
        "operationId": op_id,
    }

    def write(changes: Changes, current: dict[str, Any]) -> dict[str, Any]:
        if current.get("pendingOperationId") != op_id:
            raise PermanentFailure(f"template {current['slug']} is no longer waiting for operation {op_id}")
        version = records.version_item(current, number, TemplateStatus.DRAFT, changes, **fields)
        changes.put(version)  # the number is held by this operation (one at a time per template)
        statuses = {**records.statuses(current), number: TemplateStatus.DRAFT}
        after = records.summarized(
            {**current, "latestVersion": number, "pendingOperationId": None, "lastOperationId": op_id}, statuses
        )
        shown = records.needs_description(after, statuses)
        if shown == number:
            after = records.describe(after, version)
        return records.put_template(changes, current, after, audit="template.version_created")

    final = records.with_template(
        store=store, clock=container.clock, actor=_actor(ctx), template_id=template["templateId"], write=write
    )
    return _result(final, number, TemplateStatus.DRAFT.value, checksum=stored.sha256, size=stored.size)


@registry.register(previews.PREVIEW_JOB)
def handle_preview(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Make the version's preview site once (later requests find it and only make sure it is running)."""
    container, store = ctx.container, ctx.container.store
    template_id, number = job.payload["templateId"], int(job.payload["version"])
    template = records.get_template(store=store, template_id=template_id)
    version = records.get_version(store=store, template_id=template_id, number=number)
    if template is None or version is None:
        raise PermanentFailure(f"template {template_id} version {number} no longer exists")
    driver = driver_of(container)
    spec = preview_spec(driver)
    _driving(ensure_running, driver, spec)
    key = previews.site_key(template_id, number)

    def done() -> dict[str, Any] | None:
        preview = previews.get_preview(store=store, template_id=template_id, number=number)
        if preview is None:
            raise PermanentFailure(f"the preview of template {template_id} version {number} was removed")
        ready = preview["status"] == previews.READY and driver.site_info(spec, key) is not None
        return preview if ready else None

    def build() -> dict[str, Any]:
        preview = previews.get_preview(store=store, template_id=template_id, number=number)
        assert preview is not None
        preview = previews.save_preview(
            store, preview, status=previews.BUILDING, error=None, operationId=str(job.operation_id)
        )
        ctx.report(20, "Importing the template into the preview site.")
        try:
            with scratch(_work_dir(container)) as work:
                record = records.merged(template, version)
                archive = _driving(lambda: archive_for(container=container, template=record, work_dir=Path(work)))
                site = SiteSpec(
                    key=key,
                    path=previews.site_path(template["slug"], number),
                    title=f"{template['name']} (preview)",
                    admin_email="webmaster@example.com",
                )
                info = _driving(driver.import_site, spec, site, archive)
        except Exception as exc:
            reason = exc.reason if isinstance(exc, DriverError) else str(exc)
            previews.save_preview(store, preview, status=previews.FAILED, error=reason[:500])
            raise
        return previews.save_preview(
            store, preview, status=previews.READY, url=info.url, readyAt=iso(container.clock.now())
        )

    preview = once(store, template_id, f"preview-{number}", done=done, build=build)
    return {
        **_result(template, number, version["status"]),
        "message": f"The preview is at {preview['url']}.",
        "url": preview["url"],
        "previewStatus": preview["status"],
    }


@registry.register(PURGE_JOB)
def handle_purge(job: Job, ctx: JobContext) -> None:
    """What a deleted template leaves: preview sites, archives, then the version and preview items."""
    container, store, template_id = ctx.container, ctx.container.store, job.payload["templateId"]
    if records.get_template(store=store, template_id=template_id) is not None:
        return  # not deleted after all (the job outlived a failed commit): nothing to purge
    children = template_children(store=store, template_id=template_id)
    previews_made = [item for item in children if item.get("type") == "templatePreview"]
    if previews_made:
        driver = driver_of(container)
        spec = preview_spec(driver)
        for item in previews_made:
            driver.delete_site(spec, item["siteKey"])
    artifacts = artifacts_of(container)
    for item in children:
        if item.get("type") == "templateVersion":
            artifacts.delete(item["artifactKey"])
    for start in range(0, len(children), 50):
        store.transact([Delete(keys.PK, item["sk"]) for item in children[start : start + 50]])


def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    """A make operation that ended without its handler recording it lets the template take the next one."""
    template = records.get_template(store=store, template_id=operation["resourceId"])
    if template is None or template.get("pendingOperationId") != operation["operationId"]:
        return
    after = {**template, "pendingOperationId": None, "lastError": (operation.get("error") or {}).get("detail")}
    records.put_template(changes, template, after, audit="template.released")


def release_preview(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    """A preview operation cancelled or dead-lettered: its preview shows FAILED (a new request starts again)."""
    for item in store.query(keys.PK, sk_prefix=keys.children_prefix(operation["resourceId"]) + "PREVIEW#").items:
        if item.get("operationId") == operation["operationId"] and item["status"] != previews.READY:
            error = (operation.get("error") or {}).get("detail") or f"Operation {operation['status'].lower()}."
            changes.put(
                {**item, "status": previews.FAILED, "error": error, "version": item["version"] + 1},
                version_is(item["version"]),
            )  # guards: the job finishing at this very moment


RELEASE_HOOKS["template"] = release
RELEASE_HOOKS["templatePreview"] = release_preview
