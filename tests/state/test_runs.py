from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from state_testing import ManualClock, create_run, record_revision

from actionplane.errors import StateError
from actionplane.state.errors import (
    ApprovalExistsError,
    RunNotFoundError,
    RunStatusConflictError,
)
from actionplane.state.sqlite import SQLiteStateStore


def test_created_run_round_trips(store: SQLiteStateStore, clock: ManualClock) -> None:
    record_revision(store, None, "aaa1111")
    run = create_run(
        store,
        revision_serial=1,
        dry_run=True,
        preview={"fields": [{"field": "Amount", "before": 1000, "after": 2000}]},
        decision={"route": "allow"},
    )

    assert run.id.startswith("run_")
    assert len(run.id) == len("run_") + 26
    assert run.created_at == clock.now
    assert run.updated_at == clock.now
    assert run.connector == "zoho-sandbox"
    assert run.object == "Deals"
    assert run.record_id == "5725767000000411001"
    assert run.actor_id == "alice"
    assert run.actor_kind == "human"
    assert run.status == "previewed"
    assert run.dry_run is True
    assert run.revision_serial == 1
    assert run.request == {"changes": {"Amount": {"before": 1000, "after": 2000}}}
    assert run.preview == {
        "fields": [{"field": "Amount", "before": 1000, "after": 2000}]
    }
    assert run.decision == {"route": "allow"}
    assert run.result is None
    assert store.get_run(run.id) == run


def test_run_ids_sort_by_creation(store: SQLiteStateStore, clock: ManualClock) -> None:
    ids = []
    for _ in range(5):
        ids.append(create_run(store).id)
        clock.advance(0.002)
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_unknown_run_raises(store: SQLiteStateStore) -> None:
    with pytest.raises(RunNotFoundError, match="run run_missing not found"):
        store.get_run("run_missing")


def test_duplicate_run_id_is_rejected(store: SQLiteStateStore) -> None:
    create_run(store, run_id="run_fixed")
    with pytest.raises(StateError, match="run run_fixed already exists"):
        create_run(store, run_id="run_fixed")


def test_status_update_sets_fields(store: SQLiteStateStore, clock: ManualClock) -> None:
    run = create_run(store)
    clock.advance(5)

    updated = store.update_run_status(
        run.id,
        "previewed",
        "pending_approval",
        decision={"route": "require_approval", "rules": ["large-amount"]},
        digest="sha256:new",
    )

    assert updated.status == "pending_approval"
    assert updated.decision == {"route": "require_approval", "rules": ["large-amount"]}
    assert updated.digest == "sha256:new"
    assert updated.updated_at == clock.now
    assert updated.created_at == run.created_at
    assert updated.preview is None


def test_status_conflict_changes_nothing(store: SQLiteStateStore) -> None:
    run = create_run(store)
    store.update_run_status(run.id, "previewed", "approved")

    with pytest.raises(RunStatusConflictError) as raised:
        store.update_run_status(
            run.id, "previewed", "denied", result={"error": "too late"}
        )

    assert raised.value.actual == "approved"
    assert "is approved, not previewed, so it cannot move to denied" in str(
        raised.value
    )
    assert store.get_run(run.id).status == "approved"
    assert store.get_run(run.id).result is None


def test_update_of_unknown_run_raises(store: SQLiteStateStore) -> None:
    with pytest.raises(RunNotFoundError):
        store.update_run_status("run_missing", "previewed", "approved")


def test_transitions_are_recorded(store: SQLiteStateStore, clock: ManualClock) -> None:
    run = create_run(store)
    path = ["approved", "executing", "executed", "rolled_back"]
    previous = "previewed"
    for status in path:
        clock.advance(1)
        store.update_run_status(run.id, previous, status)
        previous = status
    store.update_run_status(run.id, "rolled_back", "rolled_back", result={"ok": True})

    transitions = store.run_transitions(run.id)
    assert [(item.from_status, item.to_status) for item in transitions] == [
        (None, "previewed"),
        ("previewed", "approved"),
        ("approved", "executing"),
        ("executing", "executed"),
        ("executed", "rolled_back"),
    ]
    assert [item.seq for item in transitions] == [1, 2, 3, 4, 5]
    assert transitions[-1].at == run.created_at + timedelta(seconds=4)


@pytest.mark.parametrize(
    ("filters", "record_ids"),
    [
        ({}, ["4", "3", "2", "1"]),
        ({"status": "denied"}, ["3"]),
        ({"object": "Contacts"}, ["4"]),
        ({"actor": "agent-7"}, ["2"]),
        ({"connector": "zoho-prod"}, ["4"]),
        ({"object": "Deals", "actor": "alice"}, ["3", "1"]),
        ({"limit": 2}, ["4", "3"]),
    ],
    ids=["all", "status", "object", "actor", "connector", "combined", "limit"],
)
def test_list_runs_filters(
    store: SQLiteStateStore,
    clock: ManualClock,
    filters: dict[str, Any],
    record_ids: list[str],
) -> None:
    variants = [
        {},
        {"actor_id": "agent-7", "actor_kind": "agent"},
        {"status": "denied"},
        {"object": "Contacts", "connector": "zoho-prod"},
    ]
    for number, variant in enumerate(variants, start=1):
        create_run(store, record_id=str(number), **variant)
        clock.advance(1)

    runs = store.list_runs(**filters)
    assert [run.record_id for run in runs] == record_ids


