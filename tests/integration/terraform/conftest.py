"""Terraform of the control plane: a copy of the tree to run it in, and `terraform init` from the provider
mirror (offline). A missing tool fails the test with what to install; nothing is skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
INFRA = ROOT / "infra" / "terraform"
MODULE = INFRA / "modules" / "control-plane"
ENVS = ("dev", "sit", "prod")
# Terraform's own implied mirror folders, and any folder directly under /opt holding one (where machine images put
# add-on software); BBWS_TF_PLUGIN_MIRROR names another.
MIRRORS = ("~/.terraform.d/plugins", "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins", "/opt/*")


def terraform_bin() -> str:
    found = shutil.which("terraform")
    if found is None:
        pytest.fail(
            "terraform is not installed: install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)",
            pytrace=False,
        )
    return found


def provider_mirror() -> Path:
    named = os.environ.get("BBWS_TF_PLUGIN_MIRROR")
    for place in [named] if named else MIRRORS:
        where = Path(place).expanduser()
        for path in sorted(Path("/").glob(str(where)[1:])) if "*" in place else [where]:
            if any(path.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
                return path
    pytest.fail(
        "no filesystem mirror of the hashicorp/aws provider: make one with `terraform providers mirror DIR` into "
        "~/.terraform.d/plugins, or name it in BBWS_TF_PLUGIN_MIRROR",
        pytrace=False,
    )


def terraform_env(work: Path) -> dict[str, str]:
    """Terraform with a CLI config that installs providers from the mirror only, and no real AWS credentials."""
    config = work / "terraform.rc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{provider_mirror()}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    return {**env, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


def terraform(cwd: Path, env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [terraform_bin(), *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"terraform {args[0]} in {cwd.name}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def copy_tree(work: Path) -> Path:
    """The Terraform and the spec it reads, laid out as in the repository (envs find both by relative path)."""
    shutil.copytree(INFRA, work / "infra" / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    shutil.copytree(ROOT / "openapi", work / "openapi")
    return work / "infra" / "terraform"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("tf"))
