"""The StateStore API, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from resources.state import FieldConflict, StateStore, StateStoreError
from resources.state.schema import AuditRow, DeadLetterRow, IdMapRow, RecordStateRow
from sync.records import AppliedChange, FailedChange

FLOW = "plm_to_erp"


def created(key: str, after: dict, checksum: str = "c1", target_key: str | None = None, **extra) -> AppliedChange:
    return AppliedChange("material", key, "create", None, after, checksum, target_key=target_key, **extra)


def failure(key: str, code: str = "ERP_LOCKED", retryable: bool = True) -> FailedChange:
    return FailedChange("material", key, "create", {"number": key}, code, f"material {key} locked", retryable)


def row_counts(store: StateStore) -> dict[str, int]:
    tables = {
        "record_state": RecordStateRow,
        "id_map": IdMapRow,
        "audit_log": AuditRow,
        "dead_letters": DeadLetterRow,
    }
    with store.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(t)).scalar_one() for name, t in tables.items()}


# --- record state, ID map, audit ---------------------------------------------------------------------


def test_stored_records_return_what_record_batch_wrote(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1", "dagster-1")
    payload = {"Product": "PRT-1", "BaseUnit": "PC", "weight": "1.50", "tags": ["a", "b"]}
    store.record_batch(
        run,
        FLOW,
        [
            created(
                "PRT-1",
                payload,
                "sum-1",
                "MAT-9",
                source_version="B",
                target_version="etag-1",
                spec_version="v7",
            )
        ],
        [],
    )

    record = store.stored_records("material")["PRT-1"]

    assert (record.checksum, record.payload, record.target_key) == ("sum-1", payload, "MAT-9")
    assert (record.source_version, record.target_version, record.spec_version) == ("B", "etag-1", "v7")
    assert store.target_keys("material", ["PRT-1", "PRT-404"]) == {"PRT-1": "MAT-9"}
    assert store.source_key_for("material", "MAT-9") == "PRT-1"


def test_stored_records_filter_by_keys_and_by_literal_prefix(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    keys = ["ASM_1/10", "ASM_1/20", "ASMX1/10", "OTHER/10"]
    store.record_batch(run, FLOW, [created(k, {"k": k}) for k in keys], [])

    assert sorted(store.stored_records("material", keys=["ASM_1/20", "OTHER/10", "NOPE"])) == [
        "ASM_1/20",
        "OTHER/10",
    ]
    # "_" in a prefix is a character, not a LIKE wildcard
    assert sorted(store.stored_records("material", key_prefix="ASM_1/")) == ["ASM_1/10", "ASM_1/20"]
    assert store.stored_records("bom_item") == {}


def test_an_update_replaces_the_stored_state(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [created("PRT-1", {"name": "old"}, "c1", "MAT-1")], [])
    update = AppliedChange("material", "PRT-1", "update", {"name": "old"}, {"name": "new"}, "c2", target_key="MAT-1")
    store.record_batch(run, FLOW, [update], [])

    record = store.stored_records("material")["PRT-1"]
    assert (record.checksum, record.payload) == ("c2", {"name": "new"})


def test_a_delete_removes_record_state_and_id_map_row(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(
        run, FLOW, [created("PRT-1", {"n": 1}, "c1", "MAT-1"), created("PRT-2", {"n": 2}, "c2", "MAT-2")], []
    )
    gone = AppliedChange("material", "PRT-1", "delete", {"n": 1}, None, None)
    store.record_batch(run, FLOW, [gone], [])

    assert list(store.stored_records("material")) == ["PRT-2"]
    assert store.target_keys("material", ["PRT-1", "PRT-2"]) == {"PRT-2": "MAT-2"}


def test_record_history_lists_every_change_in_order(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [created("PRT-1", {"v": 1}, "c1")], [])
    store.record_batch(run, FLOW, [AppliedChange("material", "PRT-1", "update", {"v": 1}, {"v": 2}, "c2")], [])
    store.record_batch(run, FLOW, [AppliedChange("material", "PRT-1", "delete", {"v": 2}, None, None)], [])

    history = store.record_history("material", "PRT-1")

    assert [(h.operation, h.before, h.after) for h in history] == [
        ("create", None, {"v": 1}),
        ("update", {"v": 1}, {"v": 2}),
        ("delete", {"v": 2}, None),
    ]
    assert all(h.run_id == run and h.at.tzinfo is not None for h in history)


def test_a_batch_of_100_takes_a_handful_of_statements_not_hundreds(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    applied = [created(f"PRT-{i}", {"i": i}, f"c{i}", f"MAT-{i}") for i in range(100)]
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    store.record_batch(run, FLOW, applied, [failure("PRT-X")])

    assert len(store.stored_records("material")) == 100
    assert len(statements) <= 10, statements


# --- all or nothing ----------------------------------------------------------------------------------


def test_a_constraint_violation_midway_leaves_no_partial_rows(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [created("PRT-1", {"n": 1}, "c1", "MAT-1")], [failure("PRT-0")])
    before = row_counts(store)
    # PRT-3 claims MAT-1, which the ID map already gives to PRT-1: unique per entity both ways
    bad_batch = [created("PRT-2", {"n": 2}, "c2", "MAT-2"), created("PRT-3", {"n": 3}, "c3", "MAT-1")]

    with pytest.raises(IntegrityError):
        store.record_batch(run, FLOW, bad_batch, [failure("PRT-4")])

    assert row_counts(store) == before
    assert list(store.stored_records("material")) == ["PRT-1"]


def test_a_failure_between_statements_leaves_no_partial_rows(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    before = row_counts(store)

    def fail_at_dead_letters(conn, cursor, statement, *args) -> None:
        if "dead_letters" in statement and statement.lstrip().upper().startswith("INSERT"):
            raise RuntimeError("connection lost")

    event.listen(store.engine, "before_cursor_execute", fail_at_dead_letters)
    with pytest.raises(RuntimeError, match="connection lost"):
        store.record_batch(run, FLOW, [created("PRT-1", {"n": 1}, "c1", "MAT-1")], [failure("PRT-2")])
    event.remove(store.engine, "before_cursor_execute", fail_at_dead_letters)

    assert row_counts(store) == before


def test_a_batch_for_an_unknown_run_writes_nothing(store: StateStore) -> None:
    store.upgrade()
    with pytest.raises(IntegrityError):
        store.record_batch(999, FLOW, [created("PRT-1", {"n": 1})], [])
    assert row_counts(store) == {"record_state": 0, "id_map": 0, "audit_log": 0, "dead_letters": 0}


def test_a_bad_change_is_refused_naming_the_record_and_field(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    no_checksum = AppliedChange("material", "PRT-7", "update", None, {"n": 1}, None)

    with pytest.raises(StateStoreError, match=r"material/PRT-7.*'checksum'"):
        store.record_batch(run, FLOW, [created("PRT-1", {"n": 1}), no_checksum], [])
    with pytest.raises(StateStoreError, match=r"material/PRT-8.*'upsert'"):
        store.record_batch(run, FLOW, [AppliedChange("material", "PRT-8", "upsert", None, {}, "c")], [])
    assert store.stored_records("material") == {}


# --- dead letters ----------------------------------------------------------------------------------------


def test_a_repeat_failure_increments_attempts_instead_of_adding_a_row(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [], [failure("PRT-1", "ERP_LOCKED")])
    store.record_batch(run, FLOW, [], [failure("PRT-1", "ERP_TIMEOUT"), failure("PRT-2")])
    store.record_batch(run, FLOW, [], [failure("PRT-1", "ERP_TIMEOUT")])

    letters = {d.key: d for d in store.open_dead_letters(flow=FLOW)}

    assert sorted(letters) == ["PRT-1", "PRT-2"]
    assert (letters["PRT-1"].attempts, letters["PRT-1"].error_code) == (3, "ERP_TIMEOUT")
    assert letters["PRT-1"].last_seen >= letters["PRT-1"].first_seen
    assert letters["PRT-2"].attempts == 1


def test_the_same_record_failing_in_another_flow_is_its_own_dead_letter(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [], [failure("PRT-1")])
    store.record_batch(run, "erp_to_eam", [], [failure("PRT-1")])

    assert len(store.open_dead_letters()) == 2
    assert len(store.open_dead_letters(flow="erp_to_eam")) == 1


def test_a_later_success_resolves_the_dead_letter(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [], [failure("PRT-1"), failure("PRT-2")])

    store.record_batch(run, FLOW, [created("PRT-1", {"n": 1})], [])
    assert [d.key for d in store.open_dead_letters(flow=FLOW)] == ["PRT-2"]

    assert store.resolve_dead_letters_for(FLOW, "material", ["PRT-2"]) == 1
    assert store.open_dead_letters(flow=FLOW) == []


def test_a_failed_retry_reopens_the_dead_letter_and_counts_the_attempt(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [], [failure("PRT-1")])
    letter = store.open_dead_letters()[0]
    store.mark_dead_letter(letter.id, "retrying")

    store.record_batch(run, FLOW, [], [failure("PRT-1")])

    [again] = store.open_dead_letters()
    assert (again.id, again.status, again.attempts) == (letter.id, "open", 2)


def test_a_failure_after_resolution_opens_a_new_dead_letter(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [], [failure("PRT-1")])
    first = store.open_dead_letters()[0]
    store.mark_dead_letter(first.id, "discarded")

    store.record_batch(run, FLOW, [], [failure("PRT-1")])

    [second] = store.open_dead_letters()
    assert second.id != first.id and second.attempts == 1


def test_mark_dead_letter_refuses_unknown_status_and_id(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.record_batch(run, FLOW, [], [failure("PRT-1")])
    letter = store.open_dead_letters()[0]

    with pytest.raises(StateStoreError, match="'lost'"):
        store.mark_dead_letter(letter.id, "lost")
    with pytest.raises(StateStoreError, match="dead letter 4242 does not exist"):
        store.mark_dead_letter(4242, "resolved")


# --- webhook drops ---------------------------------------------------------------------------------------


def test_a_webhook_drop_is_stored_once_per_source_and_event_id(store: StateStore) -> None:
    assert store.add_webhook_drop("plm", "evt-1", "change_order.released", {"co": "ECO-1"}) is True
    assert store.add_webhook_drop("plm", "evt-1", "change_order.released", {"co": "ECO-1"}) is False
    assert store.add_webhook_drop("eam", "evt-1", "work_order.completed", {"wo": "WO-1"}) is True

    drops = store.webhook_drops_after(0)
    assert [(d.source, d.event_id, d.payload) for d in drops] == [
        ("plm", "evt-1", {"co": "ECO-1"}),
        ("eam", "evt-1", {"wo": "WO-1"}),
    ]


def test_webhook_drops_after_a_cursor_and_marked_processed(store: StateStore) -> None:
    for n in range(5):
        store.add_webhook_drop("plm", f"evt-{n}", "item.released", {"n": n})
    first_two = store.webhook_drops_after(0, source="plm", limit=2)

    assert store.mark_drops_processed([d.id for d in first_two]) == 2
    assert store.mark_drops_processed([d.id for d in first_two]) == 0
    rest = store.webhook_drops_after(first_two[-1].id)
    assert [d.event_id for d in rest] == ["evt-2", "evt-3", "evt-4"]
    assert [d.event_id for d in store.webhook_drops_after(0, unprocessed_only=True)] == [
        "evt-2",
        "evt-3",
        "evt-4",
    ]
    assert store.webhook_drops_after(0, source="eam") == []
    assert first_two[0].received_at.tzinfo is not None


# --- runs ------------------------------------------------------------------------------------------------


def test_finish_run_stores_status_and_counts(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1", "dagster-1")
    store.finish_run(run, "partial", {"created": 3, "updated": 2, "failed": 1})

    done = store.get_run(run)
    assert (done.status, done.counts) == (
        "partial",
        {"created": 3, "updated": 2, "deleted": 0, "unchanged": 0, "failed": 1},
    )
    assert done.finished_at >= done.started_at and done.started_at.tzinfo == UTC


def test_finish_run_refuses_unknown_run_status_and_count(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    with pytest.raises(StateStoreError, match="run 999 does not exist"):
        store.finish_run(999, "succeeded")
    with pytest.raises(StateStoreError, match="'done'"):
        store.finish_run(run, "done")
    with pytest.raises(StateStoreError, match="'skipped'"):
        store.finish_run(run, "succeeded", {"skipped": 1})


def test_last_successful_run_per_flow_and_partition(store: StateStore) -> None:
    a1 = store.start_run(FLOW, "ASM-1", "c1")
    store.finish_run(a1, "succeeded")
    b1 = store.start_run(FLOW, "ASM-2", "c2")
    store.finish_run(b1, "succeeded")
    a2 = store.start_run(FLOW, "ASM-1", "c3")
    store.finish_run(a2, "failed")

    assert store.last_successful_run(FLOW, "ASM-1").id == a1
    assert store.last_successful_run(FLOW).id == b1
    assert store.last_successful_run("erp_to_eam") is None


def test_consecutive_failures_count_failed_and_partial_runs_since_the_last_success(store: StateStore) -> None:
    def run_with(status: str, flow: str = FLOW) -> None:
        store.finish_run(store.start_run(flow, "", "corr"), status)

    assert store.consecutive_failures(FLOW) == 0
    run_with("failed")
    run_with("succeeded")
    run_with("failed")
    run_with("canceled")
    run_with("failed")
    run_with("failed", flow="erp_to_eam")
    store.start_run(FLOW, "", "still-running")
    assert store.consecutive_failures(FLOW) == 2

    run_with("partial")
    assert store.consecutive_failures(FLOW) == 3

    run_with("succeeded")
    assert store.consecutive_failures(FLOW) == 0


def test_recent_runs_newest_first(store: StateStore) -> None:
    ids = [store.start_run(FLOW, f"ASM-{n % 2}", f"c{n}") for n in range(4)]

    assert [r.id for r in store.recent_runs(limit=3)] == ids[::-1][:3]
    assert [r.id for r in store.recent_runs(flow=FLOW, partition="ASM-1")] == [ids[3], ids[1]]


# --- conflicts -------------------------------------------------------------------------------------------


def test_conflicts_are_recorded_refreshed_and_resolved(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    store.add_conflicts(run, [FieldConflict("material", "PRT-1", "description", "Bracket", "Bracket, steel")])
    store.add_conflicts(run, [FieldConflict("material", "PRT-1", "description", "Bracket", "Bracket (ERP)")])

    [open_one] = store.open_conflicts()
    assert (open_one.field, open_one.source_value, open_one.target_value) == (
        "description",
        "Bracket",
        "Bracket (ERP)",
    )

    store.resolve_conflict(open_one.id, "keep_source", "j.doe")
    assert store.open_conflicts() == []
    with pytest.raises(StateStoreError, match=f"conflict {open_one.id} does not exist or is not open"):
        store.resolve_conflict(open_one.id, "keep_target", "j.doe")

    store.add_conflicts(run, [FieldConflict("material", "PRT-1", "description", "Bracket", "Other")])
    assert len(store.open_conflicts(entity="material")) == 1


def test_two_changes_of_one_record_in_a_batch_keep_the_last_state_and_both_audits(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    update = AppliedChange("material", "PRT-1", "update", {"v": 1}, {"v": 2}, "c2", target_key="MAT-1")

    store.record_batch(run, FLOW, [created("PRT-1", {"v": 1}, "c1", "MAT-1"), update], [])

    assert store.stored_records("material")["PRT-1"].payload == {"v": 2}
    assert [h.operation for h in store.record_history("material", "PRT-1")] == ["create", "update"]


def test_decimal_and_datetime_payload_values_are_stored_as_strings(store: StateStore) -> None:
    run = store.start_run(FLOW, "ASM-100", "corr-1")
    when = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    store.record_batch(run, FLOW, [created("PRT-1", {"qty": Decimal("2.500"), "at": when})], [])

    assert store.stored_records("material")["PRT-1"].payload == {
        "qty": "2.500",
        "at": "2026-03-01T08:30:00+00:00",
    }


def test_a_dead_dagster_runs_started_sync_runs_are_failed_with_the_reason(store: StateStore) -> None:
    killed = store.start_run(FLOW, "ASM-1", "corr", dagster_run_id="dagster-killed")
    done = store.start_run(FLOW, "ASM-1", "corr", dagster_run_id="dagster-killed")
    store.finish_run(done, "succeeded")

    assert store.fail_started_runs("dagster-killed", "process 4242 is gone") == [killed]

    run = store.get_run(killed)
    assert (run.status, run.reason) == ("failed", "process 4242 is gone") and run.finished_at is not None
    assert store.get_run(done).status == "succeeded"
    assert store.fail_started_runs("dagster-killed", "again") == []
