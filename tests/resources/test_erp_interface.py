"""The ERP interface the assets use, as the SAP kind implements it, over real HTTP to the sandbox ERP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from resources.erp.interface import ApplyReport, ERPConnection, group_by_bom
from resources.state import StateStore
from sync.keys import bom_header_key, bom_item_key
from sync.plan import PlanItem
from sync.spec_builder import load_spec
from tests.resources import erp_fixtures

erp_sandbox = erp_fixtures.erp_sandbox  # the fixture, shared without a conftest

MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "plm_to_erp.yaml"
FLOW = "bom_sync"
ADDRESS = {"Plant": "1000", "BillOfMaterialVariantUsage": "1"}


def material(number: str) -> dict:
    return {
        "Product": number,
        "ProductDescription": f"Part {number}",
        "ProductType": "HALB",
        "BaseUnit": "EA",
        "ProductGroup": "MECH",
        "Plant": "1000",
        "ProcurementType": "E",
    }


def created(entity: str, key: str, after: dict) -> PlanItem:
    return PlanItem(entity, key, "create", None, after, checksum=f"c-{key}")


def bom_level(parent: str, components: list[str]) -> list[PlanItem]:
    """One BOM level as the planner writes it (values in the spec's canonical form: decimals as text)."""
    header = {"Material": parent, **ADDRESS, "BOMHeaderQuantityInBaseUnit": "1", "BOMHeaderBaseUnit": "EA"}
    items = [
        created(
            "bom_item",
            bom_item_key(parent, "1000", "1", f"{10 * n:04d}"),
            {
                "Material": parent,
                **ADDRESS,
                "BillOfMaterialItemNumber": f"{10 * n:04d}",
                "BillOfMaterialComponent": component,
                "BillOfMaterialItemCategory": "L",
                "BillOfMaterialItemQuantity": "2",
                "BillOfMaterialItemUnit": "EA",
                "BOMItemDescription": None,
                "BOMItemText2": None,
            },
        )
        for n, component in enumerate(components, 1)
    ]
    return [*items, created("bom_header", bom_header_key(parent, "1000", "1"), header)]


@pytest.fixture
def store(tmp_path) -> Iterator[StateStore]:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.dispose()


def apply_twice(erp_sandbox, store: StateStore, apply) -> list[ApplyReport]:
    """Two apply steps of the same plan, as a retried step would run them, each with its own writer."""
    spec = load_spec(MAPPING)
    reports = []
    with erp_sandbox.resource().client() as client:
        for attempt in (1, 2):
            run_id = store.start_run(FLOW, "ASM-100", f"corr-{attempt}")
            writer = client.plan_writer(store, run_id, FLOW, spec, {})
            apply(writer)
            reports.append(writer.report)
    return reports


def test_the_sap_client_is_an_erp_connection(erp_sandbox):
    with erp_sandbox.resource().client() as client:
        assert isinstance(client, ERPConnection)


def test_a_material_plan_applied_twice_is_written_once(erp_sandbox, store):
    plan = [created("material", "TST-1", material("TST-1")), created("material", "TST-2", material("TST-2"))]

    first, second = apply_twice(erp_sandbox, store, lambda writer: writer.apply_materials(plan))

    assert first.batches == 1 and first.counts()["created"] == 2
    assert {r.status for r in first.rows} == {"written"}
    # the store already holds both as planned: nothing written, nothing recorded (or audited) again
    assert second.batches == 0 and [r.status for r in second.rows] == ["held", "held"]


def test_a_bom_level_applied_twice_is_released_once_and_reads_back(erp_sandbox, store):
    materials = [created("material", n, material(n)) for n in ("ASM-100", "CMP-1", "CMP-2")]
    levels = group_by_bom(bom_level("ASM-100", ["CMP-1", "CMP-2"]))

    def apply(writer):
        writer.apply_materials(materials)
        writer.apply_boms(levels)

    first, second = apply_twice(erp_sandbox, store, apply)

    assert first.batches == 2 and first.counts() == {"created": 6, "updated": 0, "deleted": 0, "failed": 0}
    assert second.batches == 0 and {r.status for r in second.rows} == {"held"}
    with erp_sandbox.resource().client() as client:
        bom = client.read_boms(["ASM-100"], "1000")["ASM-100"]
    assert [i["BillOfMaterialComponent"] for i in bom.items] == ["CMP-1", "CMP-2"]


def test_a_blocked_level_is_dead_lettered_without_a_write(erp_sandbox, store):
    level = bom_level("ASM-100", ["CMP-1"])

    def apply(writer):
        writer.record_failed(level, "BLOCKED_BY_MATERIAL", "material(s) CMP-1 failed", True)

    first, _ = apply_twice(erp_sandbox, store, apply)

    assert first.batches == 0 and first.counts()["failed"] == 2
    assert len(store.open_dead_letters(FLOW)) == 2


def test_a_write_the_store_missed_is_recorded_and_audited_once_on_retry(erp_sandbox, tmp_path):
    """Committed in the ERP but not in the store (a crash between the two): the retry records it, once."""
    plan = [created("material", "TST-9", material("TST-9"))]
    spec = load_spec(MAPPING)
    lost, kept = (StateStore(f"sqlite:///{tmp_path / name}") for name in ("lost.db", "kept.db"))
    try:
        with erp_sandbox.resource().client() as client:
            client.plan_writer(lost, lost.start_run(FLOW, "ASM-100", "c1"), FLOW, spec, {}).apply_materials(plan)
            retry = client.plan_writer(kept, kept.start_run(FLOW, "ASM-100", "c2"), FLOW, spec, {})
            retry.apply_materials(plan)
        assert retry.report.batches == 0 and [r.status for r in retry.report.rows] == ["recorded"]
        assert [e.operation for e in kept.record_history("material", "TST-9")] == ["create"]
    finally:
        lost.dispose()
        kept.dispose()
