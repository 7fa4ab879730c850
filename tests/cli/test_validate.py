from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from actionplane.cli import cli

SENTINEL = "sentinel-literal-secret-0b7d41"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def break_workspace(root: Path) -> None:
    connectors = root / "connectors.yaml"
    edit(
        connectors, "workspace: acme-revops", "workspace: acme-revops\nworkspace: again"
    )
    edit(connectors, "isSandbox: true", "isSandbox: yes")
    edit(connectors, "clientSecret: ${ZOHO_CLIENT_SECRET}", f"clientSecret: {SENTINEL}")
    deals = root / "policies/deals.yaml"
    edit(
        deals,
        "route: deny\n    message: Agents may not mark",
        "route: approve\n    message: Agents may not mark",
    )
    # The third line of the first rule's `when:` block.
    edit(
        deals,
        "&& request.changes.Amount.after > 100000.0",
        "&& request.changes.Amount.after > > 100000.0",
    )


def test_repo_workspace_validates(workspace):
    result = run("validate", "-w", str(workspace))
    assert result.exit_code == 0, result.output
    assert "The workspace is valid" in result.output


def test_broken_workspace_reports_each_problem_once(workspace):
    break_workspace(workspace)
    result = run("validate", "-w", str(workspace))
    assert result.exit_code == 1
    headers = re.findall(r"^error\[([a-z.-]+)\]", result.output, re.MULTILINE)
    assert sorted(headers) == sorted(
        [
            "yaml.duplicate-key",
            "schema.type",
            "connector.literal-secret",
            "schema.enum",
            "rule.compile-error",
        ]
    )
    assert "--> connectors.yaml:6:1" in result.output
    assert "--> connectors.yaml:24:16" in result.output
    assert "--> policies/deals.yaml:12:43" in result.output
    assert "--> policies/deals.yaml:46:12" in result.output
    assert re.search(r"--> connectors\.yaml:27:19", result.output)
    assert SENTINEL not in result.output
    assert "5 errors." in result.output


def test_broken_workspace_json_keeps_secret_out(workspace):
    break_workspace(workspace)
    result = run("validate", "-w", str(workspace), "--format", "json")
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["format_version"] == "1"
    assert payload["valid"] is False
    assert payload["counts"]["error"] == 5
    assert SENTINEL not in result.output


def test_github_annotations(workspace):
    break_workspace(workspace)
    result = run("validate", "-w", str(workspace), "--format", "github")
    assert (
        "::error file=policies/deals.yaml,line=46,col=12,title=schema.enum::"
        in result.output
    )
    assert SENTINEL not in result.output


def test_schema_command_prints_json_schema():
    result = run("schema", "policy")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "require_approval" in json.dumps(schema)
