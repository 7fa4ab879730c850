"""Turn command-line input, a request file or a preset into one change request.

Values given as ``--set Field=TEXT`` are parsed by the field's type in the applied
metadata snapshot, so ``Amount=150000`` becomes a number and ``Stage=Closed Won``
a picklist value. Values from a request file are JSON and keep their type. Numbers
are checked against the field's length and decimals, as written, before any
digit is lost to a double.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from actionplane.config.model import ActorKind, Connector
from actionplane.errors import RunError
from actionplane.metadata.values import TEXT_TYPES, parse_cli_value, value_problem
from actionplane.runs.applied import APPLY_HINT, AppliedConfig
from actionplane.runs.controls import name_problem, text_problem
from actionplane.runs.numbers import double_safe, non_finite_problem, number_problem
from actionplane.state.redact import REDACTED, redact

# Limits on one change request. A request changes fields of one record, so
# real requests stay far below them. They bound the memory and time that
# checking, storing and writing a request take.
MAX_REQUEST_FILE_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_REASON_CHARS = 2_000
# Zoho updates at most 100 records per call, and a module typically has a few
# hundred fields. The connector's allowlist bounds a request further.
MAX_CHANGED_FIELDS = 100
# For text values whose field has no length in the metadata snapshot.
MAX_TEXT_VALUE_CHARS = 32_000

_FILE_KEYS = {
    "connector",
    "object",
    "recordId",
    "changes",
    "actor",
    "reason",
    "dryRun",
}


@dataclass
class RunInput:
    """What the user asked for, before it is checked against the applied config.

    ``set_values`` maps fields to ``--set`` texts still to parse, and ``values``
    maps fields to typed values from a request file or a preset.
    ``number_texts`` maps fields to number literals as a request file spells them.
    ``stated_before`` maps fields to the before values a request file states,
    which must equal the record's live values.
    """

    connector: str | None = None
    object: str | None = None
    record_id: str | None = None
    set_values: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    number_texts: dict[str, str] = field(default_factory=dict)
    stated_before: dict[str, Any] = field(default_factory=dict)
    actor_id: str | None = None
    actor_kind: str | None = None
    groups: list[str] = field(default_factory=list)
    reason: str | None = None
    dry_run: bool = False
    preset: str | None = None


@dataclass
class ChangeRequest:
    """A checked request: target record, values, actor and reason."""

    connector: Connector
    object: str
    record_id: str
    values: dict[str, Any]  # field API name -> requested value, in request order
    actor: dict[str, Any]  # {id, kind, groups}
    reason: str
    dry_run: bool
    preset: str | None = None
    # Field API name -> before value the request file states, checked against
    # the record as read for the preview.
    stated_before: dict[str, Any] = field(default_factory=dict)

    def rule_request(self, changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Return the request in the shape rules read, with the given changes."""
        return {
            "connector": self.connector.name,
            "object": self.object,
            "recordId": self.record_id,
            "changes": changes,
            "actor": self.actor,
            "reason": self.reason,
            "dryRun": self.dry_run,
        }


