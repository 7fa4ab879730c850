"""The demo's steps, in order. Each runs real commands and checks their effect.

A step returns a one-line summary of what it verified, or raises
`DemoStepError`. Record values are read from the sandbox's own store, not
through ActionPlane, so a step cannot pass on ActionPlane's word alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from actionplane.demo.runner import (
    APPROVER,
    EXIT_PENDING_APPROVAL,
    REQUESTER,
    DemoContext,
    DemoStepError,
    onboarding_payload,
    parse_json,
)
from actionplane.zoho.sandbox import seed

CONNECTOR = "zoho-sandbox"
DEALS = "Deals"
PAYLOAD = ".actionplane/onboarding.json"
PLAN_FILE = ".actionplane/demo.plan.json"
EXPORT_DIR = ".actionplane/evidence"
EXIT_FAILURE = 1

# The preset's change to the sample deal (see `actionplane.runs.presets`).
SAMPLE_FIELDS = ("Amount", "Next_Step")


def connect(ctx: DemoContext) -> str:
    payload = onboarding_payload(ctx.server.url)
    path = ctx.root / PAYLOAD
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    ctx.command(["connectors", "connect", PAYLOAD])
    text = (ctx.root / "connectors.yaml").read_text(encoding="utf-8")
    for secret in (seed.CLIENT_SECRET, seed.REFRESH_TOKEN):
        if secret in text:
            raise DemoStepError("connectors.yaml contains a secret value")
    if "${ZOHO_CLIENT_SECRET}" not in text:
        raise DemoStepError("connectors.yaml has no ${ZOHO_CLIENT_SECRET} reference")
    # From here on the secrets come from the environment, as on a real machine.
    ctx.env.update(seed.ENV_VARS)
    return "connector saved with secrets as ${ENV} references"


def validate(ctx: DemoContext) -> str:
    ctx.command(["connectors", "validate", CONNECTOR])
    ctx.command(["validate"])
    return "credentials accepted by the sandbox; workspace files valid"


def sync_metadata(ctx: DemoContext) -> str:
    snapshot = ctx.root / ".actionplane" / "metadata" / f"{CONNECTOR}.json"
    if not snapshot.is_file():
        raise DemoStepError(f"{snapshot} was not written by the connect step")
    ctx.command(["connectors", "sync-metadata", CONNECTOR, "--check"])
    modules = json.loads(snapshot.read_text(encoding="utf-8")).get("modules", {})
    managed = sorted(name for name, module in modules.items() if module.get("fields"))
    return f"the snapshot's fields of {', '.join(managed)} match live metadata"


def check(ctx: DemoContext) -> str:
    ctx.git("add", "-A")
    ctx.git("commit", "-q", "-m", "Connect the Zoho sandbox")
    ctx.command(["check"])
    return "configuration committed; check passed against the metadata snapshot"


def plan(ctx: DemoContext) -> str:
    ctx.command(["plan", "--out", PLAN_FILE])
    if not (ctx.root / PLAN_FILE).is_file():
        raise DemoStepError(f"plan did not write {PLAN_FILE}")
    return f"saved plan written to {PLAN_FILE}"


def apply(ctx: DemoContext) -> str:
    ctx.command(["apply", PLAN_FILE])
    ctx.command(["plan", "--detailed-exitcode"], show=False)
    return "revision applied; a fresh plan shows no changes"


def dry_run(ctx: DemoContext) -> str:
    before = _sample_values(ctx)
    ctx.command(_submit_args("--dry-run"), expect=(EXIT_PENDING_APPROVAL,))
    listed = (
        parse_json(ctx.command(["run", "list", "--format", "json"], show=False)).get(
            "runs"
        )
        or []
    )
    runs = [run for run in listed if run.get("dry_run")]
    if len(runs) != 1:
        raise DemoStepError(f"expected one dry run in `run list`, found {len(runs)}")
    run = runs[0]
    ctx.run_ids["dry"] = run["id"]
    if run.get("route") != "require_approval":
        raise DemoStepError(
            f"expected the dry run to be routed to approval, got {run.get('route')!r}"
        )
    _expect_unchanged(ctx, before, "a dry run")
    return f"run {run['id']} would need approval; the deal is unchanged"


def show(ctx: DemoContext) -> str:
    run_id = ctx.run_ids["dry"]
    completed = ctx.command(["run", "show", run_id])
    for part in ("Amount", "require_approval"):
        if part not in completed.stdout:
            raise DemoStepError(f"`run show` does not mention {part}")
    ctx.command(["run", "export", run_id, "--out", EXPORT_DIR], show=False)
    files = sorted(p for p in (ctx.root / EXPORT_DIR).rglob("*") if p.is_file())
    if not files:
        raise DemoStepError("`run export` wrote no files")
    _expect_no_secrets(files)
    return (
        f"preview, decision trace and {len(files)} evidence files, none with a secret"
    )


def submit_live(ctx: DemoContext) -> str:
    before = _sample_values(ctx)
    completed = ctx.command(
        _submit_args("--format", "json"), expect=(EXIT_PENDING_APPROVAL,), show=False
    )
    outcome = parse_json(completed)
    run = outcome["run"]
    ctx.run_ids["live"] = run["id"]
    ctx.echo(f"    {outcome.get('message', '')}")
    for step in outcome.get("next_steps") or []:
        ctx.echo(f"    next: {step}")
    if run.get("status") != "pending_approval":
        raise DemoStepError(f"expected pending_approval, got {run.get('status')!r}")
    _expect_unchanged(ctx, before, "a run waiting for approval")
    return f"run {run['id']} waits for approval; nothing written yet"


def approve(ctx: DemoContext) -> str:
    run_id = ctx.run_ids["live"]
    approver = _approver(ctx, run_id)
    ctx.command(["run", "approve", run_id, "--as", REQUESTER], expect=(EXIT_FAILURE,))
    ctx.command(
        ["run", "approve", run_id, "--as", approver, "--reason", "Quote checked"]
    )
    return f"{REQUESTER} could not approve their own run; {approver} approved it"


def _approver(ctx: DemoContext, run_id: str) -> str:
    """Pick a member of the run's approver groups other than the requester."""
    from actionplane.config.load import load_workspace

    groups = (_run_json(ctx, run_id).get("decision") or {}).get("approvers") or []
    workspace, _ = load_workspace(ctx.root)
    members = [
        member
        for group in groups
        for member in workspace.groups.get(group, ())
        if member != REQUESTER
    ]
    if APPROVER in members:
        return APPROVER
    if not members:
        raise DemoStepError(
            f"no one but {REQUESTER} belongs to the approver groups "
            f"{', '.join(groups) or '(none)'}; add a member under `groups:`"
        )
    return members[0]


