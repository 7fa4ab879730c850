"""One diagnostics model for every command that checks something.

A diagnostic has a severity, a stable code, a one-line summary, a detail that ends
in the fix, and a location in a workspace file. Renderers turn a list of them into
text with source snippets, versioned JSON, GitHub workflow annotations or SARIF.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = "1"


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Location:
    """A span in a workspace file; lines and columns count from 1."""

    file: str
    line: int = 0
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    summary: str
    detail: str = ""
    location: Location | None = None
    key_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # False when the source line may hold a secret and must not be printed.
    show_source: bool = True

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "summary": self.summary,
            "detail": self.detail,
            "location": self.location.to_dict() if self.location else None,
            "key_path": self.key_path,
            **({"extra": self.extra} if self.extra else {}),
        }


def error(code: str, summary: str, detail: str = "", **kwargs: Any) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, summary, detail, **kwargs)


def warning(code: str, summary: str, detail: str = "", **kwargs: Any) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, summary, detail, **kwargs)


def note(code: str, summary: str, detail: str = "", **kwargs: Any) -> Diagnostic:
    return Diagnostic(Severity.NOTE, code, summary, detail, **kwargs)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    loc = diagnostic.location
    if loc is None:
        return ("", 0, 0, diagnostic.code)
    return (loc.file, loc.line, loc.column, diagnostic.code)


def counts(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    result = {s.value: 0 for s in Severity}
    for d in diagnostics:
        result[d.severity.value] += 1
    return result


# --- renderers -------------------------------------------------------------


def render_text(
    diagnostics: Sequence[Diagnostic], root: Path | None = None, *, color: bool = False
) -> str:
    """Render diagnostics for a terminal, each with its source line and a caret."""
    sources: dict[str, list[str] | None] = {}
    blocks = [_render_one(d, root, sources, color) for d in diagnostics]
    return "\n\n".join(blocks)


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


_SEVERITY_COLOR = {
    Severity.ERROR: "1;31",
    Severity.WARNING: "1;33",
    Severity.NOTE: "1;36",
}


def _render_one(
    d: Diagnostic, root: Path | None, sources: dict[str, list[str] | None], color: bool
) -> str:
    label = _style(d.severity.value, _SEVERITY_COLOR[d.severity], color)
    head = f"{label}[{d.code}]: {d.summary}"
    lines = [head]
    if d.location is not None:
        where = str(d.location)
        if d.key_path:
            where += f" ({d.key_path})"
        lines.append(f"  --> {where}")
        snippet = _snippet(d.location, root, sources) if d.show_source else []
        if snippet:
            lines.extend(snippet)
    elif d.key_path:
        lines.append(f"  --> {d.key_path}")
    if d.detail:
        lines.extend("  " + part for part in d.detail.splitlines())
    return "\n".join(lines)


def _snippet(
    loc: Location, root: Path | None, sources: dict[str, list[str] | None]
) -> list[str]:
    if not loc.line:
        return []
    if loc.file not in sources:
        path = Path(loc.file) if root is None else root / loc.file
        try:
            sources[loc.file] = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            sources[loc.file] = None
    text = sources[loc.file]
    if text is None or loc.line > len(text):
        return []
    source_line = _mask_secret(text, loc.line - 1).replace("\t", " ")
    gutter = f"{loc.line:>4} | "
    width = 1
    if loc.end_line == loc.line and loc.end_column and loc.end_column > loc.column:
        width = loc.end_column - loc.column
    caret = " " * (len(gutter) + max(loc.column - 1, 0)) + "^" * width
    return [gutter + source_line, caret]


# A credential key. On a block-style line its value runs to the end of the line.
_SECRET_KEY = r"""["']?(?:clientId|clientSecret|refreshToken)["']?\s*:"""
_SECRET_BLOCK = re.compile(rf"(?P<key>^\s*(?:-\s+)?{_SECRET_KEY})(?P<value>.*)$")
_SECRET_ANYWHERE = re.compile(_SECRET_KEY)
_REFERENCE = r"""\s*["']?\$\{[A-Za-z_][A-Za-z0-9_]*\}["']?"""
_REFERENCE_ONLY = re.compile(rf"{_REFERENCE}\s*(#.*)?")
# A reference that ends a value inside a flow mapping or sequence.
_REFERENCE_IN_FLOW = re.compile(rf"{_REFERENCE}\s*(?=[,}}\]])")


def _mask_secret(lines: Sequence[str], index: int) -> str:
    """Return line `index` with credential values replaced by `***`.

    Source lines are shown under diagnostics, and a line holding a literal
    secret must never reach the terminal or a CI log. Inside a flow mapping,
    the rest of the line after a literal credential is masked. Lines that
    continue a credential's multi-line value are masked whole.
    """
    line = lines[index]
    masked = _mask_line(line)
    if masked != line:
        return masked
    indent = len(line) - len(line.lstrip())
    for previous in reversed(lines[:index]):
        if not previous.strip() or _content_indent(previous) >= indent:
            continue
        if _SECRET_BLOCK.match(previous) and (
            _mask_line(previous) != previous or _opens_secret(previous)
        ):
            return " " * indent + "***"
        return line
    return line


def secret_literals(lines: Sequence[str]) -> set[str]:
    """Return the literal credential values written in `lines`.

    Messages about a line, such as "number 0123 has a leading zero", may quote
    its value; `scrub_secrets` removes these values from them.
    """
    found: set[str] = set()
    for index, line in enumerate(lines):
        masked = _mask_secret(lines, index)
        if masked == line:
            continue
        start = masked.index("***")
        value = line[start:].split(" #", 1)[0].strip()
        if masked.endswith(": ***") and "{" in line[:start]:
            value = re.split(r"[,}\]]", value, maxsplit=1)[0].strip()
        # An anchor (`&name`) or a tag (`!!str`) may come before the value.
        value = _NODE_PROPERTIES.sub("", value)
        for candidate in (value, value.strip("'\"")):
            if len(candidate) >= MIN_SCRUBBED:
                found.add(candidate)
    return found


_NODE_PROPERTIES = re.compile(r"^(?:(?:&[^\s]+|![^\s]*)\s+)+")


# Shorter values are left in messages: replacing every "1" would garble them,
# and a credential that short is not a secret worth protecting.
MIN_SCRUBBED = 4


def scrub_secrets(
    diagnostics: Sequence[Diagnostic],
    literals: set[str],
    lines: dict[str, Sequence[str]] | None = None,
) -> list[Diagnostic]:
    """Replace each literal credential value in the messages with `***`.

    `lines` maps files to their lines. A diagnostic on a line that contains a
    literal loses its source line, because the masking may not recognise it.
    """
    if not literals:
        return list(diagnostics)
    ordered = sorted(literals, key=len, reverse=True)

    def scrub(text: str) -> str:
        for literal in ordered:
            text = text.replace(literal, "***")
        return text

    def shows_literal(d: Diagnostic) -> bool:
        location = d.location
        if location is None or not location.line or not lines:
            return False
        text = lines.get(location.file) or ()
        if location.line > len(text):
            return False
        return any(literal in text[location.line - 1] for literal in ordered)

    return [
        dataclasses.replace(
            d,
            summary=scrub(d.summary),
            detail=scrub(d.detail),
            show_source=d.show_source and not shows_literal(d),
        )
        for d in diagnostics
    ]


def _content_indent(line: str) -> int:
    """Return the column where a line's content starts, after any `- ` markers."""
    return len(line) - len(line.lstrip(" -"))


def _mask_line(line: str) -> str:
    block = _SECRET_BLOCK.match(line)
    if block:
        value = block["value"]
        if not value.strip() or _REFERENCE_ONLY.fullmatch(value):
            return line
        return f"{block['key']} ***"
    position = 0
    while match := _SECRET_ANYWHERE.search(line, position):
        if not _REFERENCE_IN_FLOW.match(line, match.end()):
            return line[: match.end()] + " ***"
        position = match.end()
    return line


def _opens_secret(line: str) -> bool:
    """Tell whether `line` starts a credential whose value continues below."""
    block = _SECRET_BLOCK.match(line)
    return block is not None and not block["value"].strip()


def render_json(diagnostics: Sequence[Diagnostic], **extra: Any) -> str:
    payload = {
        "format_version": FORMAT_VERSION,
        "valid": not has_errors(diagnostics),
        "counts": counts(diagnostics),
        "diagnostics": [d.to_dict() for d in diagnostics],
        **extra,
    }
    return json.dumps(payload, indent=2, sort_keys=False)


_GITHUB_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "notice",
}


