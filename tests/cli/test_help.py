"""Every command explains itself and is listed in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from actionplane.cli import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _command_paths(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, path))
    return paths


COMMAND_PATHS = _command_paths(cli)


def test_command_tree_complete() -> None:
    names = {" ".join(path) for path in COMMAND_PATHS}
    for expected in ("demo", "run submit", "run resume", "audit verify", "lock list"):
        assert expected in names


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_command_help_and_readme_entry(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 20, f"`{' '.join(path)}` has no real help text"
    spelled = re.escape("actionplane " + " ".join(path))
    assert re.search(rf"`{spelled}\b", README), (
        f"README.md has no entry for `actionplane {' '.join(path)}`"
    )


def test_exit_codes_help_and_readme() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    for code in ("0", "1", "2", "3", "10", "11", "12", "130"):
        assert re.search(rf"^    {code}\s", result.output, re.M), code
        assert f"| {code} |" in README, code
