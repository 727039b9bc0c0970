"""The job handlers are put together in one place, the composition root: every job the services queue has its
handler there, a name is never taken twice, and no registry fills itself by importing a module."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import bbws
from bbws import app
from bbws.core import handlers as registry_module
from bbws.core.handlers import ClaimedJob, HandlerRegistry
from bbws.instances import service as instances
from bbws.jobs.deferred import RELEASE_JOB
from bbws.sites import history
from bbws.sites import service as sites
from bbws.sites.holds import CLEANUP_JOB
from bbws.templates import previews
from bbws.templates.service import MAKE_JOB, PURGE_JOB
from bbws.tenants.lifecycle import JOB as TENANT_JOB


def test_every_queued_job_has_its_handler_and_nothing_more() -> None:
    queued = {TENANT_JOB, instances.JOB, *sites.JOBS.values(), CLEANUP_JOB, history.CHECK_JOB, MAKE_JOB,
              previews.PREVIEW_JOB, PURGE_JOB, RELEASE_JOB}
    assert set(app.build_handlers().names()) == queued


def test_there_is_no_process_wide_registry_to_fill_by_import() -> None:
    assert not [name for name, value in vars(registry_module).items() if isinstance(value, HandlerRegistry)]


def test_a_job_name_is_taken_once() -> None:
    def handler(job: object, ctx: object) -> None:
        return None

    with pytest.raises(ValueError, match="already registered"):
        HandlerRegistry({"Same": handler}, {"Same": handler})


def _imports(source: str, module: str) -> bool:
    """Whether `source` imports `module` itself (`import a.b`, `from a.b import x`, `from a import b`)."""
    package, _, name = module.rpartition(".")
    return bool(re.search(rf"^\s*(from {re.escape(module)} import|import {re.escape(module)}\b|"
                          rf"from {re.escape(package)} import .*\b{name}\b)", source, flags=re.MULTILINE))


def test_no_module_table_holds_functions_it_does_not_import_itself() -> None:
    """A module-level dict or list holding functions of a module it never imports was filled from outside, by
    importing: after importing every module, none exists (hooks travel in the container, from `build_hooks`)."""
    filled = []
    for info in pkgutil.walk_packages(bbws.__path__, "bbws."):
        if info.name == "bbws.app" or info.name.endswith("__main__"):
            continue  # the composition root builds tables of everything: that is its job
        module = importlib.import_module(info.name)
        source = inspect.getsource(module)
        for name, value in vars(module).items():
            members = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
            for member in members:
                owner = getattr(member, "__module__", None) if callable(member) else None
                if owner and owner.startswith("bbws.") and owner != info.name and not _imports(source, owner):
                    filled.append(f"{info.name}.{name} holds {owner}.{member.__qualname__}")
    assert filled == []


def test_the_composition_root_connects_every_hook_into_each_container_of_its_own() -> None:
    hooks, again = app.build_hooks(app.build_handlers()), app.build_hooks(app.build_handlers())
    assert sorted(hooks.release) == ["instance", "site", "template", "templatePreview", "tenant"]
    assert sorted(hooks.resource_nodes) == ["site"]
    assert [len(hooks.tenant_prechecks), len(hooks.tenant_cascades), len(hooks.instance_removed)] == [1, 1, 1]
    hooks.tenant_cascades.clear()
    assert len(again.tenant_cascades) == 1  # nothing shared between containers


def test_every_job_on_a_claimed_resource_runs_the_one_claimed_sequence() -> None:
    """Tenant lifecycle, instance, site and make-template jobs are `ClaimedJob`s: load, 'already done', 'no longer
    ours', run, release. Only jobs without an Operation's claim are plain functions."""
    registry = app.build_handlers()
    kinds = sorted(job.kind for job in registry.claimed())
    assert kinds == ["instance", "site", "template", "tenant"]
    unclaimed = {name for name in registry.names() if not isinstance(registry.handler_for(name), ClaimedJob)}
    assert unclaimed == {CLEANUP_JOB, history.CHECK_JOB, previews.PREVIEW_JOB, PURGE_JOB, RELEASE_JOB}
