"""Split the converted spec by tag into self-contained documents, order them stably, and write the YAML files."""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bbws.openapi.conventions import apply_conventions
from bbws.openapi.downgrade import METHODS, OPENAPI_VERSION, downgrade, operations

COMBINED = "bbws-api.yaml"


@dataclass(frozen=True)
class Area:
    file: str
    title: str
    description: str


# One line per tag; a route whose tag is missing here stops the export.
AREAS: dict[str, Area] = {
    "Tenants": Area(
        "tenant-api.yaml",
        "BBWS Tenant API",
        "Tenants: create, list, read, update, lifecycle (suspend, resume, park, unpark, retry), "
        "deprovision, and the audit trail.",
    ),
    "Hierarchy": Area("hierarchy-api.yaml", "BBWS Hierarchy API", "A tenant's divisions, groups and teams."),
    "Users": Area("users-api.yaml", "BBWS Users API", "Role assignments of users on a tenant and its nodes."),
    "Invitations": Area(
        "invitations-api.yaml", "BBWS Invitations API", "Invite users to a tenant; accept or decline an invitation."
    ),
    "Operations": Area("operations-api.yaml", "BBWS Operations API", "Long-running work: status, progress, result."),
    "Webhooks": Area("webhooks-api.yaml", "BBWS Webhooks API", "Webhook endpoints of a tenant and their deliveries."),
    "Admin": Area("admin-api.yaml", "BBWS Admin API", "Platform administration."),
    "Sites": Area("sites-api.yaml", "BBWS Sites API", "WordPress sites: create, clone, promote, back up, restore."),
    "Templates": Area("templates-api.yaml", "BBWS Templates API", "Site templates: versioned, published, archived."),
    "Plugins": Area("plugins-api.yaml", "BBWS Plugins API", "The plugin catalog and the plugins of a site."),
    "Instances": Area("instances-api.yaml", "BBWS Instances API", "A tenant's instance per environment."),
}
COMBINED_AREA = Area(COMBINED, "BBWS API", "Every BBWS API in one file.")

SERVERS = [
    {"url": "https://api.dev.bbws.io", "description": "DEV"},
    {"url": "https://api.sit.bbws.io", "description": "SIT"},
    {"url": "https://api.bbws.io", "description": "PROD"},
    {"url": "http://127.0.0.1:8080", "description": "Local server (`bbws serve`)"},
]
TOP_LEVEL = ("openapi", "info", "servers", "security", "tags", "paths", "components", "x-webhooks")


def area_of(op: dict[str, Any], where: str) -> Area:
    areas = {AREAS[tag] for tag in op.get("tags", ()) if tag in AREAS}
    unknown = [tag for tag in op.get("tags", ()) if tag not in AREAS]
    if unknown or len(areas) != 1:
        raise ValueError(
            f"{where}: tags {op.get('tags', [])} must name exactly one API area; add the tag to AREAS in bbws.openapi"
        )
    return areas.pop()


def build_document(spec: dict[str, Any], area: Area, keep: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """A self-contained document with the operations `keep` selects and the components they reference."""
    paths: dict[str, Any] = {}
    tags: set[str] = set()
    for path, method, op in operations(spec):
        if keep(op):
            paths.setdefault(path, {})[method] = op
            tags.update(op.get("tags", ()))
    components = spec["components"]
    webhooks = spec.get("x-webhooks") if area is COMBINED_AREA else None
    wanted = _references({"paths": paths, "x-webhooks": webhooks}, components)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": area.title,
            "version": spec["info"]["version"],
            "description": f"{area.description}\n\n{spec['info'].get('description', '')}".strip(),
        },
        "servers": copy.deepcopy(SERVERS),
        "security": [{"bearerAuth": []}],
        "tags": [{"name": tag, "description": AREAS[tag].description} for tag in sorted(tags)],
        "paths": paths,
        "components": {
            section: {name: value for name, value in entries.items() if (section, name) in wanted}
            for section, entries in components.items()
            if section != "securitySchemes"
        }
        | {"securitySchemes": components["securitySchemes"]},
    }
    if webhooks:
        document["x-webhooks"] = webhooks
    document["components"] = {k: v for k, v in document["components"].items() if v}
    return canonical(copy.deepcopy(document))


def _references(node: Any, components: dict[str, Any]) -> set[tuple[str, str]]:
    """(section, name) of every component `node` references, transitively."""
    found: set[tuple[str, str]] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                section, _, name = ref.removeprefix("#/components/").partition("/")
                if (section, name) not in found:
                    found.add((section, name))
                    pending.append(components.get(section, {}).get(name))
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


