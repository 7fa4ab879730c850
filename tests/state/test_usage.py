from __future__ import annotations

from datetime import UTC, datetime

import pytest
from state_testing import ManualClock, create_run

from actionplane.errors import StateError
from actionplane.state.models import MonthlyUsage
from actionplane.state.sqlite import SQLiteStateStore


def test_onboarding_step_keeps_first_time(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    first = store.record_onboarding_step("zoho-sandbox", "validate", {"ok": False})
    started = clock.now
    clock.advance(120)
    again = store.record_onboarding_step("zoho-sandbox", "validate", {"ok": True})

    assert first.first_at == started
    assert again.first_at == started
    assert again.last_at == clock.now
    assert again.details == {"ok": True}


def test_onboarding_progress_in_order(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    for step in ("connect", "validate", "sync_metadata", "dry_run"):
        store.record_onboarding_step("zoho-sandbox", step, {})
        clock.advance(1)
    store.record_onboarding_step("zoho-prod", "connect", {})
    store.record_onboarding_step("zoho-sandbox", "connect", {"retry": True})

    steps = store.onboarding_progress("zoho-sandbox")
    assert [step.step for step in steps] == [
        "connect",
        "validate",
        "sync_metadata",
        "dry_run",
    ]
    assert steps[0].details == {"retry": True}
    assert [step.step for step in store.onboarding_progress("zoho-prod")] == ["connect"]
    assert store.onboarding_progress("zoho-unknown") == []


def test_metering_counts_by_month(store: SQLiteStateStore, clock: ManualClock) -> None:
    months = [
        (datetime(2026, 1, 31, 23, 59, tzinfo=UTC), [True, False, False]),
        (datetime(2026, 2, 1, 0, 0, tzinfo=UTC), [True, True]),
        (datetime(2026, 3, 10, 9, 0, tzinfo=UTC), [False]),
    ]
    for moment, dry_flags in months:
        clock.now = moment
        for dry in dry_flags:
            run = create_run(store, dry_run=dry, decision={"route": "allow"})
            assert store.record_governed_run(run.id) is True

    assert store.governed_run_counts() == [
        MonthlyUsage("2026-01", dry_runs=1, live_runs=2),
        MonthlyUsage("2026-02", dry_runs=2, live_runs=0),
        MonthlyUsage("2026-03", dry_runs=0, live_runs=1),
    ]
    assert store.governed_run_counts()[0].total == 3


def test_run_is_counted_once(store: SQLiteStateStore) -> None:
    run = create_run(store, decision={"route": "deny"})
    assert store.record_governed_run(run.id) is True
    assert store.record_governed_run(run.id) is False
    assert store.governed_run_counts() == [MonthlyUsage("2026-01", 0, 1)]


def test_undecided_run_is_not_billable(store: SQLiteStateStore) -> None:
    run = create_run(store)
    with pytest.raises(StateError, match="has no decision yet"):
        store.record_governed_run(run.id)
    with pytest.raises(StateError, match="run_missing not found"):
        store.record_governed_run("run_missing")
    assert store.governed_run_counts() == []


def test_onboarding_steps_are_not_billed(store: SQLiteStateStore) -> None:
    for step in ("connect", "validate", "sync_metadata", "dry_run", "rollback"):
        store.record_onboarding_step("zoho-sandbox", step, {})
    assert store.governed_run_counts() == []


def test_counts_filter_by_connector(store: SQLiteStateStore) -> None:
    for connector in ("zoho-sandbox", "zoho-sandbox", "zoho-prod"):
        run = create_run(store, connector=connector, decision={"route": "allow"})
        store.record_governed_run(run.id)

    assert store.governed_run_counts(connector="zoho-prod") == [
        MonthlyUsage("2026-01", 0, 1)
    ]
    assert store.governed_run_counts(connector="zoho-sandbox") == [
        MonthlyUsage("2026-01", 0, 2)
    ]
