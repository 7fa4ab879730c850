"""The plan: one model that the text, markdown and JSON renderers all draw from.

A saved plan is content-addressed: `plan_id` is derived from the digest of its
content, and loading a plan recomputes the digest, so an edited file is
rejected instead of applied.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionplane.diagnostics import Diagnostic, Location, Severity, has_errors
from actionplane.errors import PlanError
from actionplane.plan.bundle import ConfigBundle, short_commit
from actionplane.plan.changes import Change
from actionplane.plan.impact import Impact

PLAN_FORMAT_VERSION = "1"


@dataclass
class Base:
    """What the plan compares against: the active revision, a git ref, or nothing."""

    kind: str  # "revision", "ref" or "none"
    serial: int | None = None
    commit: str | None = None
    ref: str | None = None
    config_digest: str | None = None
    metadata_digests: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.kind == "revision":
            return f"revision {self.serial} ({short_commit(self.commit)})"
        if self.kind == "ref":
            return f"git {self.ref} ({(self.commit or '')[:12]})"
        return "nothing applied yet"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "serial": self.serial,
            "commit": self.commit,
            "ref": self.ref,
            "config_digest": self.config_digest,
            "metadata_digests": self.metadata_digests,
        }


@dataclass
class Plan:
    workspace: str
    created_at: str
    base: Base
    desired: ConfigBundle
    changes: list[Change]
    impact: Impact | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    relied_fields: dict[str, dict[str, str | None]] = field(default_factory=dict)
    plan_id: str = ""

    @property
    def has_changes(self) -> bool:
        if self.changes:
            return True
        if self.base.kind == "none":
            return True
        if self.base.config_digest != self.desired.config_digest:
            return True
        return self.base.metadata_digests != self.desired.metadata_digests

    @property
    def metadata_changed(self) -> list[str]:
        names = set(self.base.metadata_digests) | set(self.desired.metadata_digests)
        return sorted(
            n
            for n in names
            if self.base.metadata_digests.get(n) != self.desired.metadata_digests.get(n)
        )

    @property
    def valid(self) -> bool:
        return not has_errors(self.diagnostics)

    def content(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "workspace": self.workspace,
            "created_at": self.created_at,
            "base": self.base.to_dict(),
            "desired": self.desired.to_dict(),
            "has_changes": self.has_changes,
            "changes": [c.to_dict() for c in self.changes],
            "impact": self.impact.to_dict() if self.impact else None,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "relied_fields": self.relied_fields,
        }

    def digest(self) -> str:
        canonical = json.dumps(self.content(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        digest = self.digest()
        self.plan_id = plan_id_for(digest)
        return {"plan_id": self.plan_id, "digest": digest, **self.content()}

    def save(self, path: Path) -> Path:
        """Write the plan to `path`, readable and writable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        tmp = path.with_name(path.name + ".tmp")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # The mode given to open is not applied to a file left by an earlier run.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
        return path


def plan_id_for(digest: str) -> str:
    return "plan-" + digest.removeprefix("sha256:")[:16]


def _diagnostic_from_dict(data: dict[str, Any]) -> Diagnostic:
    location = Location(**data["location"]) if data.get("location") else None
    return Diagnostic(
        Severity(data["severity"]),
        data["code"],
        data["summary"],
        data.get("detail", ""),
        location=location,
        key_path=data.get("key_path"),
        extra=dict(data.get("extra") or {}),
    )


def _change_from_dict(data: dict[str, Any]) -> Change:
    return Change(
        kind=data["kind"],
        subject=data["subject"],
        before=data.get("before"),
        after=data.get("after"),
        risk=data["risk"],
        note=data.get("note", ""),
        details=data.get("details") or {},
    )


def plan_from_dict(data: dict[str, Any], origin: str = "plan") -> Plan:
    version = data.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise PlanError(
            f"{origin} has plan format {version!r}; this actionplane reads format "
            f"{PLAN_FORMAT_VERSION!r}. Make a new plan with `actionplane plan --out FILE`."
        )
    try:
        base_data = data["base"]
        plan = Plan(
            workspace=data["workspace"],
            created_at=data["created_at"],
            base=Base(**base_data),
            desired=ConfigBundle.from_dict(data["desired"]),
            changes=[_change_from_dict(c) for c in data["changes"]],
            impact=Impact.from_dict(data["impact"]) if data.get("impact") else None,
            diagnostics=[
                _diagnostic_from_dict(d) for d in data.get("diagnostics") or []
            ],
            relied_fields=data.get("relied_fields") or {},
        )
    except (KeyError, TypeError) as exc:
        raise PlanError(
            f"{origin} is not a valid plan file (missing {exc}); make a new plan"
        ) from None
    digest = plan.digest()
    if digest != data.get("digest") and "dirty_files" not in data["desired"]:
        raise PlanError(
            f"{origin} was made by an older actionplane that did not list "
            "uncommitted files. Make a new plan with `actionplane plan --out FILE`."
        )
    if digest != data.get("digest"):
        raise PlanError(
            f"{origin} does not match its digest: the file was changed after it was made. "
            "Make a new plan with `actionplane plan --out FILE`."
        )
    # The id names the plan in the revision and the audit trail, so an edited
    # plan must not keep the id of the plan that was reviewed.
    plan.plan_id = plan_id_for(digest)
    if data.get("plan_id") != plan.plan_id:
        raise PlanError(
            f"{origin} names itself {data.get('plan_id')!r}, but its content is plan "
            f"{plan.plan_id}: the file was changed after it was made. "
            "Make a new plan with `actionplane plan --out FILE`."
        )
    return plan


def load_plan(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanError(f"cannot read plan file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{path} is not a plan file")
    return plan_from_dict(data, str(path))