def parse_set_option(text: str) -> tuple[str, str]:
    """Split ``Field=value`` at the first ``=``."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise RunError(
            f"--set {text!r} is not FIELD=VALUE. Write the field's API name, an"
            " equals sign and the value, e.g. --set Amount=150000."
        )
    return name.strip(), value


def read_request_file(path: Path, into: RunInput) -> None:
    """Fill ``into`` from a JSON request file; values already set are kept."""
    text = _read_request_text(path)
    _check_nesting(text, path)
    try:
        # Decimal keeps every digit of a number literal for the range checks.
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=_unique_keys)
    except DuplicateKeyError as exc:
        raise RunError(
            f"request file {path} has the key {json.dumps(exc.key)} more than once"
            f" in one JSON object (its keys: {', '.join(exc.keys)}). JSON readers"
            " keep only one of the values, so remove the other and submit again."
        ) from None
    except json.JSONDecodeError as exc:
        raise RunError(
            f"request file {path} is not valid JSON (line {exc.lineno}, column"
            f" {exc.colno}). Fix the JSON and submit again."
        ) from None
    except ValueError:
        # The only other ValueError: an integer literal longer than Python's
        # limit for converting text to int.
        raise RunError(
            f"request file {path} has an integer of more than"
            f" {sys.get_int_max_str_digits()} digits, far more than any Zoho field"
            " holds. Fix the number and submit again."
        ) from None
    _check_surrogates(data, path)
    if not isinstance(data, dict) or set(data) - _FILE_KEYS:
        unknown = sorted(set(data) - _FILE_KEYS) if isinstance(data, dict) else []
        raise RunError(
            f"request file {path} must be a JSON object with keys from"
            f" {', '.join(sorted(_FILE_KEYS))}"
            + (f"; unknown keys: {', '.join(unknown)}." if unknown else ".")
        )
    _fill_from_file(data, into, path)


def _read_request_text(path: Path) -> str:
    """Read at most MAX_REQUEST_FILE_BYTES of a request file and decode it as UTF-8."""
    try:
        with path.open("rb") as stream:
            # Reading one byte past the limit detects an oversized file, even
            # when it is a pipe or grows while it is read.
            data = stream.read(MAX_REQUEST_FILE_BYTES + 1)
    except OSError as exc:
        raise RunError(
            f"cannot read request file {path}: {exc.strerror}. Check the path."
        ) from None
    if len(data) > MAX_REQUEST_FILE_BYTES:
        raise RunError(
            f"request file {path} is larger than {MAX_REQUEST_FILE_BYTES:,} bytes."
            f" A request changes at most {MAX_CHANGED_FIELDS} fields of one record,"
            " so it fits well within that; check that this is the right file."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RunError(
            f"request file {path} is not valid UTF-8 (byte {exc.start}, line"
            f" {line}). Save the file as UTF-8 and submit again."
        ) from None


# A JSON string literal, or one bracket outside string literals.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_nesting(text: str, path: Path) -> None:
    """Raise RunError when arrays and objects nest deeper than MAX_JSON_DEPTH.

    Runs before the JSON parser, which recurses once per level and fails with
    RecursionError on input nested thousands of levels deep.
    """
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
        elif bracket in "]}":
            depth -= 1
        if depth > MAX_JSON_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            raise RunError(
                f"request file {path} nests arrays or objects more than"
                f" {MAX_JSON_DEPTH} levels deep (line {line}, column {column})."
                " A request needs only a few levels; fix the JSON and submit again."
            )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_surrogates(data: Any, path: Path) -> None:
    """Raise RunError naming a key or string that contains a lone UTF-16 surrogate.

    JSON allows escapes such as \\ud800 that decode to half of a surrogate pair.
    Such text cannot be encoded as UTF-8, so it could be neither stored nor sent.
    """
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        location, value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                key_location = f"{location}.{key}" if location else key
                _reject_surrogate(key, f"the key {key_location!r}", path)
                pending.append((key_location, item))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                pending.append((f"{location}[{index}]", item))
        elif isinstance(value, str):
            _reject_surrogate(value, location or "the top-level string", path)


def _reject_surrogate(text: str, location: str, path: Path) -> None:
    match = _SURROGATE.search(text)
    if match is None:
        return
    raise RunError(
        f"{location} in request file {path} contains the lone surrogate"
        f" \\u{ord(match.group()):04x} at character {match.start() + 1}, which is"
        " not a character and cannot be stored as UTF-8. Write the character"
        " itself or a complete surrogate pair, and submit again."
    )


class DuplicateKeyError(ValueError):
    """A JSON object that names one key twice."""

    def __init__(self, key: str, keys: list[str]):
        super().__init__(key)
        self.key = key
        self.keys = list(dict.fromkeys(keys))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, raising DuplicateKeyError when a key repeats."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key, [name for name, _ in pairs])
        result[key] = value
    return result


def _fill_from_file(data: dict[str, Any], into: RunInput, path: Path) -> None:
    into.connector = into.connector or _optional_text(data, "connector", path)
    into.object = into.object or _optional_text(data, "object", path)
    into.record_id = into.record_id or _optional_text(data, "recordId", path)
    into.reason = into.reason or _optional_text(data, "reason", path)
    dry_run = data.get("dryRun")
    if dry_run is not None and not isinstance(dry_run, bool):
        kind = "the string" if isinstance(dry_run, str) else "the value"
        raise RunError(
            f"dryRun in {path} must be true or false, not {kind} {dry_run!r}."
            " Write it without quotes."
        )
    into.dry_run = into.dry_run or bool(dry_run)
    actor = _without_decimals(data.get("actor") or {})
    if not isinstance(actor, dict):
        raise RunError(f"actor in {path} must be an object {{id, kind, groups}}.")
    into.actor_id = into.actor_id or _optional_text(actor, "id", path, "actor.")
    into.actor_kind = into.actor_kind or _optional_text(actor, "kind", path, "actor.")
    groups = actor.get("groups") or []
    if not isinstance(groups, list) or not all(
        isinstance(group, str) and group for group in groups
    ):
        raise RunError(
            f"actor.groups in {path} must be a list of group names, not"
            f' {groups!r}. Write e.g. ["revops-leads"].'
        )
    into.groups = [*into.groups, *groups]
    changes = data.get("changes") or {}
    if not isinstance(changes, dict):
        raise RunError(
            f"changes in {path} must map field API names to values or to"
            ' {"after": value}.'
        )
    for name, value in changes.items():
        if name in into.values or name in into.set_values:
            continue
        after = value
        if _is_change_object(value):
            if "after" not in value:
                raise RunError(
                    f"changes.{name} in {path} states a before value but no after."
                    f' Write {{"before": ..., "after": ...}} or the new value alone.'
                )
            after = value["after"]
            if "before" in value:
                into.stated_before[name] = _without_decimals(value["before"])
        if isinstance(after, Decimal | int) and not isinstance(after, bool):
            into.number_texts[name] = str(after)
        into.values[name] = _without_decimals(after)


def _is_change_object(value: Any) -> bool:
    """Tell whether a change is ``{"before": x, "after": y}`` rather than a value."""
    return isinstance(value, dict) and bool(value) and set(value) <= {"before", "after"}


def _without_decimals(value: Any) -> Any:
    """Return ``value`` with the Decimals that JSON parsing made turned into floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _without_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_decimals(item) for item in value]
    return value


