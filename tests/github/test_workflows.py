from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
CONFIG_PATHS = ["connectors.yaml", "policies/**", ".actionplane/metadata/**"]


def check_jsonschema() -> str:
    """Return the check-jsonschema executable of the running environment."""
    beside_python = Path(sys.executable).parent / "check-jsonschema"
    found = (
        str(beside_python)
        if beside_python.exists()
        else shutil.which("check-jsonschema")
    )
    assert found, "check-jsonschema is missing; install the test extras"
    return found


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """Validate files against the GitHub workflow schema check-jsonschema ships."""
    command = [check_jsonschema(), "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run(
        [*command, *map(str, paths)], capture_output=True, text=True, timeout=120
    )


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[Any, Any]) -> Any:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    return workflow["on"] if "on" in workflow else workflow[True]


def jobs_without_work(workflow: dict[Any, Any]) -> list[str]:
    """Return the jobs that have neither `steps` nor a reusable-workflow `uses`.

    The vendored schema requires only `runs-on` of a job, but GitHub rejects
    a job that runs nothing.
    """
    return [
        name
        for name, job in workflow["jobs"].items()
        if not job.get("steps") and not job.get("uses")
    ]


def run_commands(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    return next(
        step for step in job["steps"] if step.get("uses", "").startswith(action)
    )


def test_workflows_match_schema() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    result = validate(*files)

    assert [path.name for path in files] == ["apply.yml", "plan.yml", "test.yml"]
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["apply.yml", "plan.yml", "test.yml"])
def test_every_job_runs_something(name: str) -> None:
    assert jobs_without_work(load(name)) == []


@pytest.mark.parametrize(
    "job",
    [
        {"name": "plan"},
        {"runs-on": "ubuntu-latest", "steps": []},
        {"runs-on": "ubuntu-latest", "steps": [{"name": "nothing to run"}]},
    ],
    ids=["no-steps-no-uses", "empty-steps", "step-without-run-or-uses"],
)
def test_schema_rejects_broken_job(tmp_path: Path, job: dict[str, Any]) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"on": "push", "jobs": {"plan": job}}))

    result = validate(broken)

    assert result.returncode == 1
    assert "broken.yml::$.jobs.plan" in result.stdout


def test_job_with_only_runs_on_caught(tmp_path: Path) -> None:
    workflow = {"on": "push", "jobs": {"plan": {"runs-on": "ubuntu-latest"}}}
    path = tmp_path / "no_steps.yml"
    path.write_text(yaml.safe_dump(workflow))

    # The schema lets this through, which is why jobs_without_work exists.
    assert validate(path).returncode == 0
    assert jobs_without_work(workflow) == ["plan"]


def test_plan_workflow_shape() -> None:
    workflow = load("plan.yml")
    job = workflow["jobs"]["plan"]
    commands = run_commands(job)

    assert triggers(workflow) == {"pull_request": {"paths": CONFIG_PATHS}}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert step_using(job, "actions/checkout@")["with"] == {"fetch-depth": 0}
    assert step_using(job, "actions/setup-python@")["with"] == {
        "python-version": "3.11"
    }
    assert commands[0] == "pip install ."
    assert commands[1] == "actionplane check --format github"
    assert commands[2] == "actionplane test --format github"
    assert commands[3] == 'actionplane plan --base "origin/$BASE_REF" --out plan.json'
    assert commands[4].startswith("actionplane comment --plan plan.json")


def test_plan_workflow_passes_token_and_base() -> None:
    steps = load("plan.yml")["jobs"]["plan"]["steps"]
    plan_step = next(step for step in steps if step.get("id") == "plan")
    comment_step = next(step for step in steps if "comment" in step.get("run", ""))

    assert plan_step["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert comment_step["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"


def test_apply_workflow_shape() -> None:
    workflow = load("apply.yml")
    job = workflow["jobs"]["apply"]
    commands = run_commands(job)
    apply_step = next(step for step in job["steps"] if "apply" in step.get("run", ""))

    assert triggers(workflow) == {"push": {"branches": ["main"], "paths": CONFIG_PATHS}}
    assert workflow["concurrency"] == {
        "group": "actionplane-apply",
        "cancel-in-progress": False,
    }
    assert apply_step["run"].startswith("actionplane apply --auto-approve")
    assert "actionplane test --format github" in commands
    assert commands.index("actionplane test --format github") < commands.index(
        apply_step["run"]
    )
    assert {
        name: apply_step["env"][name]
        for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN")
    } == {
        "ZOHO_CLIENT_ID": "${{ secrets.ZOHO_CLIENT_ID }}",
        "ZOHO_CLIENT_SECRET": "${{ secrets.ZOHO_CLIENT_SECRET }}",
        "ZOHO_REFRESH_TOKEN": "${{ secrets.ZOHO_REFRESH_TOKEN }}",
    }
    assert job["env"]["ACTIONPLANE_STATE"] == "${{ vars.ACTIONPLANE_STATE }}"


def test_test_workflow_runs_make_test() -> None:
    workflow = load("test.yml")
    job = workflow["jobs"]["test"]

    assert set(triggers(workflow)) == {"push", "pull_request"}
    assert run_commands(job) == ["make test"]
    assert step_using(job, "actions/setup-python@")["with"] == {
        "python-version": "3.11"
    }
