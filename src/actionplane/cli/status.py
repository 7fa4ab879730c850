"""`actionplane status`: onboarding progress per connector and governed-run counts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from actionplane.cli.options import format_option, state_option, workspace_option
from actionplane.plan.bundle import short_commit

if TYPE_CHECKING:
    from actionplane.runs.checklist import StatusReport


@click.command()
@format_option("text", "json")
@workspace_option
@state_option
def status(output_format: str, workspace: Path, state_path: Path | None) -> None:
    """Show each connector's onboarding checklist, its next step, and usage.

    Usage counts governed runs (runs that received a decision) per UTC month,
    split into dry and live runs.

    \b
        actionplane status
    """
    from actionplane.runs.checklist import STATUS_FORMAT_VERSION, status_report
    from actionplane.state import open_state

    with open_state(state_path, workspace) as state:
        report = status_report(state, workspace)
    if output_format == "json":
        body = {
            "format_version": STATUS_FORMAT_VERSION,
            "workspace": report.workspace,
            "revision": report.revision,
            "connectors": [asdict(c) for c in report.connectors],
            "usage": [
                {"month": u.month, "dry_runs": u.dry_runs, "live_runs": u.live_runs}
                for u in report.usage
            ],
        }
        click.echo(json.dumps(body, indent=2))
        return
    click.echo("\n".join(_text(report)))


def _text(report: StatusReport) -> list[str]:
    from actionplane.runs.render import table

    revision = report.revision
    if revision is None:
        active = "no revision applied yet"
    else:
        commit = short_commit(revision["git_commit"], "no git commit")
        active = (
            f"revision {revision['serial']} active ({commit}, applied by"
            f" {revision['applied_by']} at {revision['applied_at']})"
        )
    lines = [f"Workspace {report.workspace}: {active}"]
    for connector in report.connectors:
        kind = "sandbox" if connector.is_sandbox else "production"
        lines += ["", f"Connector {connector.name} ({kind})"]
        rows = []
        for item in connector.items:
            if not item.applicable:
                mark = "[-]"
            elif item.done:
                mark = "[x]"
            else:
                mark = "[ ]"
            rows.append([mark, item.label, item.at or "", item.detail])
        lines += table(rows)
        if connector.next_step:
            lines.append(f"  Next: {connector.next_step}")
        else:
            lines.append("  Onboarding complete.")
    lines += ["", "Governed runs per month (runs that received a decision):"]
    if not report.usage:
        lines.append("  none yet")
    else:
        rows = [["month", "dry", "live", "total"]]
        for usage in report.usage:
            rows.append(
                [
                    usage.month,
                    str(usage.dry_runs),
                    str(usage.live_runs),
                    str(usage.total),
                ]
            )
        lines += table(rows)
    return lines
