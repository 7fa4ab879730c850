"""Printing diagnostics in the format a command was asked for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from actionplane import __version__
from actionplane.diagnostics import (
    Diagnostic,
    counts,
    render_github,
    render_json,
    render_sarif,
    render_text,
)


def summary_line(diagnostics: Sequence[Diagnostic], ok_text: str) -> str:
    tally = counts(diagnostics)
    if not tally["error"] and not tally["warning"]:
        return ok_text
    parts = []
    for severity in ("error", "warning"):
        n = tally[severity]
        if n:
            parts.append(f"{n} {severity}{'s' if n != 1 else ''}")
    return ", ".join(parts) + "."


def emit_diagnostics(
    diagnostics: Sequence[Diagnostic],
    output_format: str,
    *,
    root: Path,
    color: bool,
    ok_text: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Print diagnostics to stdout; they are the result of a checking command."""
    if output_format == "json":
        click.echo(render_json(diagnostics, **(extra or {})))
    elif output_format == "github":
        text = render_github(diagnostics)
        if text:
            click.echo(text)
        click.echo(summary_line(diagnostics, ok_text))
    elif output_format == "sarif":
        click.echo(render_sarif(diagnostics, __version__))
    else:
        if diagnostics:
            click.echo(render_text(diagnostics, root, color=color))
            click.echo()
        click.echo(summary_line(diagnostics, ok_text))
