"""Helpers for run tests: a workspace applied against the embedded sandbox."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
from click.testing import CliRunner, Result

from actionplane.cli import cli
from actionplane.config.load import load_workspace
from actionplane.config.model import Connector
from actionplane.zoho.client import ZohoClient
from actionplane.zoho.sandbox import SandboxServer, seed
from actionplane.zoho.tokens import FileTokenCache
from actionplane.zoho.transport import RetryPolicy

REPO_ROOT = Path(__file__).resolve().parents[2]
DEAL_ID = seed.SAMPLE_DEAL_ID
DEAL_PATH = f"/crm/v8/Deals/{DEAL_ID}"
REQUESTER = "avery.quinn"
FAST_RETRY = RetryPolicy(attempts=3, sleep=lambda _: None)


@dataclass
class RunsEnv:
    """A workspace with an applied revision whose connector is the sandbox."""

    root: Path
    state: Path
    sandbox: SandboxServer
    tmp: Path

    def cli(self, *args: str) -> Result:
        """Invoke `actionplane` with this workspace and state file."""
        argv = [*args, "-w", str(self.root), "--state", str(self.state)]
        return CliRunner().invoke(cli, argv, catch_exceptions=False)

    def run_id(self, result: Result) -> str:
        """Return the run id from a `--format json` result."""
        return str(json.loads(result.stdout)["run"]["id"])

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = self.cli(*args, "--format", "json")
        return result.exit_code, json.loads(result.stdout)

    def deal(self) -> dict[str, Any]:
        record = self.sandbox.record("Deals", DEAL_ID)
        assert record is not None
        return record

    def puts(self) -> list[dict[str, Any]]:
        """Return the sandbox's logged writes to the sample deal."""
        return [
            call
            for call in self.sandbox.calls()
            if call["method"] == "PUT" and call["path"] == DEAL_PATH
        ]

    def crm_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.sandbox.calls() if c["path"].startswith("/crm/")]

    def edit_deal(self, **values: Any) -> None:
        """Change the sample deal as another Zoho user would, over the API."""
        cache = FileTokenCache(self.tmp / "other-user-cache")
        connector = _connector(self.root, self.sandbox.url)
        with ZohoClient(
            connector, env=dict(seed.ENV_VARS), token_cache=cache, retry=FAST_RETRY
        ) as client:
            write = client.update_record("Deals", DEAL_ID, values)
        assert write.landed


def approved_run(env: RunsEnv) -> str:
    """Submit the sample change, which needs approval, and approve it."""
    code, body = env.json("run", "submit", "--preset", "zoho-deal")
    assert code == 10, body["message"]
    run_id = str(body["run"]["id"])
    assert env.cli("run", "approve", run_id, "--as", "dana.lee").exit_code == 0
    return run_id


def _connector(root: Path, url: str) -> Connector:
    workspace, _ = load_workspace(root)
    connector = workspace.connector("zoho-sandbox")
    assert connector is not None and connector.instance_url == url
    return connector


def build_workspace(root: Path, state: Path, sandbox_url: str) -> None:
    """Copy the repo's workspace, point it at the sandbox, validate, sync, commit.

    The process environment must hold the sandbox credentials.
    """
    root.mkdir()
    text = (REPO_ROOT / "connectors.yaml").read_text()
    text = text.replace("https://accounts.zoho.com", sandbox_url)
    text = text.replace("https://sandbox.zohoapis.com", sandbox_url)
    (root / "connectors.yaml").write_text(text)
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    for step in ("validate", "sync-metadata"):
        argv = ["connectors", step, "zoho-sandbox", "-w", str(root)]
        done = CliRunner().invoke(cli, [*argv, "--state", str(state)])
        assert done.exit_code == 0, done.output

    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test User")
        config.set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("Add the workspace")


def apply_workspace(root: Path, state: Path, tmp: Path) -> None:
    plan_file = tmp / "plan.json"
    runner = CliRunner()
    planned = runner.invoke(
        cli, ["plan", "-w", str(root), "--state", str(state), "--out", str(plan_file)]
    )
    assert planned.exit_code == 0, planned.output
    applied = runner.invoke(
        cli, ["apply", str(plan_file), "-w", str(root), "--state", str(state)]
    )
    assert applied.exit_code == 0, applied.output
