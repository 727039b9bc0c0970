"""OpenAPI 3.1 (what FastAPI emits) -> 3.0.3, with the rule functions of `openapi-downgrade` and fixes for
what they miss. Never its `convert_spec`: that downloads a schema to validate against."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

OPENAPI_VERSION = "3.0.3"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Schema positions, to walk schemas without mistaking a property named `type` or `items` for a keyword.
_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
        "unevaluatedProperties", "unevaluatedItems", "additionalItems")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")
_UNSUPPORTED = ("$defs", "$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "dependentSchemas", "dependentRequired",
                "unevaluatedItems", "contains", "minContains", "maxContains")


def downgrade(spec: dict[str, Any]) -> dict[str, Any]:
    """A 3.0.3 copy of a 3.1 document."""
    try:
        import openapi_downgrade  # noqa: F401  (a development tool: the export runs from a checkout)
    except ModuleNotFoundError as exc:
        raise RuntimeError("the OpenAPI export needs the development tools: run `scripts/setup.sh --dev`") from exc
    from openapi_downgrade.converter.rules import (
        anyof_null,
        conditionals_to_oneof,
        const_to_enum,
        emulate_tuple_items,
        examples,
        exclusives,
        fix_null_type,
        mixed_types,
        nullable,
    )
    from openapi_downgrade.converter.warnings import WarningCollector

    spec = copy.deepcopy(spec)
    # The package's `drop_webhooks` attaches every webhook to every write operation; keep them as an extension.
    if "webhooks" in spec:
        spec["x-webhooks"] = spec.pop("webhooks")
    for key in ("jsonSchemaDialect", "$schema"):
        spec.pop(key, None)
    # Not used: `fix_booleans` turns any "true"/"false" string (an enum value, an example) into a boolean, and
    # `downgrade_json_schema` moves `not`, which 3.0 supports, out of the schema.
    spec = nullable.convert_nullable(spec)
    spec = mixed_types.convert_mixed_types(spec)
    spec = examples.convert_examples(spec)
    spec = exclusives.fix_exclusive_min_max(spec)
    spec = anyof_null.simplify_anyof_null(spec)
    spec = fix_null_type.fix_null_type(spec)
    spec = conditionals_to_oneof.conditionals_to_oneof(spec)
    spec = const_to_enum.convert_const(spec)
    spec = emulate_tuple_items.emulate_tuple_items(spec, WarningCollector())
    targets = spec.get("components", {}).get("schemas", {})
    for schema, where in _document_schemas(spec):
        _walk(schema, lambda s, w=where: _fix_schema(s, targets, w))  # type: ignore[misc]
    for parameter in _parameters(spec):
        schema = parameter.get("schema", {})
        schema.pop("nullable", None)  # an absent query parameter is how "no value" is said
        if "description" in schema and schema["description"] == parameter.get("description"):
            del schema["description"]
    spec["openapi"] = OPENAPI_VERSION
    return spec


def _walk(schema: dict[str, Any], fn: Callable[[dict[str, Any]], None]) -> None:
    """Call `fn` on every schema inside `schema`, innermost first."""
    for key in _ONE:
        if isinstance(schema.get(key), dict):
            _walk(schema[key], fn)
    for key in _LIST:
        for sub in schema.get(key) or ():
            if isinstance(sub, dict):
                _walk(sub, fn)
    for key in _MAP:
        for sub in (schema.get(key) or {}).values():
            if isinstance(sub, dict):
                _walk(sub, fn)
    fn(schema)


def _fix_schema(schema: dict[str, Any], targets: dict[str, Any], where: str) -> None:
    """What the package's rules leave as 3.1 in one schema object."""
    bad = [key for key in _UNSUPPORTED if key in schema]
    if bad:
        raise ValueError(f"{where}: {', '.join(bad)} cannot be said in OpenAPI 3.0; change the model")
    schema.pop("title", None)  # pydantic titles repeat the property or class name
    schema.pop("$comment", None)
    schema.pop("$schema", None)  # the dialect is the document's: OpenAPI 3.0
    _key_rules(schema, where)
    if "unevaluatedProperties" in schema:
        schema.setdefault("additionalProperties", schema.pop("unevaluatedProperties"))
    encoding, media = schema.pop("contentEncoding", None), schema.pop("contentMediaType", None)
    if encoding == "base64":
        schema["format"] = "byte"
    elif media is not None and schema.get("type") == "string":
        schema.setdefault("format", "binary")
    if schema.get("type") == "integer":
        for key in ("minimum", "maximum"):
            if isinstance(schema.get(key), float) and schema[key].is_integer():
                schema[key] = int(schema[key])
    if "$ref" in schema and len(schema) > 1:
        # 3.0 ignores the siblings of a `$ref` (a default, a description), so the reference moves into allOf.
        schema["allOf"] = [{"$ref": schema.pop("$ref")}]
    if schema.get("nullable") and "type" not in schema and len(schema.get("allOf", ())) == 1:
        # In 3.0.3 `nullable` only counts next to `type`.
        target = targets.get(schema["allOf"][0].get("$ref", "").rpartition("/")[2], {})
        if "type" in target:
            schema["type"] = target["type"]


def _key_rules(schema: dict[str, Any], where: str) -> None:
    """`patternProperties` / `propertyNames` (constrained dict keys) -> `additionalProperties` + `x-propertyNames`."""
    patterns = schema.pop("patternProperties", None)
    names = schema.pop("propertyNames", None)
    if patterns is None and names is None:
        return
    keys = dict(names or {})
    if patterns:
        if len(patterns) > 1 or "additionalProperties" in schema:
            raise ValueError(f"{where}: several key patterns cannot be said in OpenAPI 3.0")
        (pattern, values), = patterns.items()
        keys["pattern"] = pattern
        schema["additionalProperties"] = values
    schema["x-propertyNames"] = keys
    rule = ", ".join(f"{k} {v}" if k != "pattern" else f"matching `{v}`" for k, v in sorted(keys.items()))
    schema["description"] = " ".join(filter(None, [schema.get("description"), f"Keys: {rule}."]))


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _parameters(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for _, _, op in operations(spec):
        yield from op.get("parameters", ())


def _document_schemas(spec: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Every top-level schema of the document, with where it is (for error messages)."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield schema, f"components.schemas.{name}"
    items = list(spec.get("paths", {}).items()) + list(spec.get("x-webhooks", {}).items())
    for path, item in items:
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            where = f"{method.upper()} {path}"
            for parameter in op.get("parameters", ()):
                if "schema" in parameter:
                    yield parameter["schema"], f"{where} parameter {parameter.get('name')}"
            bodies = [op.get("requestBody", {}), *op.get("responses", {}).values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    if "schema" in media:
                        yield media["schema"], where
                for header in body.get("headers", {}).values():
                    if "schema" in header:
                        yield header["schema"], where
