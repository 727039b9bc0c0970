"""The local runtime for real: one LocalDriver (its own MariaDB, its own block of ports) per xdist worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bbws.core.driver import InstanceSpec, SiteInfo
from bbws.instances.local import LocalDriver
from tests.integration.runtime.helpers import Runtime, make_site, port_block


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    driver = LocalDriver(tmp_path_factory.mktemp("runtime"), port_range=port_block())
    missing = driver.missing()
    if missing:
        # scripts/setup.sh installs these; a run without them must not pass by skipping the real-runtime tests
        pytest.fail(f"the local runtime needs: {' '.join(missing)} (run scripts/setup.sh)")
    versions = driver.versions()
    yield Runtime(driver=driver, versions=(versions.default_wordpress, versions.default_php))
    driver.shutdown()


@pytest.fixture(scope="module")
def served(runtime: Runtime) -> Iterator[tuple[InstanceSpec, SiteInfo]]:
    """An instance with one installed site, shared by the tests of a module that leave it as they found it."""
    spec = runtime.spec()
    runtime.driver.provision(spec)
    site = runtime.driver.install_site(spec, make_site())
    yield spec, site
    runtime.driver.deprovision(spec, export_dir=None)


@pytest.fixture
def fresh_instance(runtime: Runtime) -> Iterator[Callable[..., InstanceSpec]]:
    """Provisions instances for one test and removes them afterwards."""
    made: list[InstanceSpec] = []

    def make(**changes: Any) -> InstanceSpec:
        spec = runtime.spec(**changes)
        runtime.driver.provision(spec)
        made.append(spec)
        return spec

    yield make
    for spec in made:
        runtime.driver.deprovision(spec, export_dir=None)
