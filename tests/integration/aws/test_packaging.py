"""`bbws aws package`: the arm64 layer and the code zip are reproducible, small enough, and hold what Lambda needs.

The layer is built with pip from the package registry (wheels cached by pip, so later runs are quick); the
builds run once per session and the tests read what they wrote.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bbws.aws.packaging import (
    CODE_ZIP,
    FUNCTIONS,
    LAYER_ZIP,
    MANIFEST,
    NOT_IN_LAMBDA,
    UNZIPPED_LIMIT_BYTES,
    PackagingError,
    build,
    canonical,
    project_root,
)
from bbws.cli.main import app as cli

EM_AARCH64 = 0xB7
CHANGED_FILE = "src/bbws/core/ids.py"
HTTP_REQUEST = Path(__file__).parents[2] / "events" / "apigw_v2_request.json"

# In a fresh interpreter where the modules the layer leaves out cannot be imported (as on Lambda): import every
# entry point and let each HTTP one answer a first request (which builds its app and its container).
PROBE = """
import importlib.abc, json, sys
from importlib import import_module
handlers, request, absent = json.loads(sys.argv[1]), json.loads(open(sys.argv[2]).read()), set(json.loads(sys.argv[3]))

class NotInLayer(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in absent:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the layer)", name=name)
        return None

sys.meta_path.insert(0, NotInLayer())
for handler in handlers:
    module = import_module(handler.rsplit(".", 1)[0])
    if module.__name__.endswith("_http"):
        assert module.handler(dict(request), None)["statusCode"] == 200, handler
