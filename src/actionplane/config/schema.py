"""JSON Schema validation of workspace files, reported at YAML positions.

The schemas (draft 2020-12) ship inside the package so `actionplane schema`
can print them for editors. Messages are written here rather than taken from
jsonschema, because jsonschema's messages repeat the offending value and a
value under a secret key must never be printed.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from actionplane.config.yamlload import YAML11_BOOLEANS, YamlDocument, format_key_path
from actionplane.diagnostics import Diagnostic, error

SCHEMA_NAMES = ("connectors", "policy")
SECRET_KEYS = frozenset({"clientId", "clientSecret", "refreshToken"})

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "array": "a list",
    "object": "a map",
    "null": "null",
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r}")
    text = resources.files("actionplane.config").joinpath(f"schemas/{name}.schema.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def validate_document(
    document: YamlDocument, schema_name: str
) -> tuple[list[Diagnostic], list[tuple[Any, ...]]]:
    """Validate a loaded document.

    Return one diagnostic per violation (one per unknown key), and the key paths
    of the values at fault so callers can skip just those parts.
    """
    validator = _validator(schema_name)
    errors = sorted(validator.iter_errors(document.data), key=lambda e: list(e.path))
    diagnostics: list[Diagnostic] = []
    paths: list[tuple[Any, ...]] = []
    for err in _leaf_errors(errors):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties":
            for key in _unknown_keys(err):
                diagnostics.append(_diagnostic(document, err, (*path, key)))
                paths.append((*path, key))
        else:
            diagnostics.append(_diagnostic(document, err, path))
            paths.append(path)
    return diagnostics, paths


def _leaf_errors(errors: list[ValidationError]) -> list[ValidationError]:
    # A failed `$ref` or `anyOf` is reported by its most specific cause.
    result: list[ValidationError] = []
    for err in errors:
        if err.context:
            result.extend(_leaf_errors(sorted(err.context, key=lambda e: list(e.path))))
        else:
            result.append(err)
    return result


def _is_secret_path(path: tuple[Any, ...]) -> bool:
    return any(part in SECRET_KEYS for part in path)


def _diagnostic(
    document: YamlDocument, err: ValidationError, path: tuple[Any, ...]
) -> Diagnostic:
    builder = _MESSAGES.get(str(err.validator), _generic)
    code, summary, detail, on_key = builder(err, path, document)
    return error(
        f"schema.{code}",
        summary,
        detail,
        location=document.location(path, key=on_key),
        key_path=format_key_path(path) or "(top level)",
    )


Message = tuple[str, str, str, bool]


def _field_name(path: tuple[Any, ...]) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def _show(value: Any, path: tuple[Any, ...]) -> str:
    if _is_secret_path(path):
        return "the value"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _additional(
    err: ValidationError, path: tuple[Any, ...], doc: YamlDocument
) -> Message:
    # `path` ends with the unknown key, so the diagnostic points at the key.
    allowed = sorted(err.schema.get("properties", {}))
    key = str(path[-1])
    hint = difflib.get_close_matches(key, allowed, n=1)
    fix = f"Did you mean {hint[0]!r}? " if hint else ""
    detail = f"{fix}Allowed keys here: {', '.join(allowed)}."
    return "unknown-key", f"unknown key {key!r}", detail, True


def _unknown_keys(err: ValidationError) -> list[str]:
    allowed = set(err.schema.get("properties", {}))
    return sorted(set(err.instance) - allowed)


def _required(
    err: ValidationError, path: tuple[Any, ...], doc: YamlDocument
) -> Message:
    missing = [k for k in err.validator_value if k not in (err.instance or {})]
    name = missing[0] if missing else "?"
    where = format_key_path(path) or "the top level"
    return (
        "missing-key",
        f"missing required key {name!r}",
        f"Add `{name}:` to {where}.",
        False,
    )


def _enum(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    allowed = [str(v) for v in err.validator_value]
    value = err.instance
    hint = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.4)
    fix = f"Did you mean {hint[0]!r}? " if hint else ""
    summary = (
        f"{_field_name(path)} {_show(value, path)} is not one of the allowed values"
    )
    return "enum", summary, f"{fix}Allowed values: {', '.join(allowed)}.", False


def _const(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    expected = json.dumps(err.validator_value)
    summary = f"{_field_name(path)} must be {expected}, not {_show(err.instance, path)}"
    return "const", summary, f"Write `{_field_name(path)}: {expected}`.", False


def _type(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    wanted = err.validator_value
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    expected = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    value = err.instance
    summary = f"{_field_name(path)} must be {expected}"
    detail = f"Found {_show(value, path)}; write {expected}."
    span = doc.span(path)
    plain = span is not None and span.style is None
    if (
        "boolean" in names
        and isinstance(value, str)
        and value.lower() in YAML11_BOOLEANS
        and plain
    ):
        detail = (
            f"`{value}` is a boolean only in YAML 1.1; ActionPlane reads YAML 1.2, where "
            f"it is the string {value!r}. Write `true` or `false`."
        )
    elif "string" in names and isinstance(value, bool | int | float) and plain:
        detail = f"Found {_show(value, path)}; quote it to make it a string."
    return "type", summary, detail, False


def _pattern(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    summary = f"{_field_name(path)} {_show(err.instance, path)} has an invalid form"
    detail = f"It must match the regular expression {err.validator_value}."
    if "http" in str(err.validator_value):
        detail = "Write an absolute URL that starts with https://."
    return "pattern", summary, detail, False


def _format(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    fmt = err.validator_value
    examples = {"uri": "https://accounts.zoho.com", "date-time": "2026-01-15T12:00:00Z"}
    summary = f"{_field_name(path)} {_show(err.instance, path)} is not a valid {fmt}"
    example = examples.get(str(fmt))
    detail = f"Write a valid {fmt}" + (f", for example {example}." if example else ".")
    return "format", summary, detail, False


def _bounds(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    name = _field_name(path)
    limit = err.validator_value
    texts = {
        "minItems": (
            f"{name} needs at least {limit} item(s)",
            "Add an entry or remove the key.",
        ),
        "maxItems": (f"{name} allows at most {limit} item(s)", "Remove entries."),
        "minLength": (f"{name} must not be empty", "Write a value or remove the key."),
        "minimum": (
            f"{name} must be at least {limit}",
            f"Use a value of {limit} or more.",
        ),
        "maximum": (
            f"{name} must be at most {limit}",
            f"Use a value of {limit} or less.",
        ),
    }
    summary, detail = texts.get(str(err.validator), (f"{name} is out of range", ""))
    return "range", summary, detail, False


def _generic(err: ValidationError, path: tuple[Any, ...], doc: YamlDocument) -> Message:
    if _is_secret_path(path):
        return "invalid", f"{_field_name(path)} is invalid", "Check the value.", False
    return (
        "invalid",
        err.message,
        "Check the value against `actionplane schema`.",
        False,
    )


_MESSAGES = {
    "additionalProperties": _additional,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "type": _type,
    "pattern": _pattern,
    "format": _format,
    "minItems": _bounds,
    "maxItems": _bounds,
    "minLength": _bounds,
    "minimum": _bounds,
    "maximum": _bounds,
}