def _github_escape(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """Render workflow commands that GitHub Actions shows as annotations."""
    out = []
    for d in diagnostics:
        props = []
        if d.location is not None:
            props.append(f"file={_github_escape(d.location.file, property_value=True)}")
            if d.location.line:
                props.append(f"line={d.location.line}")
                props.append(f"col={d.location.column}")
        props.append(f"title={_github_escape(d.code, property_value=True)}")
        message = d.summary + (f"\n{d.detail}" if d.detail else "")
        out.append(
            f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_github_escape(message)}"
        )
    return "\n".join(out)


_SARIF_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "note",
}


def render_sarif(diagnostics: Sequence[Diagnostic], tool_version: str) -> str:
    """Render a SARIF 2.1.0 log with locations relative to the workspace root."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for d in diagnostics:
        rules.setdefault(
            d.code, {"id": d.code, "shortDescription": {"text": d.summary}}
        )
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.summary + (f"\n{d.detail}" if d.detail else "")},
        }
        if d.location is not None:
            region: dict[str, int] = {}
            if d.location.line:
                region = {
                    "startLine": d.location.line,
                    "startColumn": max(d.location.column, 1),
                }
            physical: dict[str, Any] = {"artifactLocation": {"uri": d.location.file}}
            if region:
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "actionplane",
                        "version": tool_version,
                        "rules": sorted(rules.values(), key=lambda r: r["id"]),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)
