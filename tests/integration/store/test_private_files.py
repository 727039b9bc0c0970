"""What the platform writes in its data dir is owner-only (0600 files, 0700 folders) whatever the umask, whoever
created a folder first, and an existing data dir that is too open is repaired at start-up, once, saying so."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bbws.artifacts.local import LocalArtifacts
from bbws.cli.main import app as cli
from bbws.core.files import open_private, private_dir, repair_tree, write_private
from bbws.instances.local.layout import InstanceFiles
from bbws.store.sqlite_store import SqliteStore
from tests.support import packages
from tests.support.api import ApiHarness, rid


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The umask most shells have: without care, files come out 0644 and folders 0755."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def too_open(root: Path) -> list[str]:
    """Files not 0600 and folders not 0700 below `root` (and `root`), as `path 0o644` strings."""
    found = []
    for path in [root, *root.rglob("*")]:
        wanted = 0o700 if path.is_dir() else 0o600
        if not path.is_symlink() and mode(path) != wanted:
            found.append(f"{path.relative_to(root.parent)} {oct(mode(path))}")
    return found


def test_store_init_makes_a_new_data_dir_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("BBWS_DATA_DIR", str(data))
    monkeypatch.setenv("BBWS_STORE", "sqlite")
    done = CliRunner().invoke(cli, ["store", "init", "--data-dir", str(data)])
    assert done.exit_code == 0, done.output
    assert (data / "bbws.sqlite3").is_file() and "Repaired" not in done.output
    assert too_open(data) == []
    open_store = SqliteStore(data / "bbws.sqlite3")  # while it is open, SQLite keeps its -wal and -shm files
    open_store.ensure_schema()
    assert {p.name for p in data.iterdir()} >= {"bbws.sqlite3", "bbws.sqlite3-wal", "bbws.sqlite3-shm"}
    assert too_open(data) == []


def test_start_up_repairs_a_data_dir_that_is_too_open_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    (data / "artifacts" / "backups").mkdir(parents=True, mode=0o755)
    (data / "artifacts" / "backups" / "ten_x.tar.gz").write_bytes(b"dump")
    (data / "signing-key.pem").write_bytes(b"key")
    os.chmod(data / "signing-key.pem", 0o644)
    os.chmod(data, 0o755)
    outside = tmp_path / "outside.txt"
    outside.write_text("not the platform's")
    (data / "link").symlink_to(outside)  # links are left alone, their targets too
    monkeypatch.setenv("BBWS_DATA_DIR", str(data))
    monkeypatch.setenv("BBWS_STORE", "sqlite")
    runner = CliRunner()

    first = runner.invoke(cli, ["store", "init", "--data-dir", str(data)])
    assert first.exit_code == 0, first.output
    assert [line for line in first.output.splitlines() if "Repaired" in line] == [
        f"Repaired the modes of 5 files and folders in {data} (group and others had access; now 0600 files and "
        "0700 folders)."
    ]
    assert too_open(data) == []
    assert mode(outside) == 0o644  # not followed

    again = runner.invoke(cli, ["store", "init", "--data-dir", str(data)])
    assert again.exit_code == 0 and "Repaired" not in again.output


def test_what_the_api_and_its_jobs_write_is_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "artifacts" / "plugins").mkdir(parents=True)  # made by someone else first, 0755
    api = ApiHarness(data)
    tid = api.create_tenant()["tenantId"]
    invited = api.client.post(f"/v1.0/tenants/{tid}/invitations", headers=api.admin(),
                              json={"email": f"{rid('new')}@example.com", "role": "VIEWER"})
    assert invited.status_code == 201, invited.text  # captured mail
    uploaded = packages.upload(api, packages.fixture_zip("bbws-hello", tmp_path / "zips"))
    assert uploaded.status_code == 201, uploaded.text  # a plugin zip in the artifact store
    LocalArtifacts(data / "artifacts").put("backups/ten_x/bk_1.tar.gz", _file(tmp_path / "bk.tar.gz"))
    files = InstanceFiles(data / "instances" / "ins_x")
    files.create()
    files.write_state({"port": 20000})
    files.write_pid(123)

    assert list((data / "mail").glob("msg_*.json")) and list((data / "artifacts" / "plugins").rglob("*.zip"))
    assert {"signing-key.pem", "cursor-secret", "bbws.sqlite3"} <= {p.name for p in data.iterdir()}
    assert too_open(data) == []


def test_the_helpers_tighten_what_exists_and_repair_counts_what_it_changed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    assert private_dir(shared / "a" / "b") == shared / "a" / "b"
    assert (mode(shared / "a"), mode(shared / "a" / "b")) == (0o700, 0o700)
    assert mode(shared) == 0o755  # a parent it did not create is not its to change, unless told
    private_dir(shared / "a" / "b", within=shared)
    assert mode(shared) == 0o700
    os.chmod(shared, 0o755)
    existing = shared / "a" / "client.cnf"
    existing.write_text("old")
    os.chmod(existing, 0o644)
    with open_private(existing, "w") as out:
        out.write("[client]\n")
    assert mode(existing) == 0o600 and existing.read_text() == "[client]\n"
    write_private(shared / "a" / "token", "t")
    assert mode(shared / "a" / "token") == 0o600
    script = shared / "a" / "run.sh"
    script.write_text("#!/bin/sh\n")
    os.chmod(script, 0o755)
    assert repair_tree(shared) == 2  # shared itself and the script; the rest was already owner-only
    assert (mode(shared), mode(script)) == (0o700, 0o700)  # the owner keeps the x bit
    assert repair_tree(shared) == 0


def _file(path: Path) -> Path:
    path.write_bytes(b"a database dump")
    return path
