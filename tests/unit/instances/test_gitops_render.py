"""The Terraform the gitops driver writes for one tenant and environment (pure rendering; `terraform fmt` when
terraform is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace

import hcl2
import pytest

from bbws.core.driver import DriverError, InstanceSpec
from bbws.instances.gitops.names import module_names, predicted_resources
from bbws.instances.gitops.render import render_instance

TENANT = "ten_01jd3m8x2v9k4q7r5t6w8y0z1a"
PLAIN = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def spec(**changes: object) -> InstanceSpec:
    base = InstanceSpec(
        tenant_id=TENANT,
        environment="sit",
        instance_id="ins_01jd3m9a7c2e4g6j8k0m2n4p6q",
        desired_count=3,
        wordpress_version="6.8",
        php_version="8.3",
        settings={"phpMemoryLimit": "512M", "uploadMaxFilesize": "128M", "debug": False},
        operation_id="op_01jd3m9b",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def render(s: InstanceSpec | None = None, *, desired: int | None = None, **kwargs: str) -> str:
    s = s or spec()
    return render_instance(
        s,
        desired_count=s.desired_count if desired is None else desired,
        module_source=kwargs.get("module_source", "../../../modules/tenant-instance"),
        region="af-south-1",
        account_id="123456789012",
        domain=kwargs.get("domain"),
    )


def parsed(text: str) -> dict[str, object]:
    return dict(hcl2.loads(text, serialization_options=PLAIN))


def test_one_module_call_with_the_instance_values() -> None:
    tree = parsed(render())
    (call,) = tree["module"]  # type: ignore[misc]
    args = call["tenant_instance"]
    assert args["source"] == "../../../modules/tenant-instance"
    assert (args["tenant_id"], args["environment"], args["instance_id"]) == (
        TENANT,
        "sit",
        "ins_01jd3m9a7c2e4g6j8k0m2n4p6q",
    )
    assert (args["desired_count"], args["wordpress_version"], args["php_version"]) == (3, "6.8", "8.3")
    assert args["settings"] == {"php_memory_limit": "512M", "upload_max_filesize": "128M", "debug": False}
    assert args["tags"] == {"bbws:project": "bbws", "bbws:cost-center": TENANT, "bbws:opportunity": "unassigned"}
    assert "domain" not in args  # the module's default


def test_the_state_lives_under_the_tenants_own_key() -> None:
    tree = parsed(render())
    (terraform,) = tree["terraform"]  # type: ignore[misc]
    (backend,) = terraform["backend"]
    s3 = backend["s3"]
    assert s3["key"] == f"tenants/sit/{TENANT}/terraform.tfstate"
    assert s3["bucket"] == "bbws-terraform-state-123456789012-af-south-1"
    assert (s3["region"], s3["encrypt"], s3["use_lockfile"]) == ("af-south-1", True, True)
    (provider,) = tree["provider"]  # type: ignore[misc]
    assert provider["aws"]["allowed_account_ids"] == ["123456789012"]


def test_rendering_is_deterministic_and_the_count_is_what_the_caller_says() -> None:
    assert render() == render()
    stopped = parsed(render(desired=0))["module"][0]["tenant_instance"]  # type: ignore[index]
    assert stopped["desired_count"] == 0
    assert render(desired=0) != render()


def test_strings_are_escaped_so_nothing_interpolates() -> None:
    source = 'modules/x?ref=${var.secret}%{ if true }"quoted"\\'
    text = render(module_source=source)
    assert 'source = "modules/x?ref=$${var.secret}%%{ if true }\\"quoted\\"\\\\"' in text
    parsed(text)  # still one valid string


def test_tag_values_outside_the_aws_alphabet_are_refused() -> None:
    tags = parsed(render(spec(settings={"opportunity": "deal 7 @ acme"})))["module"][0]["tenant_instance"]["tags"]  # type: ignore[index]
    assert tags["bbws:opportunity"] == "deal 7 @ acme"
    with pytest.raises(DriverError, match="bbws:cost-center"):
        render(spec(settings={"costCenter": "cc-${var.secret}"}))


def test_cost_tags_come_from_the_settings_and_other_settings_are_not_passed() -> None:
    text = render(spec(settings={"costCenter": "CC-100", "phpMemoryLimit": "256M", "theme": "dark"}))
    args = parsed(text)["module"][0]["tenant_instance"]  # type: ignore[index]
    assert args["settings"] == {"php_memory_limit": "256M"}
    assert args["tags"]["bbws:cost-center"] == "CC-100"


def test_a_domain_other_than_the_default_is_passed() -> None:
    args = parsed(render(domain="wp.example.org"))["module"][0]["tenant_instance"]  # type: ignore[index]
    assert args["domain"] == "wp.example.org"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"tenant_id": "Ten_Upper"}, "tenant id"),
        ({"tenant_id": 'ten" injected'}, "tenant id"),
        ({"environment": "qa"}, "environment"),
        ({"wordpress_version": "latest"}, "WordPress version"),
        ({"settings": {"phpMemoryLimit": "a lot"}}, "phpMemoryLimit"),
        ({"settings": {"debug": "yes"}}, "debug"),
        ({"settings": {"opportunity": 'say "hi"'}}, "bbws:opportunity"),
    ],
)
def test_specs_that_cannot_make_valid_terraform_are_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(DriverError) as caught:
        render(spec(**changes))
    assert words in caught.value.reason


def test_a_count_outside_the_modules_range_is_refused() -> None:
    with pytest.raises(DriverError, match="desired count"):
        render(desired=11)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
@pytest.mark.parametrize("desired", [0, 3])
def test_the_text_is_terraform_fmt_clean(desired: int) -> None:
    text = render(spec(settings={"debug": True, "costCenter": "CC-1"}), desired=desired, domain="wp.example.org")
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    done = subprocess.run(["terraform", "fmt", "-"], input=text, capture_output=True, text=True, env=env, check=True)
    assert done.stdout == text


def test_predicted_names_fit_aws_limits() -> None:
    for env in ("dev", "sit", "prod"):
        names = module_names(TENANT, env)
        assert len(names["target_group"]) <= 32 and "_" not in names["target_group"]
        assert len(names["database"]) <= 64 and len(names["database_user"]) <= 32
        assert len(names["execution_role"]) <= 64 and "_" not in names["host"]
    resources = predicted_resources(TENANT, "prod", region="af-south-1", account_id="123456789012")
    assert resources["ecsServiceArn"] == (
        f"arn:aws:ecs:af-south-1:123456789012:service/bbws-cluster-prod/tenant-{TENANT}-wordpress"
    )
    assert resources["databaseSecretName"] == f"bbws/prod/tenants/{TENANT}/database"
    assert resources["terraformStateKey"] == f"tenants/prod/{TENANT}/terraform.tfstate"
