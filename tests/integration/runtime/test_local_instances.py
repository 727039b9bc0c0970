"""Instances on the local runtime: serve, stop, start, scale, survive a restart, and leave nothing when removed."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from bbws.core.driver import DriverError, InstanceSpec, SiteInfo
from bbws.instances.local import LocalDriver, naming, processes
from tests.integration.runtime.helpers import Runtime, get, make_site, port_block


def test_provision_answers_with_a_status_page_listing_the_sites(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    status = runtime.driver.status(spec)
    assert status.answering and status.running_count == spec.desired_count
    code, body = get(status.url or "")
    assert code == 200
    assert f'href="/{site.path}/"' in body.decode()
    resources = runtime.driver.provision(spec).resources  # a second provision is a no-op with the same answer
    assert resources["port"] == int((status.url or "").rsplit(":", 1)[1].strip("/"))
    assert resources["databaseServer"].startswith("127.0.0.1:") and "password" not in str(resources).lower()


def test_a_site_serves_its_front_page_rest_api_and_static_files(served: tuple[InstanceSpec, SiteInfo]) -> None:
    _, site = served
    assert get(site.url)[0] == 200
    code, body = get(site.url + "wp-json/")
    assert code == 200 and b'"namespaces"' in body
    assert get(site.url + "wp-includes/css/dashicons.min.css")[0] == 200
    assert get(site.url + "wp-login.php")[0] == 200
    assert get(site.url.rstrip("/"))[0] == 301
    assert get(site.url + "wp-config.php")[1] == b""  # runs (defines constants), shows nothing
    assert get(site.url + ".bbws-maintenance")[0] == 404
    assert get(site.url.replace(f"/{site.path}/", "/no-such-site/"))[0] == 404


def test_a_site_in_maintenance_answers_503_and_comes_back(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    runtime.driver.set_site_maintenance(spec, site.database.removeprefix("wp_"), True)
    try:
        assert get(site.url)[0] == 503
        assert get(site.url + "wp-json/")[0] == 503
    finally:
        runtime.driver.set_site_maintenance(spec, site.database.removeprefix("wp_"), False)
    assert get(site.url)[0] == 200


def test_stop_refuses_connections_and_start_serves_again(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    driver = runtime.driver
    spec = fresh_instance()
    url = driver.status(spec).url or ""
    driver.stop(spec)
    driver.stop(spec)  # idempotent
    assert get(url) == (None, b"")
    assert driver.status(spec).running_count == 0 and not driver.status(spec).answering
    driver.start(spec)
    pid = driver.files(spec).read_pid()
    driver.start(spec)  # running and answering: nothing restarts
    assert driver.files(spec).read_pid() == pid
    assert get(url)[0] == 200


def test_scale_restarts_with_the_new_number_of_workers(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    spec = fresh_instance(desired_count=1)
    assert runtime.driver.status(spec).running_count == 1
    for count in (3, 1):
        sized = dataclasses.replace(spec, desired_count=count)
        runtime.driver.scale(sized)
        status = runtime.driver.status(sized)
        assert (status.running_count, status.answering) == (count, True)


def test_update_applies_php_settings(runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]) -> None:
    spec = fresh_instance()
    changed = dataclasses.replace(spec, settings={"phpMemoryLimit": "192M", "uploadMaxFilesize": "16M"})
    runtime.driver.update(changed)
    pid = runtime.driver.files(spec).read_pid()
    assert pid and "memory_limit=192M" in processes.cmdline(pid) and "post_max_size=16M" in processes.cmdline(pid)
    with pytest.raises(DriverError):
        runtime.driver.update(dataclasses.replace(spec, settings={"phpMemoryLimit": "1G; rm"}))


def test_a_new_driver_on_the_same_root_restarts_everything_after_a_shutdown(tmp_path: Path) -> None:
    first = LocalDriver(tmp_path / "runtime", port_range=port_block())
    if first.missing():
        pytest.skip("the local runtime is not installed")
    versions = first.versions()
    spec = Runtime(first, (versions.default_wordpress, versions.default_php)).spec()
    first.provision(spec)
    site = first.install_site(spec, make_site())
    mariadb = first.db.running_pid()
    first.shutdown()  # as `bbws serve` exiting: PHP and MariaDB stop, files stay
    assert get(site.url) == (None, b"")
    assert mariadb and not processes.alive(mariadb) and first.db.running_pid() is None

    second = LocalDriver(tmp_path / "runtime", port_range=port_block())
    try:
        second.start(spec)  # what reconcile does on start-up
        assert get(site.url)[0] == 200
        assert second.status(spec).running_count == spec.desired_count
        # A power cut: everything dies at once (the supervisor too), pid files and the socket stay behind.
        second.supervisor.stop()
        php, mariadb = second.files(spec).read_pid(), second.db.running_pid()
        assert php and mariadb
        for pid in (php, mariadb):
            os.killpg(pid, signal.SIGKILL)
        assert get(site.url) == (None, b"") and second.files(spec).pid_file.exists()
        third = LocalDriver(tmp_path / "runtime", port_range=port_block())
        third.start(spec)
        assert get(site.url + "wp-json/")[0] == 200 and third.db.running_pid() not in (None, mariadb)
        second = third
    finally:
        second.deprovision(spec, export_dir=None)
        second.shutdown()


def test_deprovision_exports_then_removes_databases_users_files_and_processes(
    runtime: Runtime, tmp_path: Path
) -> None:
    driver = runtime.driver
    spec = runtime.spec()
    driver.provision(spec)
    site = driver.install_site(spec, make_site())
    pid = driver.files(spec).read_pid()
    result = driver.deprovision(spec, export_dir=tmp_path / "exports")
    assert result.details["exports"] == [str(tmp_path / "exports" / f"{site.database.removeprefix('wp_')}.tar.gz")]
    assert (site.database,) not in runtime.root_sql("SHOW DATABASES")
    assert runtime.root_sql("SELECT User FROM mysql.user WHERE User = %s", (site.database,)) == []
    assert not driver.files(spec).root.exists()
    assert pid and not processes.alive(pid) and processes.group_members(pid) == []
    assert driver.deprovision(spec, export_dir=tmp_path / "exports").details["exports"] == []  # idempotent


def test_provisioning_without_a_free_port_leaves_nothing_behind(runtime: Runtime) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cramped = LocalDriver(runtime.driver.root, port_range=range(port, port + 1))
        spec = runtime.spec()
        with pytest.raises(DriverError, match="no free port"):
            cramped.provision(spec)
        assert not cramped.files(spec).root.exists()
        # The port asked for by an earlier record is in use by someone else: refused, nothing left either.
        spec = runtime.spec(resources={"port": port})
        with pytest.raises(DriverError, match="in use"):
            cramped.provision(spec)
        assert not cramped.files(spec).root.exists()


def test_a_php_version_that_is_not_installed_is_refused_before_anything_is_made(runtime: Runtime) -> None:
    spec = runtime.spec(php_version="5.6")
    with pytest.raises(DriverError, match=r"PHP 5\.6 is not installed") as raised:
        runtime.driver.provision(spec)
    assert raised.value.code == "UNSUPPORTED_VERSION"
    assert not runtime.driver.files(spec).root.exists()


def test_missing_binaries_are_named_as_debian_packages(runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    bare = LocalDriver(tmp_path / "runtime", port_range=port_block(), search_path=str(tmp_path / "bin"),
                       wordpress_source=tmp_path / "no-wordpress")
    missing = bare.missing()
    assert {"php-cli", "php-mysql", "mariadb-server", "wordpress"} <= set(missing)
    spec = runtime.spec()
    with pytest.raises(DriverError, match="php-cli") as raised:
        bare.provision(spec)
    assert raised.value.code == "RUNTIME_MISSING"
    assert not bare.files(spec).root.exists() and not (tmp_path / "runtime" / "mariadb").exists()


def test_names_are_validated_before_use(runtime: Runtime) -> None:
    with pytest.raises(DriverError):
        runtime.driver.provision(runtime.spec(tenant_id="../../etc"))
    with pytest.raises(DriverError):
        naming.database_name("x`; DROP DATABASE mysql; --")


def test_update_to_another_wordpress_version_relinks_core_and_keeps_content(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    driver = runtime.driver
    spec = fresh_instance()
    site = driver.install_site(spec, make_site())
    # Another version's core template, as a build of a newer WordPress would leave it.
    newer = f"{spec.wordpress_version}.7" if spec.wordpress_version.count(".") == 1 else spec.wordpress_version + "7"
    template = driver.cores.dir / newer
    if not template.exists():
        shutil.copytree(driver.cores.ensure(spec.wordpress_version), template)
        version_file = template / "wp-includes" / "version.php"
        version_file.write_text(version_file.read_text().replace(f"'{spec.wordpress_version}'", f"'{newer}'"))
    assert newer in driver.versions().wordpress
    upload = Path(site.files_path) / "wp-content" / "uploads" / "kept.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text("mine")
    config_before = (Path(site.files_path) / "wp-config.php").read_text()

    driver.update(dataclasses.replace(spec, wordpress_version=newer))
    assert f"'{newer}'" in (Path(site.files_path) / "wp-includes" / "version.php").read_text()
    assert upload.read_text() == "mine" and (Path(site.files_path) / "wp-config.php").read_text() == config_before
    code, body = get(site.url + "wp-json/")
    assert code == 200 and b'"name"' in body
    with pytest.raises(DriverError, match="not installed"):
        driver.update(dataclasses.replace(spec, wordpress_version="1.0"))