def test_secrets_in_run_data_are_redacted(store: SQLiteStateStore) -> None:
    token = "1000." + "a" * 32 + "." + "b" * 32
    run = create_run(
        store,
        request={"headers": {"Authorization": f"Zoho-oauthtoken {token}"}},
        preview={"note": f"used {token}"},
    )
    assert run.request == {"headers": {"Authorization": "[REDACTED]"}}
    assert run.preview == {"note": "used [REDACTED]"}


def test_approvals_keep_digest_and_expiry(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    run = create_run(store)
    expiry = clock.now + timedelta(hours=24)
    first = store.add_approval(
        run.id, "bob", "reject", "wrong stage", "sha256:run", expires_at=None
    )
    clock.advance(60)
    second = store.add_approval(
        run.id, "carol", "approve", "checked", "sha256:run", expires_at=expiry
    )

    assert store.list_approvals(run.id) == [first, second]
    assert first.decision == "reject"
    assert first.expires_at is None
    assert second.approver == "carol"
    assert second.digest == "sha256:run"
    assert second.created_at == clock.now
    assert second.expires_at == expiry


def test_approval_checks_decision_and_run(store: SQLiteStateStore) -> None:
    run = create_run(store)
    with pytest.raises(ValueError, match="'approve' or 'reject', not 'maybe'"):
        store.add_approval(run.id, "bob", "maybe", "", "sha256:run")
    with pytest.raises(RunNotFoundError):
        store.add_approval("run_missing", "bob", "approve", "", "sha256:run")


def test_second_live_approval_rejected(
    store: SQLiteStateStore, state_path: Path, clock: ManualClock
) -> None:
    run = create_run(store)
    expiry = clock.now + timedelta(hours=24)
    first = store.add_approval(
        run.id, "dana", "approve", "", "sha256:run", expires_at=expiry
    )

    # Another connection, as a parallel `run approve` process has.
    with SQLiteStateStore(state_path, clock=clock) as other:
        with pytest.raises(ApprovalExistsError) as raised:
            other.add_approval(
                run.id, "dana", "approve", "", "sha256:run", expires_at=expiry
            )
        other.add_approval(run.id, "erin", "approve", "", "sha256:run")
        other.add_approval(run.id, "dana", "reject", "changed my mind", "sha256:run")

    assert f"run {run.id} is already approved by dana" in raised.value.message
    assert raised.value.existing == first
    approvers = [(a.approver, a.decision) for a in store.list_approvals(run.id)]
    assert approvers == [("dana", "approve"), ("erin", "approve"), ("dana", "reject")]


def test_expired_approval_can_be_renewed(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    run = create_run(store)
    expiry = clock.now + timedelta(hours=1)
    store.add_approval(run.id, "dana", "approve", "", "sha256:run", expires_at=expiry)
    clock.advance(3600)

    renewed = store.add_approval(run.id, "dana", "approve", "", "sha256:run")

    assert renewed.expires_at is None
    assert len(store.list_approvals(run.id)) == 2


def test_evidence_numbers_and_types(store: SQLiteStateStore) -> None:
    run = create_run(store)
    other = create_run(store)
    store.add_evidence(run.id, "request", "request.json", {"changes": {}})
    store.add_evidence(other.id, "request", "request.json", {"changes": {}})
    store.add_evidence(run.id, "zoho_response", "PUT Deals", "HTTP/1.1 200 OK")
    store.add_evidence(run.id, "read_back", "read-back.json", [{"Amount": 2000}])

    evidence = store.list_evidence(run.id)
    assert [item.seq for item in evidence] == [1, 2, 3]
    assert [item.kind for item in evidence] == ["request", "zoho_response", "read_back"]
    assert evidence[0].content == {"changes": {}}
    assert evidence[1].content == "HTTP/1.1 200 OK"
    assert evidence[2].content == [{"Amount": 2000}]
    assert [item.seq for item in store.list_evidence(other.id)] == [1]


def test_text_evidence_is_redacted(store: SQLiteStateStore) -> None:
    run = create_run(store)
    text = "POST /oauth/v2/token?refresh_token=1000.abc.def&grant_type=refresh_token"
    item = store.add_evidence(run.id, "oauth", "token request", text)
    assert item.content == (
        "POST /oauth/v2/token?refresh_token=[REDACTED]&grant_type=refresh_token"
    )


def test_evidence_for_unknown_run_raises(store: SQLiteStateStore) -> None:
    with pytest.raises(RunNotFoundError):
        store.add_evidence("run_missing", "request", "request.json", {})
