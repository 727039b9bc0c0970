"""Making a template from a site: its first version or a new one, exported from an ACTIVE site by the `MakeTemplate`
job. It belongs to the sites context because it reads a site; the template catalog it writes to is below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict, UnprocessableEntity
from bbws.core.files import scratch
from bbws.core.handlers import ClaimedJob, Handler, JobContext, PermanentFailure
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore
from bbws.events.outbox import enqueue
from bbws.jobs.operations import start_operation
from bbws.sites.records import get_site, instance_spec_for
from bbws.templates import keys, records
from bbws.templates.archives import read_manifest
from bbws.templates.models import TemplateStatus, next_version
from bbws.templates.service import MAKE_JOB, busy, slug_taken
from bbws.templates.work import driving, release, result_of, work_dir_of


def source_site(*, store: ItemStore, tenant_id: str, site_id: str) -> dict[str, Any]:
    """The site a template version is exported from: it must be ACTIVE and have its instance (checked before
    anything is written)."""
    site = get_site(store=store, tenant_id=tenant_id, site_id=site_id)
    if site["status"] != "ACTIVE":
        raise UnprocessableEntity(
            f"Site {site_id} is {site['status']}; a template is made from an ACTIVE site only.",
            code="SITE_NOT_ACTIVE",
            siteStatus=site["status"],
        )
    instance_spec_for(store, site)
    return site


def _queue_make(changes: Changes, template_id: str, site: dict[str, Any], operation_type: str) -> dict[str, Any]:
    operation = start_operation(
        changes,
        tenant_id=keys.PLATFORM_TENANT,
        operation_type=operation_type,
        resource_type="template",
        resource_id=template_id,
    )
    payload = {"templateId": template_id, "tenantId": site["tenantId"], "siteId": site["siteId"]}
    enqueue(
        changes,
        Job(name=MAKE_JOB, tenant_id=keys.PLATFORM_TENANT, operation_id=operation["operationId"], payload=payload),
    )
    return operation


def create_template(
    *, store: ItemStore, clock: Clock, actor: Actor, fields: dict[str, Any], tenant_id: str, site_id: str
) -> dict[str, Any]:
    """Reserve the slug, write the template (no version yet) and queue the export of its version 1; returns
    the PENDING Operation. 409 TEMPLATE_SLUG_TAKEN when the slug is in use."""
    slug = fields["slug"]
    if store.get(*keys.slug_lock(slug)) is not None:
        raise slug_taken(slug)
    site = source_site(store=store, tenant_id=tenant_id, site_id=site_id)
    changes = Changes(actor=actor, now=clock.now())
    template_id = new_id("tpl", now_ms=int(changes.now.timestamp() * 1000))
    guard_pk, guard_sk = keys.slug_lock(slug)
    changes.put(
        {"pk": guard_pk, "sk": guard_sk, "type": "templateSlug", "templateId": template_id}, NOT_EXISTS
    )  # guards: two templates taking the same slug
    operation = _queue_make(changes, template_id, site, "TEMPLATE_CREATE")
    template = records.summarized(
        {
            "pk": keys.PK,
            "sk": keys.template_sk(template_id),
            "type": "template",
            "templateId": template_id,
            "description": "",
            "category": None,
            "builtin": False,
            "usageCount": 0,
            "latestVersion": 0,
            "themeSlug": None,
            "includedPlugins": [],
            "minWordPressVersion": None,
            "shownVersion": None,
            **fields,
            "pendingOperationId": operation["operationId"],
            "lastOperationId": None,
            "createdAt": changes.timestamp,
            "createdBy": actor.sub,
            "updatedAt": changes.timestamp,
            "version": 1,
        },
        {},
    )
    changes.put(template, NOT_EXISTS)
    changes.audit(
        tenant_id=keys.PLATFORM_TENANT,
        action="template.created",
        resource_type="template",
        resource_id=template_id,
        after=template,
    )
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise slug_taken(slug) from exc
    return operation


def request_version(
    *, store: ItemStore, clock: Clock, actor: Actor, template: dict[str, Any], tenant_id: str, site_id: str
) -> dict[str, Any]:
    """Queue the export of the template's next version (DRAFT); one at a time per template."""
    if template.get("pendingOperationId"):
        raise busy(template)
    site = source_site(store=store, tenant_id=tenant_id, site_id=site_id)
    changes = Changes(actor=actor, now=clock.now())
    operation = _queue_make(changes, template["templateId"], site, "TEMPLATE_VERSION")
    records.put_template(changes, template, {**template, "pendingOperationId": operation["operationId"]})
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict("The template changed meanwhile; read it again and retry.") from exc
    return operation


class MakeTemplateJob(ClaimedJob):
    """Export the site, store the archive, and record it as the template's next version (DRAFT)."""

    kind = "template"
    release = staticmethod(release)

    def load(self, job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return records.get_template(store=ctx.container.store, template_id=job.payload["templateId"])

    def name_of(self, job: Job, item: dict[str, Any] | None) -> str:
        return str(item["slug"] if item else job.payload["templateId"])

    def done(self, item: dict[str, Any]) -> dict[str, Any]:
        number = int(item["latestVersion"])
        return result_of(item, number, records.statuses(item)[number].value)

    def run(self, job: Job, ctx: JobContext, item: dict[str, Any]) -> dict[str, Any]:
        return _make(job, ctx, item)


def _make(job: Job, ctx: JobContext, template: dict[str, Any]) -> dict[str, Any]:
    container, store, op_id = ctx.container, ctx.container.store, str(job.operation_id)
    site = get_site(store=store, tenant_id=job.payload["tenantId"], site_id=job.payload["siteId"])
    if site["status"] != "ACTIVE":
        raise PermanentFailure(f"site {site['siteId']} is {site['status']}; a template is made from an ACTIVE site")
    spec, driver = instance_spec_for(store, site), container.runtime.get()
    number = next_version(int(template.get("latestVersion") or 0))
    artifact_key = keys.artifact_key(template["slug"], number, template["templateId"])
    ctx.report(10, "Exporting the site.")
    with scratch(work_dir_of(container)) as work:
        archive = driving(driver.export_site, spec, site["key"], Path(work) / "site.tar.gz")
        themes = driving(driver.run_admin, spec, site["key"], "themes")
        plugins = [p for p in driving(driver.run_admin, spec, site["key"], "plugins") if p.get("active")]
        manifest = read_manifest(archive)
        ctx.report(60, "Storing the archive.")
        stored = container.artifacts.put(artifact_key, archive)
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
        store=store, clock=container.clock, actor=ctx.actor, template_id=template["templateId"], write=write
    )
    return result_of(final, number, TemplateStatus.DRAFT.value, checksum=stored.sha256, size=stored.size)


HANDLERS: dict[str, Handler] = {MAKE_JOB: MakeTemplateJob()}
