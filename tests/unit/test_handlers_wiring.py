"""The job handlers are put together in one place, the composition root: every job the services queue has its
handler there, a name is never taken twice, and no registry fills itself by importing a module."""

from __future__ import annotations

import pytest

from bbws import app
from bbws.core import handlers as registry_module
from bbws.core.handlers import HandlerRegistry
from bbws.instances import service as instances
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


HOOKS_AFTER_IMPORT = """
import json
import bbws.instances.api, bbws.instances.work, bbws.sites.api, bbws.sites.work, bbws.templates.api
import bbws.templates.work, bbws.tenants.api, bbws.tenants.lifecycle
from bbws.core.changes import AUDIT_VIEWS
from bbws.instances.work import DEPROVISION_HOOKS
from bbws.jobs.operations import RELEASE_HOOKS
from bbws.tenants.lifecycle import CASCADES, PRECHECKS

def state():
    return [sorted(RELEASE_HOOKS), len(PRECHECKS), len(CASCADES), len(DEPROVISION_HOOKS), sorted(AUDIT_VIEWS)]

before = state()
from bbws.app import wire_hooks
wire_hooks()
wire_hooks()  # once or twice: the same
print(json.dumps([before, state()]))
"""


def test_hooks_are_connected_by_the_composition_root_not_by_importing_modules() -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", HOOKS_AFTER_IMPORT], capture_output=True, text=True, check=True)
    before, after = json.loads(done.stdout)
    assert before == [[], 0, 0, 0, []]
    assert after == [["instance", "site", "template", "templatePreview", "tenant"], 1, 1, 1, ["instance"]]