def _optional_text(
    data: dict[str, Any], key: str, path: Path, prefix: str = ""
) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise RunError(
            f"{prefix}{key} in {path} must be a non-empty string, not {value!r}."
        )
    return value


def resolve_request(applied: AppliedConfig, given: RunInput) -> ChangeRequest:
    """Check the input against the applied config and parse ``--set`` values."""
    connector = _resolve_connector(applied, given.connector)
    object_name = _required(given.object, "--object", "the Zoho module, e.g. Deals")
    _require_managed(connector, object_name)
    record_id = _required(given.record_id, "--record", "the Zoho record id")
    actor_id = _required(given.actor_id, "--actor", "who asks for the change")
    reason = _required(
        given.reason,
        "--reason",
        "why the change is needed (dry runs too, because rules can read"
        " request.reason)",
    )
    kind = given.actor_kind or ActorKind.HUMAN.value
    if kind not in {k.value for k in ActorKind}:
        raise RunError(f"actor kind {kind!r} is not human, agent or service.")
    _check_request_size(applied, connector, object_name, given, reason)
    _check_request_texts(given, record_id, actor_id, reason)

    values = dict(given.values)
    for name, text in given.set_values.items():
        entry = applied.field_entry(connector.name, object_name, name)
        try:
            values[name] = parse_cli_value(entry, text)
        except ValueError as exc:
            shown = text if len(text) <= 60 else f"{text[:60]}..."
            raise RunError(f"--set {name}={shown}: {exc}. Fix the value.") from None
    if not values:
        raise RunError(
            "the request changes no field. Add --set FIELD=VALUE, a request file"
            " with changes, or --preset zoho-deal."
        )
    texts = {**given.number_texts, **given.set_values}
    _check_values(applied, connector, object_name, values, texts)
    for name, value in values.items():
        entry = applied.field_entry(connector.name, object_name, name)
        values[name] = double_safe(entry, value)

    # NOTE: groups given with --group are taken on the requester's word and reach
    # the rules as request.actor.groups; only approvers are checked against the
    # workspace's groups.
    groups = sorted(set(given.groups) | set(applied.workspace.groups_of(actor_id)))
    return ChangeRequest(
        connector=connector,
        object=object_name,
        record_id=record_id,
        values=values,
        actor={"id": actor_id, "kind": kind, "groups": groups},
        reason=reason,
        dry_run=given.dry_run,
        preset=given.preset,
        stated_before=dict(given.stated_before),
    )


