"""Worker side of templates: make a version's preview (`PreviewTemplate`), purge a deleted template, and what an
operation that ended without its handler leaves behind (the export of a site into a version is in
`bbws.sites.templating`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bbws.core.changes import Changes
from bbws.core.clock import iso
from bbws.core.container import Container
from bbws.core.driver import DriverError, SiteSpec
from bbws.core.files import scratch
from bbws.core.handlers import Handler, JobContext, PermanentFailure
from bbws.core.links import act, href, links
from bbws.core.queue import Job
from bbws.core.store import Delete, ItemStore, version_is
from bbws.templates import keys, previews, records
from bbws.templates.archives import archive_for
from bbws.templates.models import TemplateStatus
from bbws.templates.platform import ensure_running, once, preview_spec
from bbws.templates.service import PURGE_JOB, template_children

log = logging.getLogger("bbws.templates")


def work_dir_of(container: Container) -> Path:
    return Path(container.settings.data_dir) / "tmp"  # beside the artifacts: a put hard-links, not copies


def result_of(template: dict[str, Any], number: int, status: str, **more: Any) -> dict[str, Any]:
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


def driving(call: Any, *args: Any) -> Any:
    """A runtime refusal that retrying cannot fix fails the job at once, with the runtime's reason."""
    try:
        return call(*args)
    except DriverError as exc:
        if exc.retryable:
            raise
        raise PermanentFailure(exc.reason) from exc


def handle_preview(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Make the version's preview site once (later requests find it and only make sure it is running)."""
    container, store = ctx.container, ctx.container.store
    template_id, number = job.payload["templateId"], int(job.payload["version"])
    template = records.get_template(store=store, template_id=template_id)
    version = records.get_version(store=store, template_id=template_id, number=number)
    if template is None or version is None:
        raise PermanentFailure(f"template {template_id} version {number} no longer exists")
    driver = container.runtime.get()
    spec = preview_spec(driver)
    driving(ensure_running, driver, spec)
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
            with scratch(work_dir_of(container)) as work:
                record = records.merged(template, version)
                archive = driving(lambda: archive_for(container=container, template=record, work_dir=Path(work)))
                site = SiteSpec(
                    key=key,
                    path=previews.site_path(template["slug"], number),
                    title=f"{template['name']} (preview)",
                    admin_email="webmaster@example.com",
                )
                info = driving(driver.import_site, spec, site, archive)
        except Exception as exc:
            reason = exc.reason if isinstance(exc, DriverError) else str(exc)
            previews.save_preview(store, preview, status=previews.FAILED, error=reason[:500])
            raise
        return previews.save_preview(
            store, preview, status=previews.READY, url=info.url, readyAt=iso(container.clock.now())
        )

    preview = once(store, template_id, f"preview-{number}", done=done, build=build)
    return {
        **result_of(template, number, version["status"]),
        "message": f"The preview is at {preview['url']}.",
        "url": preview["url"],
        "previewStatus": preview["status"],
    }


def handle_purge(job: Job, ctx: JobContext) -> None:
    """What a deleted template leaves: preview sites, archives, then the version and preview items."""
    container, store, template_id = ctx.container, ctx.container.store, job.payload["templateId"]
    if records.get_template(store=store, template_id=template_id) is not None:
        return  # not deleted after all (the job outlived a failed commit): nothing to purge
    children = template_children(store=store, template_id=template_id)
    previews_made = [item for item in children if item.get("type") == "templatePreview"]
    if previews_made:
        driver = container.runtime.get()
        spec = preview_spec(driver)
        for item in previews_made:
            driver.delete_site(spec, item["siteKey"])
    artifacts = container.artifacts
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
    for item in store.query(keys.PK, sk_prefix=keys.previews_prefix(operation["resourceId"])).items:
        if item.get("operationId") == operation["operationId"] and item["status"] != previews.READY:
            error = (operation.get("error") or {}).get("detail") or f"Operation {operation['status'].lower()}."
            changes.put(
                {**item, "status": previews.FAILED, "error": error, "version": item["version"] + 1},
                version_is(item["version"]),
            )  # guards: the job finishing at this very moment



HANDLERS: dict[str, Handler] = {
    previews.PREVIEW_JOB: handle_preview,
    PURGE_JOB: handle_purge,
}
