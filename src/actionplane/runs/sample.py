"""The onboarding sample deal: compare it with its seed and reset it through Zoho.

Reset covers the fields the connector may change on Deals and every field a run
changed on the sample deal, limited to fields the seed defines. It writes only
the fields that differ, through the Zoho API with ``If-Unmodified-Since``, reads
the record back to verify, and records an audit entry and onboarding progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actionplane.config.load import load_workspace
from actionplane.config.model import Connector, Workspace
from actionplane.diagnostics import has_errors
from actionplane.errors import ConfigError, RunError
from actionplane.runs.context import RunContext
from actionplane.runs.preview import same_value
from actionplane.runs.progress import STEP_SAMPLE_RESET
from actionplane.runs.specs import write_value
from actionplane.zoho.errors import ZohoNotFoundError
from actionplane.zoho.sandbox import seed

SAMPLE_OBJECT = "Deals"
SAMPLE_SUBJECT = f"record/{SAMPLE_OBJECT}/{seed.SAMPLE_DEAL_ID}"


@dataclass
class SampleField:
    field: str
    seeded: Any
    current: Any

    @property
    def matches(self) -> bool:
        return same_value(self.seeded, self.current)


@dataclass
class SampleState:
    """The sample deal's tracked fields, as read, next to their seeded values."""

    connector: str
    record_id: str
    modified_time: str | None
    fields: list[SampleField]
    written: dict[str, Any] = field(default_factory=dict)
    verified: bool | None = None

    @property
    def differing(self) -> list[SampleField]:
        return [item for item in self.fields if not item.matches]

    @property
    def matches(self) -> bool:
        return not self.differing


def sample_connector(ctx: RunContext, name: str | None) -> Connector:
    """Return the named connector, or the first sandbox connector, of the workspace.

    The applied revision is used when there is one, else the working tree, so the
    sample can be checked before the first apply.
    """
    workspace = _workspace(ctx)
    if name is not None:
        connector = workspace.connector(name)
        if connector is None:
            raise RunError(
                f"connector {name!r} is not in the workspace. Pass one of:"
                f" {', '.join(c.name for c in workspace.connectors) or 'none'}."
            )
    else:
        sandboxes = [c for c in workspace.connectors if c.is_sandbox]
        if not sandboxes:
            raise RunError(
                "the workspace has no sandbox connector (isSandbox: true), and the"
                " onboarding sample only exists in a sandbox. Pass --connector."
            )
        connector = sandboxes[0]
    if not connector.is_sandbox:
        raise RunError(
            f"connector {connector.name!r} is not a sandbox (isSandbox: false). The"
            " sample reset writes seeded values and runs only against sandboxes."
        )
    return connector


def read_sample(ctx: RunContext, connector: Connector) -> SampleState:
    names = _tracked_fields(ctx, connector)
    try:
        record = ctx.client(connector).get_record(SAMPLE_OBJECT, seed.SAMPLE_DEAL_ID)
    except ZohoNotFoundError:
        raise RunError(
            f"the onboarding sample deal {seed.SAMPLE_DEAL_ID} is not in the org of"
            f" connector {connector.name!r}. It exists in the embedded sandbox; start"
            " it with `actionplane sandbox serve` and point the connector at it."
        ) from None
    fields = [SampleField(n, seed.SAMPLE_DEAL[n], record.get(n)) for n in names]
    return SampleState(
        connector.name, seed.SAMPLE_DEAL_ID, record.get("Modified_Time"), fields
    )


def reset_sample(ctx: RunContext, connector: Connector) -> SampleState:
    """Write the seeded values of the differing fields back and verify them."""
    ctx.exchanges.drain()
    before = read_sample(ctx, connector)
    values = {item.field: item.seeded for item in before.differing}
    after = before
    if values:
        client = ctx.client(connector)
        client.update_record(
            SAMPLE_OBJECT,
            seed.SAMPLE_DEAL_ID,
            {name: write_value(value) for name, value in values.items()},
            if_unmodified_since=before.modified_time,
        )
        after = read_sample(ctx, connector)
    after.written = values
    after.verified = after.matches
    _record(ctx, connector, before, after)
    return after


def _record(
    ctx: RunContext, connector: Connector, before: SampleState, after: SampleState
) -> None:
    exchanges = ctx.exchanges.drain()
    payload = {
        "connector": connector.name,
        "fields": {
            item.field: {"from": item.current, "to": item.seeded}
            for item in before.differing
        },
        "verified": after.verified,
        "mismatches": [item.field for item in after.differing],
        "modified_time": after.modified_time,
        "zoho_calls": [f"{e.method} {e.path} -> {e.status}" for e in exchanges],
    }
    with ctx.state.transaction():
        ctx.state.append_audit("sample.reset", ctx.actor, SAMPLE_SUBJECT, payload)
        if after.verified:
            ctx.state.record_onboarding_step(
                connector.name,
                STEP_SAMPLE_RESET,
                {"record": seed.SAMPLE_DEAL_ID, "fields": sorted(after.written)},
            )


def _tracked_fields(ctx: RunContext, connector: Connector) -> list[str]:
    managed = connector.managed_object(SAMPLE_OBJECT)
    names: dict[str, None] = dict.fromkeys(managed.allowed_fields if managed else ())
    for run in ctx.state.list_runs(connector=connector.name, object=SAMPLE_OBJECT):
        # Only runs that sent a write may have changed the deal.
        wrote = "execution" in (run.result or {})
        if run.record_id == seed.SAMPLE_DEAL_ID and wrote:
            names.update(dict.fromkeys((run.request or {}).get("changes") or {}))
    return [name for name in names if name in seed.SAMPLE_DEAL]


def _workspace(ctx: RunContext) -> Workspace:
    if ctx.state.active_revision() is not None:
        return ctx.applied().workspace
    workspace, diagnostics = load_workspace(ctx.root)
    if has_errors(diagnostics):
        raise ConfigError(
            f"the workspace at {ctx.root} has errors and no revision is applied."
            " Run `actionplane validate` and fix them.",
            diagnostics=[d for d in diagnostics if d.is_error],
        )
    return workspace
