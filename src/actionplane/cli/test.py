"""`actionplane test`: run the rule tests of every policy file."""

from __future__ import annotations

from pathlib import Path

import click

from actionplane.cli.options import format_option, workspace_option
from actionplane.config.model import CEL_BACKENDS, Workspace
from actionplane.diagnostics import Diagnostic, render_github, render_json, render_text
from actionplane.errors import EXIT_FAILURE, EXIT_OK, RuleError
from actionplane.rules.testing import RuleTestReport

FORMATS = ("text", "json", "github", "junit")


@click.command()
@workspace_option
@format_option(*FORMATS)
@click.option(
    "--backend",
    type=click.Choice(CEL_BACKENDS),
    default=None,
    help="CEL backend [default: $ACTIONPLANE_CEL_BACKEND, else celBackend "
    "in connectors.yaml, else cel-expr-python].",
)
def test(workspace: Path, output_format: str, backend: str | None) -> None:
    """Run the rule tests in policies/*.yaml and list rules no test matched.

    Exits 1 when a test fails, a rule does not compile or the workspace does not
    load. Run the suite on both CEL backends in CI, for example:

        actionplane test --backend cel-python --format junit > rules.xml
    """
    report, diagnostics = run_tests(workspace, backend)
    stdout, stderr = render_outcome(report, diagnostics, output_format, workspace)
    if stderr:
        click.echo(stderr, err=True)
    if stdout:
        click.echo(stdout)
    passed = report is not None and report.passed
    click.get_current_context().exit(EXIT_OK if passed else EXIT_FAILURE)


def run_tests(
    root: Path, backend: str | None = None
) -> tuple[RuleTestReport | None, list[Diagnostic]]:
    """Load the workspace and run its rule tests.

    Return no report, and the error diagnostics, when the workspace does not
    load or a rule does not compile.
    """
    from actionplane.config.load import load_workspace
    from actionplane.rules.testing import run_rule_tests

    loaded: tuple[Workspace | None, list[Diagnostic]] = load_workspace(root)
    workspace, diagnostics = loaded
    errors = [d for d in diagnostics if d.is_error]
    if workspace is None or errors:
        return None, errors
    try:
        return run_rule_tests(workspace, backend), []
    except RuleError as exc:
        if not exc.diagnostics:
            raise
        return None, exc.diagnostics


def render_outcome(
    report: RuleTestReport | None,
    diagnostics: list[Diagnostic],
    output_format: str,
    root: Path,
) -> tuple[str, str]:
    """Return (stdout, stderr) text for a report or for the load errors."""
    from actionplane.rules import reporting

    if report is None:
        if output_format == "json":
            return render_json(diagnostics), ""
        if output_format == "github":
            return render_github(diagnostics), render_text(diagnostics, root)
        return "", render_text(diagnostics, root)
    renderers = {
        "text": reporting.render_text,
        "json": reporting.render_json,
        "github": reporting.render_github,
        "junit": reporting.render_junit,
    }
    stdout = renderers[output_format](report)
    if output_format == "github":
        return stdout, reporting.render_text(report)
    return stdout, ""
