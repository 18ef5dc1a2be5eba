"""The ID map holds the ERP's own keys of what a sync wrote: BOM numbers and item node numbers."""

from decimal import Decimal

from sync.keys import bom_header_key, bom_item_key, split_key
from tests.sync_harness import SyncHarness, sync_harness

ASSEMBLY = "ASM-10004"


def erp_keys(h: SyncHarness, header_keys) -> tuple[dict[str, str], dict[str, str]]:
    """What the ERP itself says: header key -> BOM number, item key -> "<BOM>/<version>/<node>"."""
    headers, items = {}, {}
    with h.erp().client() as erp:
        for header_key in header_keys:
            bom = erp.read_bom(*split_key(header_key))
            headers[header_key] = bom.bom_id
            for item in bom.items:
                key = bom_item_key(*split_key(header_key), str(item["BillOfMaterialItemNumber"]).zfill(4))
                items[key] = f"{bom.bom_id}/{bom.version}/{item['_node']}"
    return headers, items


def stored_header_keys(h: SyncHarness) -> list[str]:
    return sorted(h.state().store().stored_records("bom_header"))


def test_after_a_sync_the_id_map_holds_the_erps_bom_number_and_item_nodes(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync(ASSEMBLY).success
        store = h.state().store()
        header_keys = stored_header_keys(h)
        headers, items = erp_keys(h, header_keys)

        assert header_keys and store.target_keys("bom_header", header_keys) == headers
        assert len(items) > 20 and store.target_keys("bom_item", items) == items
        materials = list(store.stored_records("material"))
        assert store.target_keys("material", materials) == {m: m for m in materials}


def test_a_line_changed_under_a_change_number_keeps_its_node_in_the_id_map(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync(ASSEMBLY).success
        h.release_bom_change(ASSEMBLY, {10: Decimal("7")})

        assert h.sync(ASSEMBLY).success

        header = bom_header_key(ASSEMBLY, "1000", "1")
        _, items = erp_keys(h, [header])
        assert h.state().store().target_keys("bom_item", items) == items