def execute(ctx: DemoContext) -> str:
    run_id = ctx.run_ids["live"]
    completed = ctx.command(["run", "execute", run_id, "--format", "json"], show=False)
    outcome = parse_json(completed)
    ctx.echo(f"    {outcome.get('message', '')}")
    after = _sample_values(ctx)
    expected = {change["field"]: change["after"] for change in _changes(outcome)}
    expected = expected or _preview_after(ctx, run_id)
    for name, value in expected.items():
        if after.get(name) != value:
            raise DemoStepError(
                f"the sandbox record has {name}={after.get(name)!r}, expected {value!r}"
            )
    return "the sandbox record has " + ", ".join(
        f"{name}={value!r}" for name, value in expected.items()
    )


def rollback(ctx: DemoContext) -> str:
    run_id = ctx.run_ids["live"]
    ctx.command(["run", "rollback", run_id])
    before = _preview_before(ctx, run_id)
    after = _sample_values(ctx)
    for name, value in before.items():
        if after.get(name) != value:
            raise DemoStepError(
                f"after rollback the sandbox record has {name}={after.get(name)!r}, expected {value!r}"
            )
    return "the sandbox record has its before values again"


def reset_sample(ctx: DemoContext) -> str:
    edited = "Edited in Zoho by a colleague"
    _edit_in_zoho(ctx, {"Next_Step": edited})
    if _sample_values(ctx).get("Next_Step") != edited:
        raise DemoStepError("the colleague's edit did not reach the sandbox")
    ctx.command(["sample", "status"], expect=(EXIT_FAILURE,))
    ctx.command(["sample", "reset"])
    ctx.command(["sample", "status"], show=False)
    seeded = {name: seed.SAMPLE_DEAL.get(name) for name in SAMPLE_FIELDS}
    if _sample_values(ctx) != seeded:
        raise DemoStepError("the sandbox's sample deal differs from its seed")
    return "a colleague's edit was found and reset; the deal matches its seed"


