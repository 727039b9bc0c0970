"""The tenant-instance Terraform module: it parses, is `terraform fmt` clean, tags everything, and names its
resources exactly as the control plane predicts (its `names.tf` evaluated by `terraform console`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from bbws.instances.gitops.driver import PHP_VERSIONS, find_module
from bbws.instances.gitops.names import module_names

MODULE = find_module()
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
REQUIRED_TAGS = (
    "bbws:tenant-id",
    "bbws:project",
    "bbws:cost-center",
    "bbws:opportunity",
    "bbws:managed-by",
    "bbws:environment",
)
# Resources whose AWS type takes no tags.
UNTAGGED = {
    "aws_kms_alias",
    "aws_iam_role_policy_attachment",
    "aws_iam_role_policy",
    "aws_secretsmanager_secret_version",
    "random_password",
    "aws_cognito_user_pool_domain",
    "aws_cognito_user_pool_client",
}


def module_dir() -> Path:
    assert MODULE is not None, "infra/terraform/modules/tenant-instance not found from the source tree"
    return MODULE


def terraform_env() -> dict[str, str]:
    return {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}


def test_every_file_parses_and_every_taggable_resource_is_tagged() -> None:
    files = sorted(module_dir().glob("*.tf"))
    assert {f.name for f in files} >= {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "names.tf", "ecs.tf"}
    resources: dict[str, str] = {}
    for path in files:
        tree = hcl2.loads(path.read_text(), serialization_options=hcl2.SerializationOptions(strip_string_quotes=True))
        for block in tree.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    resources[f"{kind}.{name}"] = str(body.get("tags", ""))
    assert "aws_ecs_service.wordpress" in resources and "aws_ecs_task_definition.wordpress" in resources
    for address, tags in resources.items():
        if address.split(".")[0] in UNTAGGED:
            continue
        assert "local.tags" in tags and "bbws:component" in tags, f"{address} lacks the module's tags"
    main = (module_dir() / "main.tf").read_text()
    for tag in REQUIRED_TAGS:
        assert f'"{tag}"' in main, f"local.tags does not set {tag}"


def test_the_service_keeps_its_tags_on_tasks_and_events() -> None:
    ecs = (module_dir() / "ecs.tf").read_text()
    assert re.search(r"enable_ecs_managed_tags\s+= true", ecs)
    assert re.search(r'propagate_tags\s+= "SERVICE"', ecs)
    assert re.search(r'transit_encryption\s+= "ENABLED"', ecs)


def test_the_php_versions_the_module_accepts_are_the_drivers() -> None:
    variables = (module_dir() / "variables.tf").read_text()
    block = variables[variables.index('variable "php_version"') :]
    listed = re.search(r"contains\(\[([^\]]*)\], var\.php_version\)", block)
    assert listed is not None
    assert tuple(json.loads(f"[{listed.group(1)}]")) == PHP_VERSIONS


@needs_terraform
def test_the_module_is_terraform_fmt_clean() -> None:
    done = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-recursive", str(module_dir())],
        capture_output=True,
        text=True,
        env=terraform_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def console(tmp_path: Path, expression: str, **variables: str) -> str:
    """Evaluate an expression against the module's variables and names (no providers, so no `init`)."""
    for name in ("variables.tf", "names.tf"):
        shutil.copy(module_dir() / name, tmp_path / name)
    required = {
        "tenant_id": "ten_x",
        "environment": "dev",
        "instance_id": "ins_x",
        "desired_count": "1",
        "wordpress_version": "6.8",
        "php_version": "8.3",
    }
    args = [f"-var={k}={v}" for k, v in {**required, **variables}.items()]
    done = subprocess.run(
        ["terraform", "console", *args],
        input=expression,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=terraform_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_terraform
@pytest.mark.parametrize(
    ("tenant_id", "environment", "domain"),
    [
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1a", "dev", None),
        ("ten-a1b2c3", "prod", "wp.example.org"),
        ("acme_corp-7", "sit", None),
    ],
)
def test_the_control_plane_predicts_the_modules_names(
    tmp_path: Path, tenant_id: str, environment: str, domain: str | None
) -> None:
    extra = {"domain": domain} if domain else {}
    out = console(tmp_path, "jsonencode(local.names)", tenant_id=tenant_id, environment=environment, **extra)
    evaluated = json.loads(json.loads(out))
    assert evaluated == module_names(tenant_id, environment, **extra)


def check_variable(tmp_path: Path, variable: str, value: str) -> str:
    """What `terraform console` says about one variable value (it exits 0 and prints validation errors)."""
    (tmp_path / "variables.tf").write_text((module_dir() / "variables.tf").read_text())
    done = subprocess.run(
        ["terraform", "console", "-no-color", f"-var={variable}={value}"],
        input=f"var.{variable}",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=terraform_env(),
        timeout=120,
    )
    return done.stdout + done.stderr


@needs_terraform
@pytest.mark.parametrize(
    ("variable", "bad", "good", "message"),
    [
        ("environment", "qa", "prod", "environment must be one of dev, sit, prod."),
        ("desired_count", "11", "0", "desired_count must be a whole number from 0 to 10."),
        ("php_version", "7.4", "8.2", "php_version must be one of 8.2, 8.3."),
        ("tenant_id", "Ten_X", "ten_x", "tenant_id must be 3-40 characters"),
    ],
)
def test_variables_refuse_values_outside_their_range(
    tmp_path: Path, variable: str, bad: str, good: str, message: str
) -> None:
    refused = check_variable(tmp_path, variable, bad)
    assert "Invalid value for variable" in refused and message in refused
    assert message not in check_variable(tmp_path, variable, good)
