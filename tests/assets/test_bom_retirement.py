"""A BOM the PLM no longer has is retired in the ERP (flagged for deletion under the change number), and
reconciliation reports an ERP BOM of a managed part without a PLM counterpart until the sync runs."""

import pytest

from sandbox.plm.change_order import BomEdits, release_change
from tests.sync_harness import SyncHarness, sync_harness
from tests.validation.support import reconcile

ASSEMBLY = "ASM-10004"
SUBASSEMBLY = "ASM-10223"  # a subassembly of ASM-10004 with a BOM of its own
HEADER = f"{SUBASSEMBLY}|1000|1"


def change(h: SyncHarness, number: str, edits: BomEdits) -> str:
    facts = h.sandbox.facts["plm"]
    return release_change(
        h.url("plm"),
        number,
        edits,
        email=facts["email"],
        password=facts["password"],
        workspace_id=facts["workspace_id"],
    )


def subassembly_lines(h: SyncHarness) -> list[int]:
    with h.plm().client() as plm:
        return [line.find_number for line in plm.released_bom(ASSEMBLY).lines if line.parent_number == SUBASSEMBLY]


def extra_headers(result) -> list[tuple[str, str]]:
    frame = result.output_for_node("reconciliation__bom")
    rows = frame[(frame["entity"] == "bom_header") & (frame["kind"] == "extra_in_erp")]
    return list(zip(rows["key"], rows["assembly"], strict=True))


@pytest.fixture
def synced(tmp_path, monkeypatch):
    monkeypatch.setenv("MFG_SYNC_DATA_DIR", str(tmp_path / "data"))
    with sync_harness(tmp_path) as h:
        assert h.sync(ASSEMBLY).success
        yield h


def test_an_emptied_subassembly_bom_is_retired_in_the_erp(synced):
    h = synced
    number = change(h, SUBASSEMBLY, BomEdits(remove=subassembly_lines(h)))
    h.reset_stats()

    result = h.sync(ASSEMBLY)

    assert result.success
    plan = result.asset_materializations_for_node("erp__bom_plan")[0].metadata
    assert plan["to_delete"].value == 8  # the header and its 7 items
    assert h.stats("erp")["writes"] == 1, "one PATCH: the deletion flag under the change number"
    with h.erp().client() as erp:
        assert erp.read_bom(SUBASSEMBLY, "1000") is None, "no active BOM left"
        newest = erp.bom_versions(SUBASSEMBLY, "1000")[-1]
    assert newest.is_released and newest.is_retired
    assert plan["change_orders"].value.splitlines()[-1] == f"{SUBASSEMBLY}: {number}"


def test_a_part_that_is_no_longer_an_assembly_has_its_bom_retired(synced):
    h = synced
    change(h, SUBASSEMBLY, BomEdits(category="Machined Part"))

    result = h.sync(ASSEMBLY)

    assert result.success
    with h.erp().client() as erp:
        assert erp.read_bom(SUBASSEMBLY, "1000") is None
        assert erp.bom_versions(SUBASSEMBLY, "1000")[-1].is_retired
        assert erp.read_bom(ASSEMBLY, "1000") is not None, "the assembly using it keeps its BOM"


def test_reconciliation_flags_an_erp_bom_without_a_plm_one_until_the_sync_retires_it(synced):
    h = synced
    change(h, SUBASSEMBLY, BomEdits(remove=subassembly_lines(h)))

    before = reconcile(h, ASSEMBLY)
    assert h.sync(ASSEMBLY).success
    after = reconcile(h, ASSEMBLY)

    assert extra_headers(before) == [(HEADER, ASSEMBLY)]
    assert not [e for e in before.get_asset_check_evaluations() if e.passed]
    assert extra_headers(after) == []
    assert all(e.passed for e in after.get_asset_check_evaluations())


def test_a_retired_bom_is_retired_once(synced):
    h = synced
    change(h, SUBASSEMBLY, BomEdits(remove=subassembly_lines(h)))
    assert h.sync(ASSEMBLY).success
    h.reset_stats()

    assert h.sync(ASSEMBLY).success

    assert h.stats("erp")["writes"] == 0
