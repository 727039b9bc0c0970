"""Renders the Terraform root of one tenant in one environment: backend, provider and the module call.

The text is laid out as `terraform fmt` would (so the repository's format check passes) and parsed with
python-hcl2 before anyone writes it. Rendering is pure: the same spec gives the same bytes, which is what
makes a repeated operation a no-op commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import hcl2

from bbws.core.driver import DriverError, InstanceSpec
from bbws.instances.gitops.names import DEFAULT_DOMAIN, TENANT_ID, state_bucket, state_key

HEADER = "# Written by the BBWS control plane (gitops runtime driver). Change the instance through the API, not here."
REQUIRED_TERRAFORM = ">= 1.10"
SIZE = re.compile(r"^[0-9]+[KMG]$")
VERSION = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
INSTANCE_ID = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
# instance setting (API, camelCase) -> module `settings` attribute
SETTINGS = {"phpMemoryLimit": "php_memory_limit", "uploadMaxFilesize": "upload_max_filesize", "debug": "debug"}
OUTPUTS = ("ecs_service_arn", "task_definition_arn", "database_secret_arn", "cognito_user_pool_id", "url")


@dataclass(frozen=True)
class Raw:
    """An HCL expression written as is (a reference such as `module.tenant_instance.url`)."""

    text: str


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: list[Any]  # (name, value) pairs, Blocks, and None for a blank line


def render_instance(
    spec: InstanceSpec,
    *,
    desired_count: int,
    module_source: str,
    region: str,
    account_id: str,
    domain: str | None = None,
) -> str:
    """The `main.tf` of `tenants/{env}/{tenantId}/`; DriverError when the spec cannot make valid Terraform."""
    _check(spec, desired_count)
    module: list[Any] = [("source", module_source), None]
    module += [
        ("tenant_id", spec.tenant_id),
        ("environment", spec.environment),
        ("instance_id", spec.instance_id),
        ("desired_count", desired_count),
        ("wordpress_version", spec.wordpress_version),
        ("php_version", spec.php_version),
    ]
    if domain and domain != DEFAULT_DOMAIN:
        module.append(("domain", domain))
    module += [("settings", module_settings(spec.settings)), ("tags", module_tags(spec))]
    backend = Block(
        "backend",
        ("s3",),
        [
            ("bucket", state_bucket(account_id, region)),
            ("key", state_key(spec.tenant_id, spec.environment)),
            ("region", region),
            ("encrypt", True),
            ("use_lockfile", True),
        ],
    )
    blocks = [
        Block("terraform", (), [("required_version", REQUIRED_TERRAFORM), None, backend]),
        Block("provider", ("aws",), [("region", region), ("allowed_account_ids", [account_id])]),
        Block("module", ("tenant_instance",), module),
        *(Block("output", (name,), [("value", Raw(f"module.tenant_instance.{name}"))]) for name in OUTPUTS),
    ]
    text = HEADER + "\n" + "\n".join(_block(b, 0) for b in blocks)
    validate(text)
    return text


def module_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The instance settings the module knows, under its names; others (cost tags, ...) are not settings."""
    out: dict[str, Any] = {}
    for key, name in SETTINGS.items():
        if key not in settings or settings[key] is None:
            continue
        value = settings[key]
        if name == "debug":
            if not isinstance(value, bool):
                raise DriverError(f"settings.debug must be true or false, not {value!r}", code="INVALID_SETTINGS")
        elif not isinstance(value, str) or not SIZE.match(value):
            raise DriverError(f"settings.{key} must be a size such as 256M, not {value!r}", code="INVALID_SETTINGS")
        out[name] = value
    return out


def module_tags(spec: InstanceSpec) -> dict[str, str]:
    """Cost tags: `costCenter` / `opportunity` from the spec's settings when the caller knows them."""
    tags = {
        "bbws:project": "bbws",
        "bbws:cost-center": str(spec.settings.get("costCenter") or spec.tenant_id),
        "bbws:opportunity": str(spec.settings.get("opportunity") or "unassigned"),
    }
    for name, value in tags.items():
        if not TAG_VALUE.match(value):
            raise DriverError(
                f"tag {name} cannot be {value!r} (AWS tag values: letters, digits, spaces, _.:/=+-@)",
                code="INVALID_SETTINGS",
            )
    return tags


def validate(text: str) -> dict[str, Any]:
    """Parse the text as HCL2; DriverError when it does not parse (nothing is written then)."""
    try:
        return dict(hcl2.loads(text))
    except Exception as error:  # the parser raises lark errors of several kinds
        raise DriverError(f"rendered Terraform does not parse: {error}", code="RENDER_FAILED") from error


def _check(spec: InstanceSpec, desired_count: int) -> None:
    problems = []
    if not TENANT_ID.match(spec.tenant_id):
        problems.append(f"tenant id {spec.tenant_id!r} (3-40 of a-z, 0-9, '_', '-')")
    if spec.environment not in ("dev", "sit", "prod"):
        problems.append(f"environment {spec.environment!r}")
    if not INSTANCE_ID.match(spec.instance_id):
        problems.append(f"instance id {spec.instance_id!r}")
    if not 0 <= desired_count <= 10:
        problems.append(f"desired count {desired_count} (0..10)")
    for name, value in (("WordPress", spec.wordpress_version), ("PHP", spec.php_version)):
        if not VERSION.match(value):
            problems.append(f"{name} version {value!r}")
    if problems:
        raise DriverError("cannot render Terraform for " + "; ".join(problems), code="INVALID_SPEC")


# -- a small HCL writer that lays text out as `terraform fmt` does ---------------------------------------------


def _block(block: Block, depth: int) -> str:
    pad = "  " * depth
    head = " ".join([block.type, *(_string(label) for label in block.labels)])
    return f"{pad}{head} {{\n{_body(block.body, depth + 1)}{pad}}}\n"


def _body(items: list[Any], depth: int) -> str:
    """Consecutive one-line attributes align their `=`; a blank line, a block or a multi-line value ends a run."""
    pad = "  " * depth
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{pad}{name.ljust(width)} = {value}\n" for name, value in run)
        run.clear()

    for item in items:
        if isinstance(item, Block):
            flush()
            lines.append(_block(item, depth))
        elif item is None:
            flush()
            lines.append("\n")
        else:
            name, value = item
            key = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name) else _string(name)
            if isinstance(value, dict):
                flush()
                lines.append(f"{pad}{key} = {_object(value, depth)}\n")
            else:
                run.append((key, _value(value)))
    flush()
    return "".join(lines)


def _object(value: dict[str, Any], depth: int) -> str:
    if not value:
        return "{}"
    return "{\n" + _body(list(value.items()), depth + 1) + "  " * depth + "}"


def _value(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise DriverError(f"cannot render {type(value).__name__} as Terraform", code="RENDER_FAILED")


def _string(value: str) -> str:
    """A quoted HCL string that interpolates nothing (`${` and `%{` are escaped)."""
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise DriverError("control characters cannot go into the Terraform of an instance", code="RENDER_FAILED")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'
