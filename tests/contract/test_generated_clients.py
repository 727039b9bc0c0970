"""Clients generated from the combined spec by openapi-python-client and openapi-typescript: every operation
becomes a client call, and neither generator warns or skips anything."""

from __future__ import annotations

import importlib
import io
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.contract.conftest import COMBINED, REPO, load
from tests.support import packages
from tests.support.packages import catalog_harness

VENV_BIN = Path(sys.executable).parent
PYTHON_GENERATOR = VENV_BIN / "openapi-python-client"
TYPESCRIPT_GENERATOR = REPO / "node_modules" / ".bin" / "openapi-typescript"
OPERATION_IDS = sorted(op["operationId"] for item in load(COMBINED)["paths"].values() for op in item.values())
COMPLAINTS = re.compile(r"warn|skipp|unsupported|error", re.IGNORECASE)


def generate(command: list[str | Path], cwd: Path) -> str:
    # The Python generator formats its output with ruff, which it looks for on PATH.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert not COMPLAINTS.search(output), f"the generator complained:\n{output}"
    return output


def test_the_python_client_has_every_operation_and_uploads_a_plugin(tmp_path: Path) -> None:
    if not PYTHON_GENERATOR.exists():
        pytest.fail("openapi-python-client is missing: run `scripts/setup.sh --dev`", pytrace=False)
    package = f"bbws_client_{uuid.uuid4().hex[:8]}"
    out = tmp_path / package
    generate([PYTHON_GENERATOR, "generate", "--path", COMBINED, "--output-path", out, "--meta", "none"], tmp_path)
    modules = sorted(p for p in (out / "api").glob("*/*.py") if p.name != "__init__.py")
    assert len(modules) == len(OPERATION_IDS), f"{len(OPERATION_IDS) - len(modules)} operation(s) have no client call"
    upload_module = next(p for p in modules if p.stem.startswith("upload_plugin"))
    assert '"application/octet-stream"' in upload_module.read_text(encoding="utf-8"), "the spec offers octet-stream"

    # The generated call, against the app: a platform admin's upload is stored, a platform viewer's is refused.
    api = catalog_harness(tmp_path / "data")
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module(f"{package}.client")
        upload = importlib.import_module(f"{package}.api.plugins.{upload_module.stem}")
        types = importlib.import_module(f"{package}.types")
        archive = packages.fixture_zip("bbws-hello", tmp_path).read_bytes()
        answers = {}
        for role, headers in (("admin", api.admin()), ("viewer", api.platform("VIEWER"))):
            token = headers["Authorization"].removeprefix("Bearer ")
            client = client_module.AuthenticatedClient(base_url="http://testserver", token=token)
            client.set_httpx_client(TestClient(api.app, headers=headers))
            answers[role] = upload.sync_detailed(client=client, body=types.File(payload=io.BytesIO(archive)))
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]
    assert answers["admin"].status_code == 201, answers["admin"].content
    assert answers["admin"].parsed.slug == "bbws-hello"
    assert answers["viewer"].status_code == 403


def test_the_typescript_types_have_every_operation(tmp_path: Path) -> None:
    if not TYPESCRIPT_GENERATOR.exists():
        pytest.fail("node_modules/.bin/openapi-typescript is missing: run `scripts/setup.sh --dev`", pytrace=False)
    out = tmp_path / "schema.d.ts"
    generate([TYPESCRIPT_GENERATOR, COMBINED, "--output", out], tmp_path)
    text = out.read_text(encoding="utf-8")
    operations = text[text.index("export interface operations {"):]
    missing = [op for op in OPERATION_IDS if not re.search(rf'^    "?{re.escape(op)}"?: {{', operations, re.M)]
    assert not missing, f"operations without types: {missing}"
    upload = operations[operations.index("upload_plugin"):][:3000]
    assert '"application/octet-stream": string' in upload, upload
