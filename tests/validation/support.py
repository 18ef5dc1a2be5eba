"""Test support for the validation suites: bad data put straight into the sandbox PLM's store (as a PLM that
does not validate would hold it), drift made through the sandbox ERP's OData API, and the report assets run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import dagster as dg

from assets.keys import BOM_RECONCILIATION
from assets.reconciliation import bom_reconciliation
from assets.sync_statistics import sync_statistics
from resources.erp.sap.batch import Operation
from tests.sync_harness import SyncHarness


def plm_store(h: SyncHarness):
    return h.sandbox.systems["plm"].app.sandbox.store


def effective_lines(h: SyncHarness, assembly: str) -> list[dict[str, Any]]:
    """The lines of the assembly's effective BOM revision, with their component's id and number."""
    rows = plm_store(h).query(
        "SELECT l.guid, l.line_number, l.quantity, c.id AS component_id, c.number AS component, c.uom "
        "FROM bom_lines l JOIN revisions r ON r.guid = l.revision_guid JOIN items i ON i.id = r.item_id "
        "JOIN items c ON c.id = l.component_id WHERE i.number = ? AND r.status = 1 ORDER BY l.line_number",
        (assembly,),
    )
    return [dict(row) for row in rows]


@contextmanager
def plm_row_changed(h: SyncHarness, table: str, column: str, value: Any, where: str, key: Any) -> Iterator[None]:
    """Set one column of one PLM store row for the duration of the block, then put the old value back."""
    store = plm_store(h)
    old = store.one(f"SELECT {column} FROM {table} WHERE {where} = ?", (key,))[0]
    with store.tx() as c:
        c.execute(f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (value, key))
    try:
        yield
    finally:
        with store.tx() as c:
            c.execute(f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (old, key))


def drift_erp_bom(h: SyncHarness, material: str, quantity_item: str, new_quantity: str, deleted_item: str) -> None:
    """Edit one item's quantity and delete another in the released ERP BOM, as a planner would in SAP."""
    with h.erp().client() as erp:
        bom = erp.read_bom(material, "1000", "1")
        change = "ECN-DRIFT1"  # a released BOM takes item edits only under a change number (SAP ECM)
        results = erp.batch(
            [
                [
                    Operation.update_bom_item(
                        bom, quantity_item, {"BillOfMaterialItemQuantity": new_quantity}, change_number=change
                    )
                ],
                [Operation.delete_bom_item(bom, deleted_item, change_number=change)],
            ]
        )
        failed = [r for r in results if not r.ok]
        assert not failed, failed


def reconcile(h: SyncHarness, *assemblies: str) -> dg.ExecuteInProcessResult:
    config = {"ops": {BOM_RECONCILIATION.to_python_identifier(): {"config": {"assemblies": list(assemblies)}}}}
    return dg.materialize([bom_reconciliation], instance=h.instance, resources=h.resources(), run_config=config)


def sync_statistics_run(h: SyncHarness) -> dg.ExecuteInProcessResult:
    return dg.materialize([sync_statistics], instance=h.instance, resources=h.resources())


def check(result: Any, asset: str, name: str):
    if hasattr(result, "by_asset"):  # the suite's verdicts computed outside a run
        return result.by_asset[asset]
    found = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == name
    ]
    assert len(found) == 1, (
        f"no single evaluation of {asset}:{name} in {[e.check_name for e in result.get_asset_check_evaluations()]}"
    )
    return found[0]


def table_rows(evaluation_or_metadata: Any, name: str) -> list[dict[str, str]]:
    metadata = getattr(evaluation_or_metadata, "metadata", evaluation_or_metadata)
    return [record.data for record in metadata[name].value.records]


class TableParser(HTMLParser):
    """Tables of an HTML page by id: rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._id_stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        self._id_stack.append(ident)
        if tag == "table" and ident:
            self._table = ident
            self.tables[ident] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        self._id_stack.pop() if self._id_stack else None
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        ident = next((i for i in reversed(self._id_stack) if i), None)
        if ident:
            self.texts[ident] = self.texts.get(ident, "") + data


def parse_report(path: str) -> TableParser:
    parser = TableParser()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    return parser
