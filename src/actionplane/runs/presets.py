"""Presets: ready-made requests, such as the onboarding sample change."""

from __future__ import annotations

from typing import Any

from actionplane.config.model import ActorKind, Connector
from actionplane.errors import RunError
from actionplane.runs.applied import AppliedConfig
from actionplane.runs.request import RunInput
from actionplane.zoho.sandbox import seed

PRESET_ZOHO_DEAL = "zoho-deal"
PRESETS = (PRESET_ZOHO_DEAL,)

# The onboarding sample: one change to the seeded sample deal that the repo's
# policies send to approval, because the amount is above 100,000.
SAMPLE_CHANGES: dict[str, Any] = {
    "Amount": 150000.0,
    "Next_Step": "Send the renewal quote for approval",
}
SAMPLE_REASON = "Onboarding sample: raise the renewal amount and set the next step"


def apply_preset(into: RunInput, applied: AppliedConfig, default_actor: str) -> None:
    """Fill what the user left open from the preset; explicit values win."""
    if into.preset is None:
        return
    if into.preset != PRESET_ZOHO_DEAL:
        raise RunError(
            f"unknown preset {into.preset!r}. Use one of: {', '.join(PRESETS)}."
        )
    into.connector = into.connector or _sample_connector(applied).name
    into.object = into.object or "Deals"
    into.record_id = into.record_id or seed.SAMPLE_DEAL_ID
    for name, value in SAMPLE_CHANGES.items():
        if name not in into.set_values:
            into.values.setdefault(name, value)
    into.actor_id = into.actor_id or default_actor
    into.actor_kind = into.actor_kind or ActorKind.HUMAN.value
    into.reason = into.reason or SAMPLE_REASON


def _sample_connector(applied: AppliedConfig) -> Connector:
    sandboxes = [c for c in applied.workspace.connectors if c.is_sandbox]
    if not sandboxes:
        raise RunError(
            f"applied revision {applied.serial} has no sandbox connector"
            " (isSandbox: true), and the onboarding sample only exists in a sandbox."
            " Connect one with `actionplane connectors connect`, or pass --connector."
        )
    return sandboxes[0]
