"""The end-to-end demo, run in process against its own embedded sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from actionplane.cli import cli
from actionplane.demo.runner import run_demo
from actionplane.demo.steps import STEPS
from actionplane.zoho.sandbox import seed

REPO = Path(__file__).resolve().parents[2]


def test_demo_verifies_every_step() -> None:
    lines: list[str] = []
    results = run_demo(REPO, keep=False, echo=lines.append)
    output = "\n".join(lines)
    failed = [r for r in results if not r.ok]
    assert not failed, output
    assert [r.title for r in results] == [title for title, _ in STEPS]
    for secret in (seed.CLIENT_SECRET, seed.REFRESH_TOKEN):
        assert secret not in output
    assert "Approval required" in output
    assert "cannot approve it" in output
    assert "Onboarding complete." in output
    workspace = next(line for line in lines if "demo workspace" in line)
    assert not Path(workspace.rsplit(" ", 1)[1]).exists()


def test_demo_fails_without_approval_rule(
    tmp_path: Path,
) -> None:
    shutil.copy(REPO / "connectors.yaml", tmp_path / "connectors.yaml")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "open.yaml").write_text(
        "version: 1\ndefaultRoute: allow\nrules: []\n"
    )
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "FAILED: `actionplane run submit" in result.output
    assert "exited 0, expected 10" in result.output
    assert "Demo stopped at step 7 (Dry run the sample deal change)" in result.output


def test_demo_requires_policies_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(tmp_path)])
    assert result.exit_code == 1
    assert "has no policies/ folder" in result.output


def test_demo_help_names_sandbox() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "embedded Zoho sandbox" in result.output
