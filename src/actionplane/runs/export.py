"""Export a run's evidence as a folder a reviewer can attach to a ticket.

One file per artifact, plus README.txt that indexes them. Every file is written
from the redacted run report, so no file carries a credential. The files still
hold CRM data, so they are readable by the owner only (0600), as plans and the
state file are. The export folder, when the export creates it, and its evidence
folder are 0700.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from actionplane import __version__
from actionplane.errors import RunError
from actionplane.runs.show import report_lines

_SLUG = re.compile(r"[^a-z0-9]+")
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def export_report(report: Mapping[str, Any], out: Path, exported_at: str) -> list[Path]:
    """Write the report's artifacts into ``out`` and return the files written."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunError(
            f"{out} already exists and is not an empty folder. Pass --out with a new"
            " or empty folder, so the export holds one run's evidence only."
        )
    # Only the last folder of a new path gets the mode, because mkdir creates
    # the parents with the process's default.
    try:
        out.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        (out / "evidence").mkdir(mode=PRIVATE_FOLDER)
    except OSError as exc:
        raise RunError(
            f"cannot create {exc.filename or out}: {exc.strerror}. Pass --out with a"
            " new or empty folder you can write to."
        ) from None

    index: list[tuple[str, str]] = []
    _write_text(out / "summary.txt", "\n".join(report_lines(report)) + "\n")
    index.append(("summary.txt", "the run as `actionplane run show` prints it"))
    for name, key, meaning in _ARTIFACTS:
        _write_json(out / name, report.get(key))
        index.append((name, meaning))
    _write_json(out / "run.json", _run_file(report))
    index.insert(1, ("run.json", "status, target, requester, digest, status history"))

    for item in report.get("evidence") or []:
        name = f"evidence/{item['seq']:03d}-{_slug(item['kind'])}-{_slug(item['name'])}.json"
        _write_json(out / name, item)
        index.append((name, f"{item['kind']}: {item['name']}"))

    readme = out / "README.txt"
    _write_text(readme, _readme(report, index, exported_at))
    return [readme, *(out / name for name, _ in index)]


_ARTIFACTS = (
    ("request.json", "request", "the change request as submitted (rule input)"),
    ("preview.json", "preview", "field, before and after, and the record as read"),
    ("decision.json", "decision", "route, decision trace, approvers and revision"),
    ("approvals.json", "approvals", "approvals and rejections with their digests"),
    ("result.json", "result", "execution and rollback: writes, read-backs, conflicts"),
    ("audit.json", "audit", "this run's entries of the hash-chained audit trail"),
)


def _run_file(report: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "format_version": report["format_version"],
        "run": report["run"],
        "exit_code": report["exit_code"],
        "required_approvals": report["required_approvals"],
        "transitions": report["transitions"],
    }


def _readme(
    report: Mapping[str, Any], index: list[tuple[str, str]], exported_at: str
) -> str:
    run = report["run"]
    decision = report.get("decision") or {}
    revision = decision.get("revision") or {}
    mode = "dry run" if run["dry_run"] else "live run"
    width = max(len(name) for name, _ in index)
    lines = [
        f"ActionPlane evidence for run {run['id']}",
        "",
        f"A {mode} that changes {run['connector']} {run['object']} record"
        f" {run['record_id']}, requested by {run['actor']['id']} ({run['actor']['kind']}).",
        f"Status: {run['status']}. Decision: {run.get('route')} by revision"
        f" {revision.get('serial')} (commit {revision.get('git_commit') or 'none'},"
        f" config {revision.get('config_digest')}).",
        f"Run digest (what approvals bind to): {run['digest']}",
        f"Exported at {exported_at} by actionplane {__version__}.",
        "",
        "Files:",
        *(f"  {name.ljust(width)}  {meaning}" for name, meaning in index),
        "",
        "Credentials (client secret, refresh token, access tokens) are redacted in",
        "every file. Each audit entry carries its hash in the hash-chained trail;",
        "`actionplane audit verify` checks the whole chain in the state store.",
    ]
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:60] or "item"


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    _write_text(path, text + "\n")


def _write_text(path: Path, text: str) -> None:
    """Create ``path`` as a new owner-only file, never following a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, PRIVATE_FILE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise RunError(
            f"cannot write {path}: {exc.strerror}. Pass --out with a new or empty"
            " folder you can write to."
        ) from None