def _check_request_texts(
    given: RunInput, record_id: str, actor_id: str, reason: str
) -> None:
    """Reject control characters in the ids, field names and reason of a request."""
    single_line = [
        ("the record id", record_id),
        ("the actor id", actor_id),
        ("an actor group", given.groups),
        ("a field name", [*given.values, *given.set_values]),
    ]
    problems = [
        text_problem(label, value, multiline=False) for label, value in single_line
    ]
    problems.append(text_problem("the reason", reason, multiline=True))
    # Names also arrive from request files, past the options' own checks.
    for label, names in (
        ("the actor id", [actor_id]),
        ("an actor group", given.groups),
    ):
        for name in names:
            problem = name_problem(name)
            if problem is not None:
                problems.append(f"{label} {problem[0].lower()}{problem[1:]}")
    problems.extend(_surrogate_problems(given, record_id, actor_id, reason))
    found = [problem for problem in problems if problem is not None]
    if found:
        raise RunError("\n".join(f"{problem}." for problem in found))


def _surrogate_problems(
    given: RunInput, record_id: str, actor_id: str, reason: str
) -> list[str]:
    """Name texts holding a lone surrogate, which is what an invalid UTF-8 byte
    in a command-line argument becomes."""
    texts = {
        "the record id": [record_id],
        "the actor id": [actor_id],
        "the reason": [reason],
        "a --set value": [f"{k}={v}" for k, v in given.set_values.items()],
    }
    return [
        f"{label} is not valid UTF-8 text; pass it as UTF-8"
        for label, values in texts.items()
        if any(_has_surrogate(value) for value in values)
    ]


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _check_request_size(
    applied: AppliedConfig,
    connector: Connector,
    object_name: str,
    given: RunInput,
    reason: str,
) -> None:
    """Raise RunError when the reason, the number of fields or a text value is too long.

    Runs before any other check of the values and before any Zoho call, so an
    oversized request costs little time or memory.
    """
    problems = []
    if len(reason) > MAX_REASON_CHARS:
        problems.append(
            f"the reason has {len(reason):,} characters, more than the maximum of"
            f" {MAX_REASON_CHARS:,}; summarize it and link to the details"
        )
    names = {*given.values, *given.set_values}
    if len(names) > MAX_CHANGED_FIELDS:
        problems.append(
            f"the request changes {len(names):,} fields, more than the maximum of"
            f" {MAX_CHANGED_FIELDS}; split it into several requests"
        )
    else:
        for name in sorted(names):
            value = given.set_values.get(name, given.values.get(name))
            entry = applied.field_entry(connector.name, object_name, name) or {}
            length = entry.get("length")
            if entry.get("dataType") not in TEXT_TYPES or not isinstance(length, int):
                length = MAX_TEXT_VALUE_CHARS
            longest = max((len(text) for text in _strings_in(value)), default=0)
            if longest > length:
                problems.append(
                    f"the value of {name} has {longest:,} characters, more than the"
                    f" maximum of {length:,}; shorten it"
                )
    if problems:
        raise RunError("\n".join(f"{problem}." for problem in problems))


