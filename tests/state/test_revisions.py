from __future__ import annotations

from pathlib import Path

import pytest
from state_testing import ManualClock, record_revision

from actionplane.errors import StateError
from actionplane.state.errors import StaleRevisionError
from actionplane.state.sqlite import SQLiteStateStore


def test_empty_store_has_no_active_revision(store: SQLiteStateStore) -> None:
    assert store.active_revision() is None
    assert store.list_revisions() == []


def test_revision_fields_round_trip(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    recorded = record_revision(store, None, "aaa1111")

    assert recorded.serial == 1
    assert recorded.git_commit == "aaa1111"
    assert recorded.config_digest == "sha256:config-aaa1111"
    assert recorded.metadata_digests == {"zoho-sandbox": "sha256:meta-aaa1111"}
    assert recorded.config_snapshot == {"version": 1, "workspace": "acme-revops"}
    assert recorded.plan_id == "plan-aaa1111"
    assert recorded.plan_digest == "sha256:plan-aaa1111"
    assert recorded.applied_by == "alice"
    assert recorded.applied_at == clock.now
    assert recorded.reason == "quarterly limits"
    assert store.revision(1) == recorded
    assert store.active_revision() == recorded


def test_serials_increase_by_one(store: SQLiteStateStore) -> None:
    for expected, commit in enumerate(["a1", "b2", "c3", "d4"]):
        previous = expected or None
        assert record_revision(store, previous, commit).serial == expected + 1

    assert [revision.serial for revision in store.list_revisions()] == [4, 3, 2, 1]
    assert [revision.serial for revision in store.list_revisions(limit=2)] == [4, 3]


def test_stale_expected_serial_names_active(store: SQLiteStateStore) -> None:
    record_revision(store, None, "aaa1111")
    record_revision(store, 1, "bbb2222")

    with pytest.raises(StaleRevisionError) as raised:
        record_revision(store, 1, "ccc3333")

    error = raised.value
    assert error.active.serial == 2
    assert "revision 2 (bbb2222" in error.message
    assert "planned against revision 1" in error.message
    assert "actionplane plan" in error.message
    assert len(store.list_revisions()) == 2


def test_first_apply_loses_race(store: SQLiteStateStore) -> None:
    record_revision(store, None, "aaa1111")
    with pytest.raises(StaleRevisionError, match="against no active revision"):
        record_revision(store, None, "bbb2222")


def test_expected_serial_without_revisions(store: SQLiteStateStore) -> None:
    with pytest.raises(StateError, match=r"planned against revision 3.*no applied"):
        record_revision(store, 3, "aaa1111")


def test_two_connections_race_on_same_base(
    store: SQLiteStateStore, state_path: Path
) -> None:
    record_revision(store, None, "aaa1111")
    with SQLiteStateStore(state_path) as other:
        base = other.active_revision()
        assert base is not None
        record_revision(store, base.serial, "bbb2222")

        with pytest.raises(StaleRevisionError, match=r"revision 2 \(bbb2222"):
            record_revision(other, base.serial, "ccc3333")


def test_unknown_serial_names_valid_range(store: SQLiteStateStore) -> None:
    with pytest.raises(StateError, match="no revision has been applied"):
        store.revision(1)
    record_revision(store, None, "aaa1111")
    with pytest.raises(StateError, match=r"revision 7 not found.*from 1 to 1"):
        store.revision(7)


def test_snapshot_keeps_env_references(store: SQLiteStateStore) -> None:
    snapshot = {"connectors": [{"clientSecret": "${ZOHO_CLIENT_SECRET}"}]}
    revision = store.record_revision(
        expected_serial=None,
        git_commit=None,
        config_digest="sha256:c",
        metadata_digests={},
        config_snapshot=snapshot,
        plan_id=None,
        plan_digest=None,
        applied_by="alice",
    )
    assert revision.config_snapshot == snapshot
    assert revision.git_commit is None
