"""The Tryton kind behind the ERP interface: a connection, and a plan writer that records every outcome in
the state store (applied twice, the second apply writes nothing and only records)."""

import pytest

from resources.erp.interface import ERPConnection, group_by_bom
from resources.erp.tryton.flow import plan_bom_sync
from resources.state import SyncStateResource
from sync.flows import BOM_FLOW

from .support import released_bom, resource

pytestmark = pytest.mark.tryton
ASSEMBLY = "ASM-10002"


def _apply(tryton, spec, bom, store):
    _, plan = plan_bom_sync(tryton, spec, bom.parts, bom.lines, ASSEMBLY)
    run_id = store.start_run(BOM_FLOW, ASSEMBLY, "test-correlation")
    writer = tryton.plan_writer(store, run_id, BOM_FLOW, spec, {})
    writer.apply_materials([i for i in plan.items if i.entity == "material"])
    writer.apply_boms(group_by_bom(i for i in plan.items if i.entity != "material"))
    return plan, writer


def test_the_tryton_client_is_an_erp_connection(tryton_server):
    with resource(tryton_server).client() as tryton:
        assert isinstance(tryton, ERPConnection)


def test_every_plan_item_ends_as_one_row_and_in_the_state_store(tryton_server, plm_url, tryton_spec, tmp_path):
    store = SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}").store()
    bom = released_bom(plm_url, ASSEMBLY)
    with resource(tryton_server).client() as tryton:
        plan, writer = _apply(tryton, tryton_spec, bom, store)

    changes = [i for i in plan.items if i.op != "unchanged"]
    assert sorted((r.entity, r.key) for r in writer.report.rows) == sorted((i.entity, i.key) for i in changes)
    assert {r.status for r in writer.report.rows} == {"written"}
    assert writer.report.batches > 0
    assert set(store.stored_records("material")) == {i.key for i in plan.items if i.entity == "material"}


def test_a_second_apply_only_records_what_tryton_already_holds(tryton_server, plm_url, tryton_spec, tmp_path):
    store = SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}").store()
    bom = released_bom(plm_url, ASSEMBLY)
    with resource(tryton_server).client() as tryton:
        _apply(tryton, tryton_spec, bom, store)
        _, again = _apply(tryton, tryton_spec, bom, store)

    assert again.report.batches == 0
    assert {r.status for r in again.report.rows} == {"held"}  # the store already has it: nothing re-recorded
