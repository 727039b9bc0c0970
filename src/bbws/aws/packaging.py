"""The Lambda artifacts: one arm64 dependency layer and one code zip shared by every function, built
reproducibly (same source and pins -> same sha256), with a manifest that Terraform and the deploy commands read.

The layer is `pip install --platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.12` of the
project's runtime dependencies, each pinned to the version installed where the command runs (the versions the
test suite ran against). One code zip for all functions: the package is small, and one artifact means one sha256
to promote from one environment to the next.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

PYTHON_VERSION = "3.12"  # the Lambda runtime `python3.12`; pip resolves wheels for this ABI (cp312)
RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
PLATFORM = "manylinux2014_aarch64"
UNZIPPED_LIMIT_BYTES = 250 * 1_048_576  # Lambda's limit for a function's code plus its layers, unzipped
LAYER_ZIP = "bbws-layer.zip"
CODE_ZIP = "bbws-code.zip"
MANIFEST = "manifest.json"

# Every Lambda of the control plane: function name -> handler. Terraform and `bbws aws deploy` read the names and
# handlers from here (or from the manifest `bbws aws package` writes), never spell them again.
FUNCTIONS: dict[str, str] = {
    "tenants": "bbws.aws.tenants_http.handler",
    "sites": "bbws.aws.sites_http.handler",
    "instances": "bbws.aws.instances_http.handler",
    "sqs-worker": "bbws.aws.sqs_worker.handler",
    "outbox-relay": "bbws.aws.outbox_relay.handler",
    "scheduled": "bbws.aws.scheduled.handler",
    "ecs-events": "bbws.aws.ecs_events.handler",
    "dlq": "bbws.aws.dlq.handler",
}

# Wheels only, for the Lambda's platform and ABI, whatever machine builds the layer; bytecode is left to Lambda
PIP_OPTIONS = (
    f"--platform={PLATFORM} --only-binary=:all: --python-version={PYTHON_VERSION} --implementation=cp --no-compile "
    "--disable-pip-version-check --no-input"
).split()

# Runtime dependencies a Lambda never imports: the CLI and its server (`bbws serve`), the local MariaDB runtime
# (Lambdas drive instances through gitops) and the OpenAPI export. boto3 stays in the layer although Lambda ships
# one: the runtime's copy changes under us without notice, the layer's is the version the tests ran against.
NOT_IN_LAMBDA = frozenset({"uvicorn", "typer", "rich", "pymysql", "pyyaml"})

# What of the source tree goes into the code zip: the package without the CLI (its typer/rich are not in the
# layer), and without bytecode or tests that a developer may have left in the tree
CODE_SUFFIXES = frozenset({".py", ".typed", ".php"})
CODE_EXCLUDED_DIRS = frozenset({"__pycache__", "cli", "tests"})

# Fixed metadata for every zip entry, so that the bytes depend on the content only
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644  # regular file, rw-r--r--: Lambda only reads the files (shared libraries need no x bit)


class PackagingError(RuntimeError):
    """The artifacts cannot be built (pip failed, a handler is missing, an artifact is over the size limit)."""


@dataclass(frozen=True)
class Artifact:
    """One zip written by the build and what the manifest says about it."""

    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int

    def describe(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "zippedBytes": self.zipped_bytes,
            "unzippedBytes": self.unzipped_bytes,
        }


def project_root() -> Path:
    """The source tree this package was imported from (the folder with pyproject.toml and src/bbws)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "pyproject.toml").is_file() or not (root / "src" / "bbws").is_dir():
        raise PackagingError(f"no source tree at {root}: run `bbws aws package` from an editable install (pip -e .)")
    return root


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(*, pyproject: Path) -> list[str]:
    """The project's dependencies that a Lambda imports, as written in pyproject.toml."""
    with pyproject.open("rb") as file:
        dependencies: list[str] = tomllib.load(file)["project"]["dependencies"]
    return [d for d in dependencies if canonical(_requirement_name(d)) not in NOT_IN_LAMBDA]


def installed_pins(*, exclude: Iterable[str] = ("bbws",)) -> list[str]:
    """`name==version` of every distribution installed here: pip constraints, so the layer holds what was tested."""
    skipped = {canonical(n) for n in exclude}
    pins = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}
    return [f"{name}=={version}" for name, version in sorted(pins.items()) if name not in skipped]


def build_layer(*, out_dir: Path, pyproject: Path, pip_cache: Path | None = None) -> tuple[Artifact, dict[str, str]]:
    """Install the runtime dependencies for arm64 into a scratch folder and zip it under `python/`."""
    with tempfile.TemporaryDirectory(prefix="bbws-layer-") as scratch:
        target = Path(scratch) / "python"
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("\n".join(installed_pins()) + "\n")
        requirements = runtime_requirements(pyproject=pyproject)
        _pip_install(target=target, requirements=requirements, constraints=constraints, pip_cache=pip_cache)
        # Console scripts carry this machine's interpreter path in their shebang; a Lambda runs none of them
        shutil.rmtree(target / "bin", ignore_errors=True)
        packages = _distributions_in(target)
        artifact = write_zip(out_dir / LAYER_ZIP, _files_under(target, prefix="python/"))
    return artifact, packages


