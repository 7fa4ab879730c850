"""Insert or update one connector in `connectors.yaml`, keeping comments.

The new text is validated as part of the whole workspace before it replaces
the file, and the file is replaced atomically, so a failed connect leaves the
workspace as it was.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from actionplane.config.load import load_workspace
from actionplane.config.model import CONNECTORS_FILE, Connector, Workspace
from actionplane.errors import ConfigError
from actionplane.plan.bundle import bundle_from_worktree


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def workspace_name(root: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")
    return (name or "workspace")[:63]


def _entry(connector: dict[str, Any]) -> CommentedMap:
    entry = CommentedMap()
    for key, value in connector.items():
        if key == "managedObjects":
            objects = CommentedSeq()
            for obj in value:
                item = CommentedMap()
                item["objectApiName"] = obj["objectApiName"]
                item["displayName"] = obj["displayName"]
                fields = CommentedSeq(obj["allowedFields"])
                fields.fa.set_flow_style()
                item["allowedFields"] = fields
                objects.append(item)
            entry[key] = objects
        else:
            entry[key] = value
    return entry


def render_connectors(root: Path, connector: dict[str, Any]) -> tuple[str, bool]:
    """Return the new `connectors.yaml` text and whether the connector is new."""
    path = root / CONNECTORS_FILE
    yaml = _yaml()
    if path.is_file():
        data = yaml.load(path.read_text(encoding="utf-8"))
    else:
        data = CommentedMap()
        data["version"] = 1
        data["workspace"] = workspace_name(root)
        data["connectors"] = CommentedSeq()
    if not isinstance(data, dict) or not isinstance(data.get("connectors"), list):
        raise ConfigError(
            f"{path} has no `connectors:` list to add the connector to; fix the file "
            "with `actionplane validate` first"
        )
    entries = data["connectors"]
    entry = _entry(connector)
    created = False
    for index, existing in enumerate(entries):
        if isinstance(existing, dict) and existing.get("name") == connector["name"]:
            entries[index] = entry
            break
    else:
        entries.append(entry)
        created = True
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue(), created


@dataclass
class PreparedConnector:
    """A connector ready to be written: the new file text and its parsed model."""

    text: str
    created: bool
    connector: Connector
    workspace: Workspace


def prepare_connector(root: Path, connector: dict[str, Any]) -> PreparedConnector:
    """Render `connectors.yaml` with the connector inserted or updated, unwritten.

    Raise ConfigError with the workspace's diagnostics when the result would not
    validate.
    """
    text, created = render_connectors(root, connector)
    files = bundle_from_worktree(root, compare_with_head=False).files
    files[CONNECTORS_FILE] = text
    workspace, diagnostics = load_workspace(root, overrides=files)
    # The file on disk is still the old one, so source lines are not shown.
    problems = [
        replace(d, show_source=False)
        for d in diagnostics
        if d.is_error and d.location and d.location.file == CONNECTORS_FILE
    ]
    model = workspace.connector(connector["name"])
    if problems or model is None:
        raise ConfigError(
            f"the connector was not saved: {CONNECTORS_FILE} would have {len(problems)} "
            "error(s); fix the payload and run connect again",
            diagnostics=problems,
        )
    return PreparedConnector(text, created, model, workspace)


def write_connectors(root: Path, text: str) -> None:
    """Replace `connectors.yaml` atomically."""
    path = root / CONNECTORS_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def save_connector(root: Path, connector: dict[str, Any]) -> bool:
    """Write the connector into `connectors.yaml`; return True when it is new.

    Raise ConfigError, and leave the file untouched, when the result would not
    validate.
    """
    prepared = prepare_connector(root, connector)
    write_connectors(root, prepared.text)
    return prepared.created


GITIGNORE_LINES = ("/.actionplane/*", "!/.actionplane/metadata/")


def ensure_gitignore(root: Path) -> bool:
    """Keep local state out of git while the metadata snapshots stay in.

    Append the two lines to the workspace's `.gitignore` when they are
    missing; return True when the file changed.
    """
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return False
    prefix = "" if not text or text.endswith("\n") else "\n"
    header = "# ActionPlane: local state stays out of git; metadata snapshots are committed.\n"
    path.write_text(
        text + prefix + header + "\n".join(missing) + "\n", encoding="utf-8"
    )
    return True