def audit(ctx: DemoContext) -> str:
    ctx.command(["audit", "log", "--limit", "5"])
    result = parse_json(
        ctx.command(["audit", "verify", "--format", "json"], show=False)
    )
    if not result.get("ok") or not result.get("checked"):
        raise DemoStepError(f"the audit chain did not verify: {result.get('problems')}")
    return f"hash chain of {result['checked']} audit entries intact"


def status(ctx: DemoContext) -> str:
    ctx.command(["status"])
    report = parse_json(ctx.command(["status", "--format", "json"], show=False))
    for connector in report.get("connectors", []):
        missing = [
            item["label"]
            for item in connector["items"]
            if item["applicable"] and not item["done"]
        ]
        if missing:
            raise DemoStepError(
                f"{connector['name']} checklist still open: {', '.join(missing)}"
            )
    return "every onboarding step is done"


STEPS: list[tuple[str, Callable[[DemoContext], str]]] = [
    ("Connect the sandbox with the onboarding payload", connect),
    ("Validate the connector and the workspace", validate),
    ("Confirm the metadata snapshot", sync_metadata),
    ("Commit and check the configuration", check),
    ("Plan the change", plan),
    ("Apply the saved plan", apply),
    ("Dry run the sample deal change", dry_run),
    ("Show the preview, decision and evidence", show),
    ("Submit the change for real", submit_live),
    ("Approve as a second user", approve),
    ("Execute the approved run", execute),
    ("Roll the change back", rollback),
    ("Reset the sample deal", reset_sample),
    ("Verify the audit chain", audit),
    ("Print the onboarding status", status),
]


def _submit_args(*extra: str) -> list[str]:
    return [
        "run",
        "submit",
        "--preset",
        "zoho-deal",
        "--actor",
        REQUESTER,
        "--actor-kind",
        "human",
        *extra,
    ]


def _sample_values(ctx: DemoContext) -> dict[str, Any]:
    record = ctx.record(DEALS, seed.SAMPLE_DEAL_ID)
    if not record:
        raise DemoStepError(f"the sandbox has no deal {seed.SAMPLE_DEAL_ID}")
    return {name: record.get(name) for name in SAMPLE_FIELDS}


def _expect_unchanged(ctx: DemoContext, before: dict[str, Any], what: str) -> None:
    after = _sample_values(ctx)
    if after != before:
        raise DemoStepError(f"{what} changed the deal: {before} became {after}")


def _run_json(ctx: DemoContext, run_id: str) -> dict[str, Any]:
    return parse_json(
        ctx.command(["run", "show", run_id, "--format", "json"], show=False)
    )


def _changes(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    preview = outcome.get("preview") or {}
    return [c for c in preview.get("changes") or [] if isinstance(c, dict)]


def _preview_after(ctx: DemoContext, run_id: str) -> dict[str, Any]:
    changes = _changes(_run_json(ctx, run_id))
    if not changes:
        raise DemoStepError(f"run {run_id} has no previewed changes")
    return {change["field"]: change["after"] for change in changes}


def _preview_before(ctx: DemoContext, run_id: str) -> dict[str, Any]:
    changes = _changes(_run_json(ctx, run_id))
    if not changes:
        raise DemoStepError(f"run {run_id} has no previewed changes")
    return {change["field"]: change["before"] for change in changes}


def _expect_no_secrets(files: list[Any]) -> None:
    secrets = (seed.CLIENT_SECRET, seed.REFRESH_TOKEN)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        if any(secret in text for secret in secrets):
            raise DemoStepError(f"{path.name} contains a secret value")


def _edit_in_zoho(ctx: DemoContext, values: dict[str, Any]) -> None:
    """Change the sample deal through Zoho's API directly, as a colleague would."""
    url = ctx.server.url
    listed_values = ", ".join(f"{name}={value!r}" for name, value in values.items())
    ctx.echo(
        f"  (a colleague edits deal {seed.SAMPLE_DEAL_ID} in Zoho: {listed_values})"
    )
    with httpx.Client(base_url=url, timeout=10) as client:
        token = client.post(
            "/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": seed.CLIENT_ID,
                "client_secret": seed.CLIENT_SECRET,
                "refresh_token": seed.REFRESH_TOKEN,
            },
        ).json()
        response = client.put(
            f"/crm/v8/{DEALS}/{seed.SAMPLE_DEAL_ID}",
            headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
            json={"data": [values]},
        )
    if response.status_code != 200:
        raise DemoStepError(f"the colleague's edit failed: HTTP {response.status_code}")