# Keys a reader looks for first; all other keys follow in alphabetical order.
_FIRST = ("title", "version", "name", "in", "summary", "operationId", "tags", "description", "$ref", "type", "format",
          "required", "security", "parameters", "requestBody", "responses")


def _key_rank(key: Any) -> tuple[int, str]:
    return (_FIRST.index(key), "") if key in _FIRST else (len(_FIRST), str(key))


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    """Stable order: fixed top-level and method order, model field order, every other mapping sorted."""

    def order(node: Any, mode: str = "sort") -> Any:
        """mode: "sort" this mapping, "fields" keep this mapping's order, "as-is" keep every order below."""
        if isinstance(node, list):
            return [order(x, "as-is" if mode == "as-is" else "sort") for x in node]
        if not isinstance(node, dict):
            return node
        keys = sorted(node, key=_key_rank) if mode == "sort" else list(node)
        if mode == "as-is":
            return {k: order(node[k], "as-is") for k in keys}
        # Model fields keep their declared order; examples keep the order the code writes them in.
        modes = {"properties": "fields", "example": "as-is"} if mode == "sort" else {}
        return {k: order(node[k], modes.get(k, "sort")) for k in keys}

    paths = {
        path: {m: order(document["paths"][path][m]) for m in METHODS if m in document["paths"][path]}
        for path in sorted(document["paths"])
    }
    ordered = {k: order(document[k]) for k in TOP_LEVEL if k in document and k != "paths"}
    ordered["paths"] = paths
    return {k: ordered[k] for k in TOP_LEVEL if k in ordered}


def export_specs(app: Any) -> dict[str, dict[str, Any]]:
    """File name -> OpenAPI 3.0.3 document, for each API area with operations and for the combined file."""
    spec = apply_conventions(downgrade(app.openapi()))
    placed = {id(op): area_of(op, f"{method.upper()} {path}") for path, method, op in operations(spec)}
    documents = {COMBINED: build_document(spec, COMBINED_AREA, lambda op: True)}
    for area in sorted(set(placed.values()), key=lambda a: a.file):
        documents[area.file] = build_document(spec, area, lambda op, a=area: placed[id(op)] is a)  # type: ignore[misc]
    for file, document in documents.items():
        validate(document, file)
    return dict(sorted(documents.items()))


def validate(document: dict[str, Any], name: str) -> None:
    """Check a document against the OpenAPI 3.0 schema, locally."""
    from openapi_spec_validator import validate as validate_spec

    try:
        validate_spec(document)
    except Exception as exc:
        raise ValueError(f"{name} is not valid OpenAPI {OPENAPI_VERSION}: {exc}") from exc


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &anchors: every file reads top to bottom


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def render(app: Any) -> dict[str, str]:
    """File name -> YAML text."""
    return {file: to_yaml(document) for file, document in export_specs(app).items()}


def exported_files() -> dict[str, str]:
    """The files, from the app on built-in defaults and a throwaway data dir: no user data or BBWS_* setting
    shapes the spec."""
    from bbws.app import build_container, create_app
    from bbws.core.settings import Settings

    class DefaultSettings(Settings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, *_: Any, **__: Any) -> Any:
            return (init_settings,)

    with tempfile.TemporaryDirectory(prefix="bbws-openapi-") as data_dir:
        container = build_container(DefaultSettings(data_dir=Path(data_dir)))
        try:
            return render(create_app(container=container))
        finally:
            close = getattr(container.store, "close", None)
            if close is not None:
                close()


def known_files() -> set[str]:
    return {COMBINED} | {area.file for area in AREAS.values()}


def stale_files(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Files in `out_dir` that differ from `files`, are missing, or belong to an area that no longer has routes."""
    differ = [name for name, text in files.items() if not (out_dir / name).is_file()
              or (out_dir / name).read_text(encoding="utf-8") != text]
    leftover = [name for name in known_files() - set(files) if (out_dir / name).exists()]
    return sorted(differ + leftover)


def write(out_dir: Path, files: dict[str, str]) -> list[str]:
    """Write the files that changed and remove area files without routes; returns the names touched."""
    out_dir.mkdir(parents=True, exist_ok=True)
    touched = stale_files(out_dir, files)
    for name in touched:
        if name in files:
            (out_dir / name).write_text(files[name], encoding="utf-8")
        else:
            (out_dir / name).unlink()
    return touched