def _strings_in(value: Any) -> list[str]:
    """Return ``value`` if it is a string, or the strings in it if it is a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _resolve_connector(applied: AppliedConfig, name: str | None) -> Connector:
    if name is not None:
        return applied.connector(name)
    connectors = applied.workspace.connectors
    if len(connectors) == 1:
        return connectors[0]
    known = ", ".join(c.name for c in connectors) or "none"
    raise RunError(
        f"applied revision {applied.serial} has {len(connectors)} connectors"
        f" ({known}). Name one with --connector."
    )


def _require_managed(connector: Connector, object_name: str) -> None:
    """Raise RunError unless the connector manages the object, before anything is stored.

    Module API names are matched exactly, as the allowlist matches them, so a
    name that differs only in case is not accepted, but it is suggested.
    """
    if connector.managed_object(object_name) is not None:
        return
    names = [obj.object_api_name for obj in connector.managed_objects]
    matches = [name for name in names if name.casefold() == object_name.casefold()]
    hint = f" Did you mean {matches[0]!r}?" if matches else ""
    raise RunError(
        f"connector {connector.name!r} does not manage object {object_name!r}."
        f"{hint} Managed objects: {', '.join(names) or 'none'}. Module API names"
        " are matched exactly; to govern another module, add it to managedObjects"
        " in connectors.yaml and apply the change."
    )


def _required(value: str | None, option: str, meaning: str) -> str:
    if not value:
        raise RunError(f"{option} is missing. Pass {option} with {meaning}.")
    return value


def _check_values(
    applied: AppliedConfig,
    connector: Connector,
    object_name: str,
    values: dict[str, Any],
    texts: dict[str, str],
) -> None:
    """Reject values that cannot be stored in allowlisted fields.

    ``texts`` maps fields to the values as the user wrote them. Values that
    redaction would change, and NaN or infinite numbers, are rejected for every
    field, because the run stores its request as JSON and writes the values as
    stored. Other checks skip fields outside the allowlist: the allowlist guard
    denies them, and the denied run is stored as evidence.
    """
    managed = connector.managed_object(object_name)
    allowed = set(managed.allowed_fields) if managed is not None else set()
    problems = []
    for name, value in values.items():
        problem = _field_problem(
            applied, connector, object_name, name, value, texts.get(name), allowed
        )
        if problem is not None:
            problems.append(problem)
    if problems:
        raise RunError(
            "the requested values do not fit their fields:\n  - "
            + "\n  - ".join(problems)
            + "\nFix the values and submit again."
        )


def _field_problem(
    applied: AppliedConfig,
    connector: Connector,
    object_name: str,
    name: str,
    value: Any,
    text: str | None,
    allowed: set[str],
) -> str | None:
    """Return why one value cannot be requested, or None."""
    entry = None
    if name in allowed:
        entry = applied.field_entry(connector.name, object_name, name)
    writable = entry is not None and bool(entry.get("writable", True))

    if entry is not None and writable:
        # Checked first so that an out-of-range number names the field's range.
        problem = number_problem(entry, value, text)
        if problem is not None:
            return problem
    problem = non_finite_problem(name, value, text)
    if problem is not None:
        return problem
    metadata = applied.field_entry(connector.name, object_name, name)
    # A field missing from the metadata may be multi-line, so it gets the
    # lenient check; the allowlist guard or the check below rejects it anyway.
    multiline = metadata is None or metadata.get("dataType") == "textarea"
    problem = text_problem(f"the value of {name}", value, multiline=multiline)
    if problem is not None:
        return problem

    if redact(value) != value:
        return (
            f"the value of {name} looks like a credential, so it would be stored"
            f" as {REDACTED} and the write would not match the preview;"
            " credentials never go into run evidence"
        )
    if name not in allowed:
        return None
    if entry is None:
        return (
            f"{object_name}.{name} is not in the metadata snapshot of"
            f" {connector.name} in revision {applied.serial}; run `actionplane"
            f" connectors sync-metadata {connector.name}`, then `{APPLY_HINT}`"
        )
    if not writable:
        reason = entry.get("notWritableReason") or "it is not writable"
        return f"{object_name}.{name} cannot be written: {reason}"
    return value_problem(entry, value)
