"""The end-to-end demo: the whole onboarding path on the embedded Zoho sandbox.

Every step runs the real `actionplane` command in a subprocess against a
sandbox started on a free loopback port, and prints what the command printed.
Then the step is verified independently: exit codes first, then the record's
values as stored in the sandbox. The demo succeeds only when every step was verified.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from actionplane.errors import ConfigError

REQUESTER = "avery.quinn"
APPROVER = "dana.lee"
EXIT_PENDING_APPROVAL = 10


@dataclass
class StepResult:
    title: str
    ok: bool
    detail: str = ""


@dataclass
class DemoContext:
    root: Path
    env: dict[str, str]
    server: Any
    echo: Callable[[str], None]
    verbose: bool
    results: list[StepResult] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)

    def command(
        self, args: Sequence[str], *, expect: Sequence[int] = (0,), show: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command_line = "actionplane " + " ".join(args)
        self.echo(click.style(f"  $ {command_line}", fg="cyan"))
        completed = subprocess.run(
            [sys.executable, "-m", "actionplane", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if show or completed.returncode not in expect:
            for line in (completed.stdout + completed.stderr).rstrip().splitlines():
                self.echo("    " + line)
        if completed.returncode not in expect:
            raise DemoStepError(
                f"`{command_line}` exited {completed.returncode}, expected {' or '.join(map(str, expect))}"
            )
        return completed

    def git(self, *args: str) -> None:
        self.echo(click.style(f"  $ git {' '.join(args)}", fg="cyan"))
        _git(self.root, *args)

    def record(self, module: str, record_id: str) -> dict[str, Any]:
        """Read a record straight from the sandbox's store, bypassing ActionPlane."""
        stored = self.server.record(module, record_id)
        return dict(stored) if stored else {}


class DemoStepError(Exception):
    """A demo step failed or could not be verified."""


def _source_groups(source: Path) -> str:
    from actionplane.config.load import load_workspace

    workspace, _ = load_workspace(source)
    if not workspace.groups:
        return ""
    lines = ["groups:"]
    for name, members in workspace.groups.items():
        lines.append(f"  {name}: [{', '.join(members)}]")
    return "\n".join(lines) + "\n"


def prepare_workspace(source: Path, root: Path) -> None:
    """Copy the source workspace's policies and approver groups into `root`."""
    policies = source / "policies"
    if not policies.is_dir():
        raise ConfigError(
            f"{source} has no policies/ folder. The demo copies a workspace's "
            "policies and approver groups: run it in the repository root, or pass "
            "--workspace with a folder that has connectors.yaml and policies/"
        )
    shutil.copytree(policies, root / "policies")
    header = (
        "# Demo workspace made by `actionplane demo`.\nversion: 1\nworkspace: demo\n"
    )
    (root / "connectors.yaml").write_text(
        header + _source_groups(source) + "connectors: []\n"
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Start the demo workspace")


def _git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "ActionPlane Demo",
        "GIT_AUTHOR_EMAIL": "demo@localhost",
        "GIT_COMMITTER_NAME": "ActionPlane Demo",
        "GIT_COMMITTER_EMAIL": "demo@localhost",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def onboarding_payload(url: str) -> dict[str, Any]:
    from actionplane.zoho.sandbox import seed

    return {
        "loginUrl": url,
        "instanceUrl": url,
        "clientId": seed.CLIENT_ID,
        "clientSecret": seed.CLIENT_SECRET,
        "refreshToken": seed.REFRESH_TOKEN,
        "apiVersion": "v8",
        "isSandbox": True,
        "isEnabled": True,
        "validateAfterSave": True,
        "syncMetadataAfterSave": True,
        "managedObjects": [
            {
                "objectApiName": "Deals",
                "displayName": "Deals",
                "allowedFields": ["Stage", "Amount", "Closing_Date", "Next_Step"],
            },
            {
                "objectApiName": "Accounts",
                "displayName": "Accounts",
                "allowedFields": ["Phone", "Website", "Description"],
            },
            {
                "objectApiName": "Contacts",
                "displayName": "Contacts",
                "allowedFields": ["Title", "Phone", "Description"],
            },
        ],
    }


def run_demo(
    source: Path, *, keep: bool, echo: Callable[[str], None], verbose: bool = False
) -> list[StepResult]:
    from actionplane.demo.steps import STEPS
    from actionplane.zoho.sandbox import SandboxServer

    root = Path(tempfile.mkdtemp(prefix="actionplane-demo-"))
    server = SandboxServer(port=0)
    server.start()
    env = {
        **os.environ,
        "ACTIONPLANE_STATE": str(root / ".actionplane" / "state.db"),
        "ACTIONPLANE_CACHE_DIR": str(root / ".actionplane" / "cache"),
        "ACTIONPLANE_ACTOR": "demo",
        "NO_COLOR": "1",
    }
    env.pop("ACTIONPLANE_WORKSPACE", None)
    context = DemoContext(root, env, server, echo, verbose)
    try:
        prepare_workspace(source, root)
        (root / ".actionplane").mkdir(exist_ok=True)
        echo(f"Embedded Zoho sandbox on {server.url}; demo workspace {root}\n")
        for number, (title, step) in enumerate(STEPS, start=1):
            echo(click.style(f"{number:>2}. {title}", bold=True))
            started = time.perf_counter()
            try:
                detail = step(context)
            except DemoStepError as exc:
                context.results.append(StepResult(title, False, str(exc)))
                echo(click.style(f"    FAILED: {exc}", fg="red"))
                break
            elapsed = time.perf_counter() - started
            context.results.append(StepResult(title, True, detail))
            echo(
                click.style(f"    verified: {detail} ({elapsed:.1f} s)", fg="green")
                + "\n"
            )
    finally:
        server.stop()
        if keep:
            echo(f"The demo workspace is kept at {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return context.results


def parse_json(completed: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        data = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise DemoStepError(f"the command did not print JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DemoStepError("the command printed JSON that is not an object")
    return data
