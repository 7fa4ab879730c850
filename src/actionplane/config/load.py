"""Load a workspace: read, schema-check, semantic-check and build the model.

All problems are collected; nothing stops at the first one. A file with schema
errors is left out of the model, so the caller must check the diagnostics
before acting on the workspace.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionplane.config import model as m
from actionplane.config.schema import SECRET_KEYS, validate_document
from actionplane.config.semantics import (
    SECRET_REFERENCE,
    Declared,
    check_connectors,
    check_literal_secrets,
    check_policies,
    declared_names,
)
from actionplane.config.yamlload import (
    MAX_FILE_BYTES,
    KeyPath,
    YamlDocument,
    load_yaml_file,
)
from actionplane.diagnostics import (
    MIN_SCRUBBED,
    Diagnostic,
    Location,
    error,
    has_errors,
    scrub_secrets,
    secret_literals,
    sort_key,
)
from actionplane.errors import ConfigError


@dataclass
class LoadedFiles:
    """The parsed documents of a workspace, before the model is built."""

    root: Path
    connectors: YamlDocument | None = None
    policies: list[YamlDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Documents whose required top-level values are invalid; they are left out.
    unusable: set[str] = field(default_factory=set)
    declared: Declared = field(default_factory=Declared)
    # Literal credential values in connectors.yaml, kept out of every message.
    secrets: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)


def policy_paths(root: Path) -> list[Path]:
    folder = root / m.POLICIES_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
    )


def read_files(root: Path, overrides: dict[str, str] | None = None) -> LoadedFiles:
    """Parse and schema-check every workspace file.

    `overrides` maps workspace-relative paths to file contents; plans use it to
    load a workspace from a git revision instead of the working tree.
    """
    from actionplane.config.yamlload import load_yaml_text

    files = LoadedFiles(root=root)
    raw_data: dict[str, Any] = {}

    def load(rel: str, schema: str) -> YamlDocument | None:
        if overrides is not None:
            doc, problem = load_yaml_text(overrides[rel], rel)
        else:
            doc, problem = load_yaml_file(root / rel, rel)
        if problem is not None:
            files.diagnostics.append(problem)
            return None
        assert doc is not None
        if doc.data is None:
            files.diagnostics.append(
                error(
                    "config.empty-file",
                    "file is empty",
                    "Add `version: 1` and the file's content.",
                    location=Location(rel),
                )
            )
            return None
        files.diagnostics.extend(doc.problems)
        raw_data[rel] = copy.deepcopy(doc.data)
        schema_problems, bad_paths = validate_document(doc, schema)
        # A value the YAML reader already reported, such as `007`, gets one error.
        reported = {p.location for p in doc.problems}
        files.diagnostics.extend(
            p for p in schema_problems if p.location not in reported
        )
        if schema == "connectors":
            files.diagnostics.extend(check_literal_secrets(doc))
        if not prune_invalid(doc, bad_paths, schema):
            files.unusable.add(rel)
        return doc

    names = _file_names(root, overrides)
    if m.CONNECTORS_FILE not in names:
        files.diagnostics.append(
            error(
                "config.missing-connectors",
                f"{m.CONNECTORS_FILE} not found in {root}",
                "Run the command from the workspace folder or pass --workspace; "
                "`actionplane connectors connect PAYLOAD.json` creates the file.",
                location=Location(m.CONNECTORS_FILE),
            )
        )
    else:
        files.lines = _connectors_lines(root, overrides)
        files.secrets = secret_literals(files.lines)
        files.connectors = load(m.CONNECTORS_FILE, "connectors")
        if files.connectors is not None:
            files.secrets |= parsed_secret_values(files.connectors.data)
    for rel in names:
        if rel.startswith(m.POLICIES_DIR + "/"):
            doc = load(rel, "policy")
            if doc is not None:
                files.policies.append(doc)
    files.declared = declared_names(
        raw_data.get(m.CONNECTORS_FILE)
        if m.CONNECTORS_FILE not in files.unusable
        else None,
        [raw_data[doc.path] for doc in files.policies],
    )
    return files


def parsed_secret_values(data: Any) -> set[str]:
    """Return literal credential values of the connectors as YAML read them.

    The line scan misses spellings such as an escaped key name
    (`"client\\u0053ecret"`); the parsed document does not.
    """
    found: set[str] = set()
    connectors = data.get("connectors") if isinstance(data, dict) else None
    for connector in connectors if isinstance(connectors, list) else []:
        if not isinstance(connector, dict):
            continue
        for key in SECRET_KEYS:
            value = connector.get(key)
            if value is None or isinstance(value, bool):
                continue
            text = str(value)
            if not SECRET_REFERENCE.fullmatch(text) and len(text) >= MIN_SCRUBBED:
                found.add(text)
    return found


def _connectors_lines(root: Path, overrides: dict[str, str] | None) -> list[str]:
    if overrides is not None:
        return overrides.get(m.CONNECTORS_FILE, "").splitlines()
    try:
        raw = (root / m.CONNECTORS_FILE).read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError:
        return []
    return raw.decode("utf-8", errors="replace").splitlines()


def _file_names(root: Path, overrides: dict[str, str] | None) -> list[str]:
    if overrides is not None:
        return sorted(overrides)
    names = [m.CONNECTORS_FILE] if (root / m.CONNECTORS_FILE).is_file() else []
    names += [f"{m.POLICIES_DIR}/{p.name}" for p in policy_paths(root)]
    return names


def load_workspace(
    root: Path, overrides: dict[str, str] | None = None
) -> tuple[m.Workspace, list[Diagnostic]]:
    """Load the workspace at `root` and return it with every diagnostic found."""
    files = read_files(root, overrides)
    diagnostics = list(files.diagnostics)
    connectors_doc = files.connectors
    if m.CONNECTORS_FILE in files.unusable:
        connectors_doc = None
    valid_policies = [doc for doc in files.policies if doc.path not in files.unusable]
    if connectors_doc is not None:
        diagnostics.extend(check_connectors(connectors_doc))
    diagnostics.extend(check_policies(valid_policies, files.declared))
    workspace = build_workspace(root, connectors_doc, valid_policies)
    diagnostics = scrub_secrets(
        diagnostics, files.secrets, {m.CONNECTORS_FILE: files.lines}
    )
    diagnostics.sort(key=sort_key)
    return workspace, diagnostics


def load_valid_workspace(root: Path) -> m.Workspace:
    """Load the workspace or raise ConfigError carrying its error diagnostics."""
    workspace, diagnostics = load_workspace(root)
    if has_errors(diagnostics):
        problems = [d for d in diagnostics if d.is_error]
        raise ConfigError(
            f"the workspace has {len(problems)} error(s); run `actionplane validate` for details",
            diagnostics=problems,
        )
    return workspace


# Top-level keys without which a document cannot be used at all.
_ESSENTIAL = {
    "connectors": {"version", "connectors"},
    "policy": {"version", "defaultRoute"},
}
# Lists whose items are checked and left out one by one.
_ITEM_LISTS = {"connectors": {"connectors"}, "policy": {"rules", "tests"}}


def prune_invalid(
    doc: YamlDocument, bad_paths: list[tuple[Any, ...]], schema: str
) -> bool:
    """Blank out the parts of a document that failed schema validation.

    A failed connector, rule or test becomes None (so list indices still match
    the recorded positions) and a failed optional top-level key is removed.
    Return False when the document as a whole is unusable.
    """
    if not isinstance(doc.data, dict):
        return False
    for path in bad_paths:
        if not path or (path[0] in _ESSENTIAL[schema] and len(path) == 1):
            return False
        head = path[0]
        if head in _ITEM_LISTS[schema] and len(path) >= 2 and isinstance(path[1], int):
            items = doc.data.get(head)
            if isinstance(items, list) and path[1] < len(items):
                items[path[1]] = None
        elif head in _ESSENTIAL[schema]:
            return False
        else:
            doc.data.pop(head, None)
    return True


# --- model building ---------------------------------------------------------


def build_workspace(
    root: Path, connectors_doc: YamlDocument | None, policy_docs: list[YamlDocument]
) -> m.Workspace:
    data: dict[str, Any] = connectors_doc.data if connectors_doc else {}
    connectors = tuple(
        _connector(connectors_doc, ("connectors", i), raw)
        for i, raw in enumerate(data.get("connectors") or [])
        if connectors_doc is not None and raw is not None
    )
    return m.Workspace(
        root=root,
        name=data.get("workspace") or root.resolve().name,
        version=data.get("version", 1),
        connectors=connectors,
        policies=tuple(_policy(doc) for doc in policy_docs),
        groups={k: tuple(v) for k, v in (data.get("groups") or {}).items()},
        cel_backend=data.get("celBackend", m.DEFAULT_CEL_BACKEND),
        approval_expiry_hours=(data.get("approvals") or {}).get(
            "expiresAfterHours", m.DEFAULT_APPROVAL_EXPIRY_HOURS
        ),
        raw=data,
    )


def _connector(doc: YamlDocument, path: KeyPath, raw: dict[str, Any]) -> m.Connector:
    objects = []
    for j, obj in enumerate(raw["managedObjects"]):
        obj_path = (*path, "managedObjects", j)
        objects.append(
            m.ManagedObject(
                object_api_name=obj["objectApiName"],
                display_name=obj.get("displayName", obj["objectApiName"]),
                allowed_fields=tuple(obj["allowedFields"]),
                location=doc.location(obj_path),
                field_locations={
                    name: doc.location((*obj_path, "allowedFields", k))
                    for k, name in enumerate(obj["allowedFields"])
                },
            )
        )
    return m.Connector(
        name=raw["name"],
        type=raw["type"],
        login_url=raw["loginUrl"].rstrip("/"),
        instance_url=raw["instanceUrl"].rstrip("/"),
        api_version=raw["apiVersion"],
        is_sandbox=raw["isSandbox"],
        is_enabled=raw["isEnabled"],
        client_id=raw["clientId"],
        client_secret=raw["clientSecret"],
        refresh_token=raw["refreshToken"],
        managed_objects=tuple(objects),
        location=doc.location(path),
    )


def _names(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _policy(doc: YamlDocument) -> m.Policy:
    data = doc.data
    rules = tuple(
        _rule(doc, ("rules", i), raw)
        for i, raw in enumerate(data.get("rules") or [])
        if raw is not None
    )
    tests = tuple(
        _test(doc, ("tests", i), raw)
        for i, raw in enumerate(data.get("tests") or [])
        if raw is not None
    )
    return m.Policy(
        path=doc.path,
        version=data["version"],
        default_route=m.Route(data["defaultRoute"]),
        rules=rules,
        tests=tests,
        location=doc.location(("defaultRoute",)),
    )


def _rule(doc: YamlDocument, path: KeyPath, raw: dict[str, Any]) -> m.Rule:
    line, column, block = when_position(doc, (*path, "when"))
    return m.Rule(
        id=raw["id"],
        policy_file=doc.path,
        when=raw["when"],
        route=m.Route(raw["route"]),
        description=raw.get("description", ""),
        objects=_names(raw.get("object")),
        connectors=_names(raw.get("connector")),
        actor_kinds=tuple(raw.get("actorKinds") or ()),
        approvers=tuple(raw.get("approvers") or ()),
        required_approvals=raw.get("requiredApprovals", 1),
        message=raw.get("message", ""),
        location=doc.location((*path, "id")),
        when_line=line,
        when_column=column,
        when_block=block,
    )


def when_position(doc: YamlDocument, path: KeyPath) -> tuple[int, int, bool]:
    """Return the file line and column of the first character of a CEL source.

    A block scalar (`|` or `>`) starts on the first non-blank line after its
    indicator, at that line's indentation. A quoted scalar starts one column
    after its opening quote.
    """
    span = doc.span(path)
    if span is None:
        return 0, 0, False
    start = span.value
    if span.style in ("|", ">"):
        for number in range(start.line + 1, len(doc.lines) + 1):
            text = doc.lines[number - 1]
            if text.strip():
                return number, len(text) - len(text.lstrip(" ")) + 1, True
        return start.line, start.column, True
    offset = 1 if span.style in ("'", '"') else 0
    return start.line, start.column + offset, False


def _test(doc: YamlDocument, path: KeyPath, raw: dict[str, Any]) -> m.RuleTest:
    expect = raw["expect"]
    return m.RuleTest(
        name=raw["name"],
        policy_file=doc.path,
        request=raw["request"],
        record=raw.get("record"),
        connector=raw.get("connector"),
        now=raw.get("now"),
        expect_route=m.Route(expect["route"]),
        expect_rules=tuple(expect["rules"]) if "rules" in expect else None,
        expect_approvers=tuple(expect["approvers"]) if "approvers" in expect else None,
        expect_message=expect.get("message"),
        location=doc.location((*path, "name")),
    )


def require_workspace_root(root: Path) -> Path:
    if not root.is_dir():
        raise ConfigError(
            f"workspace folder {root} does not exist; pass --workspace PATH"
        )
    return root
