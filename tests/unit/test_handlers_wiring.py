"""The job handlers are put together in one place, the composition root: every job the services queue has its
handler there, a name is never taken twice, and no registry fills itself by importing a module."""

from __future__ import annotations

import pytest

from bbws import app
from bbws.instances import service as instances
from bbws.jobs import registry as registry_module
from bbws.jobs.registry import HandlerRegistry
from bbws.sites import history
from bbws.sites import service as sites
from bbws.sites.holds import CLEANUP_JOB
from bbws.templates import previews
from bbws.templates.service import MAKE_JOB, PURGE_JOB
from bbws.tenants.lifecycle import JOB as TENANT_JOB


def test_every_queued_job_has_its_handler_and_nothing_more() -> None:
    queued = {TENANT_JOB, instances.JOB, *sites.JOBS.values(), CLEANUP_JOB, history.CHECK_JOB, MAKE_JOB,
              previews.PREVIEW_JOB, PURGE_JOB}
    assert set(app.build_handlers().names()) == queued


def test_there_is_no_process_wide_registry_to_fill_by_import() -> None:
    assert not [name for name, value in vars(registry_module).items() if isinstance(value, HandlerRegistry)]


def test_a_job_name_is_taken_once() -> None:
    def handler(job: object, ctx: object) -> None:
        return None

    with pytest.raises(ValueError, match="already registered"):
        HandlerRegistry({"Same": handler}, {"Same": handler})
