"""Contract tests: the committed OpenAPI files, and the API checked against them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bbws.openapi import exported_files

REPO = Path(__file__).resolve().parents[2]
OPENAPI_DIR = REPO / "openapi"
COMBINED = OPENAPI_DIR / "bbws-api.yaml"


def load(path: Path) -> dict:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def exported() -> dict[str, str]:
    """What `bbws openapi export` writes for the code as it is now."""
    return exported_files()

