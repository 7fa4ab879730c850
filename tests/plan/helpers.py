"""Helpers shared by the plan and apply tests."""

from __future__ import annotations

from pathlib import Path

import git
from click.testing import CliRunner, Result

from actionplane.cli import cli


def run(*args: str, input: str | None = None) -> Result:
    """Run the CLI in process and return its result; exceptions propagate."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def commit_change(root: Path, file: str, old: str, new: str, message: str) -> None:
    """Replace `old` with `new` in `file` once and commit every change."""
    path = root / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))
    repo = git.Repo(root)
    repo.git.add(A=True)
    repo.index.commit(message)