"""


@dataclass(frozen=True)
class Builds:
    first: Path  # the source tree, built
    again: Path  # the same tree, built again through the CLI with two functions chosen
    changed: Path  # the same tree with one source file changed
    cli_output: str


def copy_tree(source: Path, dest: Path) -> Path:
    """pyproject.toml and src/bbws of the project, so a test can change a file without touching the work tree."""
    (dest / "src").mkdir(parents=True)
    shutil.copy2(source / "pyproject.toml", dest / "pyproject.toml")
    shutil.copytree(source / "src" / "bbws", dest / "src" / "bbws", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def built(root: Path, out: Path, **options: Any) -> Path:
    try:
        build(root=root, out_dir=out, **options)
    except PackagingError as exc:  # pip's failure says whether the package registry was out of reach
        pytest.fail(f"`bbws aws package` failed: {exc}")
    return out


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    base = tmp_path_factory.mktemp("packaging")
    tree = copy_tree(project_root(), base / "tree")
    # Left-overs a developer's tree may hold; none of them may reach the zip
    (tree / "src/bbws/core/__pycache__").mkdir()
    (tree / "src/bbws/core/__pycache__/ids.cpython-312.pyc").write_bytes(b"\x00bytecode")
    (tree / "src/bbws/tests").mkdir()
    (tree / "src/bbws/tests/test_planted.py").write_text("def test_planted() -> None: ...\n")
    first = built(tree, base / "first")
    chosen = ["--function", "tenants", "--function", "sqs-worker"]
    result = CliRunner().invoke(cli, ["aws", "package", "--root", str(tree), "--out", str(base / "again"), *chosen])
    assert result.exit_code == 0, result.output
    changed_tree = copy_tree(tree, base / "changed-tree")
    with (changed_tree / CHANGED_FILE).open("a") as file:
        file.write("\n# a changed line\n")
    changed = built(changed_tree, base / "changed")
    return Builds(first=first, again=base / "again", changed=changed, cli_output=result.output)


def manifest_of(out: Path) -> dict[str, Any]:
    return json.loads((out / MANIFEST).read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_source_builds_the_same_bytes(builds: Builds) -> None:
    # `first` was built by the function, `again` by the CLI into another folder: same source, so same bytes
    for name in (CODE_ZIP, LAYER_ZIP):
        assert sha256(builds.first / name) == sha256(builds.again / name), name
    first, again = manifest_of(builds.first), manifest_of(builds.again)
    assert first["artifacts"] == again["artifacts"]
    assert first["artifacts"]["code"]["sha256"] == sha256(builds.first / CODE_ZIP)
    assert first["artifacts"]["layer"]["sha256"] == sha256(builds.first / LAYER_ZIP)


def test_a_changed_source_file_changes_the_code_zip_and_not_the_layer(builds: Builds) -> None:
    first, changed = manifest_of(builds.first), manifest_of(builds.changed)
    assert changed["artifacts"]["code"]["sha256"] != first["artifacts"]["code"]["sha256"]
    assert changed["artifacts"]["layer"]["sha256"] == first["artifacts"]["layer"]["sha256"]
    with zipfile.ZipFile(builds.first / CODE_ZIP) as a, zipfile.ZipFile(builds.changed / CODE_ZIP) as b:
        differing = {n for n in a.namelist() if a.read(n) != b.read(n)}
    assert differing == {CHANGED_FILE.removeprefix("src/")}


def test_every_function_is_well_under_the_unzipped_limit(builds: Builds) -> None:
    manifest = manifest_of(builds.first)
    for artifact in manifest["artifacts"].values():
        with zipfile.ZipFile(builds.first / artifact["file"]) as archive:
            assert sum(i.file_size for i in archive.infolist()) == artifact["unzippedBytes"]
        assert (builds.first / artifact["file"]).stat().st_size == artifact["zippedBytes"]
    code, layer = manifest["artifacts"]["code"], manifest["artifacts"]["layer"]
    assert manifest["unzippedLimitBytes"] == UNZIPPED_LIMIT_BYTES
    assert set(manifest["functions"]) == set(FUNCTIONS)
    for name, function in manifest["functions"].items():
        assert function["handler"] == FUNCTIONS[name]
        assert function["unzippedBytes"] == code["unzippedBytes"] + layer["unzippedBytes"]
        assert function["unzippedBytes"] < UNZIPPED_LIMIT_BYTES / 2, name


def test_the_cli_prints_the_size_report_and_builds_the_chosen_functions(builds: Builds) -> None:
    assert set(manifest_of(builds.again)["functions"]) == {"tenants", "sqs-worker"}
    for word in ("layer", "code", "tenants", FUNCTIONS["tenants"], "manifest.json", "250.0"):
        assert word in builds.cli_output


def test_the_code_zip_holds_the_package_source_only(builds: Builds) -> None:
    with zipfile.ZipFile(builds.first / CODE_ZIP) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert all(name.startswith("bbws/") for name in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if "/tests/" in n or n.rsplit("/", 1)[-1].startswith("test_")]
    assert not [n for n in names if n.startswith("bbws/cli/")]  # typer and rich are not in the layer
    assert names == sorted(names)
    assert {(i.date_time, i.external_attr >> 16) for i in infos} == {((1980, 1, 1, 0, 0, 0), 0o100644)}
    for handler in FUNCTIONS.values():
        assert handler.rsplit(".", 1)[0].replace(".", "/") + ".py" in names, handler


def test_the_layer_holds_aarch64_wheels_for_the_lambda_runtime(builds: Builds) -> None:
    with zipfile.ZipFile(builds.first / LAYER_ZIP) as archive:
        names = archive.namelist()
        libraries = {n: archive.read(n)[:20] for n in names if n.endswith(".so")}
    assert all(name.startswith("python/") for name in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("python/bin/")]
    assert any(n.startswith("python/pydantic_core/") and "cpython-312-aarch64" in n for n in libraries)
    for name, header in libraries.items():
        assert header[:4] == b"\x7fELF", name
        assert header[4] == 2 and header[5] == 1, name  # 64-bit, little endian
        (machine,) = struct.unpack_from("<H", header, 18)
        assert machine == EM_AARCH64, f"{name}: e_machine {machine:#x}"


def test_the_layer_pins_what_was_tested_and_leaves_out_what_lambda_never_imports(builds: Builds) -> None:
    packages = manifest_of(builds.first)["artifacts"]["layer"]["packages"]
    assert not NOT_IN_LAMBDA & set(packages)
    for name in ("boto3", "botocore", "fastapi", "pydantic-core", "aws-lambda-powertools", "mangum"):
        assert packages[name] == metadata.version(name), name
    assert all(canonical(name) == name for name in packages)


def test_the_entry_points_run_without_what_the_layer_leaves_out(tmp_path: Path) -> None:
    absent = sorted(
        m for m, dists in metadata.packages_distributions().items() if NOT_IN_LAMBDA & set(map(canonical, dists))
    )
    assert {"yaml", "typer", "uvicorn", "rich", "pymysql"} <= set(absent)
    env = {"PATH": "/usr/bin:/bin", "BBWS_DATA_DIR": str(tmp_path), "POWERTOOLS_METRICS_NAMESPACE": "BBWS"}
    probe = [sys.executable, "-c", PROBE, json.dumps(list(FUNCTIONS.values())), str(HTTP_REQUEST), json.dumps(absent)]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def test_an_artifact_over_the_limit_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / MANIFEST).write_text("{}")  # an earlier build's
    with pytest.raises(PackagingError, match=r"over Lambda's unzipped limit of 1.0 MB: tenants: \d+\.\d MB"):
        build(root=project_root(), out_dir=tmp_path / "out", limit_bytes=1_048_576)
    assert not (tmp_path / "out" / MANIFEST).exists()


def test_an_unknown_function_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["aws", "package", "--out", str(tmp_path), "--function", "nope[bold]"])
    assert result.exit_code == 1
    assert "unknown function(s) nope[bold]" in result.output  # printed as given, not read as markup
    assert list(tmp_path.iterdir()) == []
