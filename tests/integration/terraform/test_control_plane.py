"""The control-plane Terraform: formatted, valid in every environment, and saying what the code says (handlers,
platform groups, table indexes, receives before the DLQ)."""

from __future__ import annotations

import re
from pathlib import Path

from bbws.aws.packaging import FUNCTIONS
from bbws.core.auth import PLATFORM_GROUPS
from bbws.core.queue import MAX_RECEIVES
from bbws.core.store import INDEXES
from tests.integration.terraform.conftest import ENVS, INFRA, MODULE, terraform, terraform_env


def test_every_file_is_terraform_fmt_clean(tmp_path: Path) -> None:
    terraform(INFRA, terraform_env(tmp_path), "fmt", "-check", "-recursive", "-diff")


def test_every_environment_validates(tree: Path, tmp_path: Path) -> None:
    env = terraform_env(tmp_path)
    for name in ENVS:
        folder = tree / "envs" / name
        terraform(folder, env, "init", "-backend=false", "-input=false")
        assert "The configuration is valid" in terraform(folder, env, "validate")


def test_the_functions_are_the_packaged_ones() -> None:
    source = (MODULE / "lambdas.tf").read_text()
    table = dict(re.findall(r'^\s+"?([a-z-]+)"?\s+= \{ handler = "([\w.]+)"', source, re.MULTILINE))
    assert table == FUNCTIONS


def test_groups_indexes_and_receives_are_the_codes() -> None:
    cognito = (MODULE / "cognito.tf").read_text()
    assert set(re.findall(r'^\s+"(platform-[a-z]+)"\s+=', cognito, re.MULTILINE)) == set(PLATFORM_GROUPS)
    table = (MODULE / "table.tf").read_text()
    assert re.search(r"indexes\s+= \[(.*)\]", table).group(1) == ", ".join(f'"{i}"' for i in INDEXES)  # type: ignore[union-attr]
    queues = (MODULE / "queues.tf").read_text()
    assert re.search(r"max_receives\s+= (\d+)", queues).group(1) == str(MAX_RECEIVES)  # type: ignore[union-attr]


def test_the_environments_differ_only_where_they_should() -> None:
    mains = {name: (INFRA / "envs" / name / "main.tf").read_text() for name in ENVS}
    protected = {name: "deletion_protection        = true" in text for name, text in mains.items()}
    replicated = {name: "dr_replica                 = true" in text for name, text in mains.items()}
    assert protected == replicated == {"dev": False, "sit": False, "prod": True}
    for name, text in mains.items():
        assert f'environment    = "{name}"' in text
        assert 'region = "af-south-1"' in text and 'region = "eu-west-1"' in text
        # Endpoints are injected by the moto test only: a committed environment talks to AWS.
        assert "endpoints" not in text and "localhost" not in text and "127.0.0.1" not in text