def build_code(*, out_dir: Path, source: Path) -> Artifact:
    """Zip the `bbws` package (source folder `source`, i.e. src/bbws) without the CLI, bytecode or tests."""
    files = [
        (f"bbws/{rel}", path)
        for rel, path in _files_under(source, prefix="")
        if Path(rel).suffix in CODE_SUFFIXES and not CODE_EXCLUDED_DIRS.intersection(Path(rel).parts)
    ]
    missing = [handler for handler in FUNCTIONS.values() if _handler_file(handler) not in {name for name, _ in files}]
    if missing:
        raise PackagingError(f"handlers without their module in {source}: {', '.join(missing)}")
    return write_zip(out_dir / CODE_ZIP, files)


def build(
    *,
    out_dir: Path,
    root: Path | None = None,
    functions: Iterable[str] | None = None,
    pip_cache: Path | None = None,
    limit_bytes: int = UNZIPPED_LIMIT_BYTES,
) -> dict[str, Any]:
    """Build the layer and the code zip into `out_dir`, check the size limit, write and return the manifest."""
    names = _chosen(functions)
    root = root or project_root()
    out_dir.mkdir(parents=True, exist_ok=True)
    # A manifest left by an earlier build would vouch for zips this build replaces, even when it fails
    (out_dir / MANIFEST).unlink(missing_ok=True)
    code = build_code(out_dir=out_dir, source=root / "src" / "bbws")
    layer, packages = build_layer(out_dir=out_dir, pyproject=root / "pyproject.toml", pip_cache=pip_cache)
    manifest = describe(code=code, layer=layer, packages=packages, functions=names, limit_bytes=limit_bytes)
    over = {n: f["unzippedBytes"] for n, f in manifest["functions"].items() if f["unzippedBytes"] > limit_bytes}
    if over:
        sizes = ", ".join(f"{name}: {size / 1_048_576:.1f} MB" for name, size in over.items())
        raise PackagingError(f"over Lambda's unzipped limit of {limit_bytes / 1_048_576:.1f} MB: {sizes}")
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def describe(
    *, code: Artifact, layer: Artifact, packages: dict[str, str], functions: Iterable[str], limit_bytes: int
) -> dict[str, Any]:
    """The manifest: the artifacts with their sha256 and sizes, and each function's handler, code and layers."""
    unzipped = code.unzipped_bytes + layer.unzipped_bytes
    return {
        "runtime": RUNTIME,
        "architecture": ARCHITECTURE,
        "platform": PLATFORM,
        "unzippedLimitBytes": limit_bytes,
        "artifacts": {"code": code.describe(), "layer": {**layer.describe(), "packages": packages}},
        "functions": {
            name: {"handler": FUNCTIONS[name], "code": "code", "layers": ["layer"], "unzippedBytes": unzipped}
            for name in functions
        },
    }


def write_zip(path: Path, files: Iterable[tuple[str, Path]]) -> Artifact:
    """A zip whose bytes depend only on the names and contents: sorted entries, fixed dates and modes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    unzipped = 0
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = ZIP_MODE << 16
            info.create_system = 3  # unix, whatever system builds it, so the mode above is read as such
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=6)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Artifact(path=path, sha256=digest, zipped_bytes=path.stat().st_size, unzipped_bytes=unzipped)


def _pip_install(*, target: Path, requirements: list[str], constraints: Path, pip_cache: Path | None) -> None:
    pip = [sys.executable, "-m", "pip", "install"]
    command = [*pip, *PIP_OPTIONS, f"--target={target}", f"--constraint={constraints}"]
    if pip_cache is not None:
        command.append(f"--cache-dir={pip_cache}")
    result = subprocess.run([*command, *requirements], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # pip's stderr holds its warnings (a registry out of reach shows as retries) and errors, not its progress
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise PackagingError(
            f"pip could not install the layer's wheels for {PLATFORM} / Python {PYTHON_VERSION} "
            f"(is the package registry reachable?):\n{tail}"
        )


def _files_under(folder: Path, *, prefix: str) -> Iterator[tuple[str, Path]]:
    """(zip name, path) of every regular file under `folder`, without bytecode."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.suffix in {".pyc", ".pyo"} or not path.is_file():
                continue
            yield prefix + path.relative_to(folder).as_posix(), path


def _distributions_in(target: Path) -> dict[str, str]:
    return {canonical(d.metadata["Name"]): d.version for d in metadata.distributions(path=[str(target)])}


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    if not match:
        raise PackagingError(f"cannot read the dependency {requirement!r} in pyproject.toml")
    return match.group(0)


def _handler_file(handler: str) -> str:
    return handler.rsplit(".", 1)[0].replace(".", "/") + ".py"


def _chosen(functions: Iterable[str] | None) -> list[str]:
    names = list(functions) if functions else list(FUNCTIONS)
    unknown = [name for name in names if name not in FUNCTIONS]
    if unknown:
        raise PackagingError(f"unknown function(s) {', '.join(unknown)}; known: {', '.join(FUNCTIONS)}")
    return names
