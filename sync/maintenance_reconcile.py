"""EAM vs ERP for the maintenance flows: the differences a maintenance reconciliation reports.

Pure: no HTTP, no Dagster. Four comparisons, each a function of what both systems hold now:
- goods issues: every EAM material transaction of a work order mfg-sync links to a reservation against the
  ERP posting carrying its reference (missing, cancelled directly in the ERP, other quantity or material);
- reservations: each linked work order's planned lines against its ERP reservation items (missing, quantity,
  material, deletion flag), and what the EAM says was used against the items' withdrawn quantity;
- balances: EAM current balance per storeroom and item it keeps there (bins summed) against ERP unrestricted
  stock of the plant and storage location the spec maps the storeroom to;
- asset master: `compare_asset_master`, the asset-master flow's field diff (`sync.asset_master`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from sync.asset_master import diff_asset_master
from sync.erp_to_eam_spec import ErpToEamSpec
from sync.maintenance_plan import RETURN_OF
from sync.maintenance_spec import MaintenanceSpec
from sync.reconcile import value_text
from sync.records import GoodsIssue, InventoryBalance, MaterialTransaction, Reservation, WorkOrderMaterial

KINDS = (
    "missing_in_erp",
    "cancelled_in_erp",
    "issued_quantity",
    "movement_type",
    "material",
    "reserved_quantity",
    "deletion_flag",
    "withdrawn_quantity",
    "balance",
    "asset_field",
)
AREAS = ("goods_issue", "reservation", "balance", "asset")
COLUMNS = ["kind", "area", "site", "work_order", "key", "field", "eam_value", "erp_value"]
REVERSALS = frozenset(RETURN_OF.values())


@dataclass(frozen=True)
class MaintenanceDifference:
    kind: str  # one of KINDS
    area: str  # one of AREAS
    site: str
    work_order: str  # the EAM work order number; empty for balances and assets
    key: str  # transaction id, "<wonum>/<planned line>", "<storeroom>/<item>" or the asset number
    field: str  # "*" for a whole record
    eam_value: str
    erp_value: str


def _qty(value: Decimal | None, unit: str = "") -> str:
    return f"{value_text(value if value is not None else Decimal(0))} {unit}".strip()


def compare_goods_issues(
    spec: MaintenanceSpec, transactions: Iterable[MaterialTransaction], postings: Mapping[str, GoodsIssue]
) -> list[MaintenanceDifference]:
    """Each transaction against the ERP posting under its reference (`postings`: reference -> posting)."""
    out = []
    for t in sorted(transactions, key=lambda t: t.transaction_id):
        reference = spec.posting_reference(t.transaction_id)
        used = f"{t.issue_type} {_qty(abs(t.quantity))} {t.item}"

        def diff(kind: str, field: str, eam: str, erp: str, t: MaterialTransaction = t) -> MaintenanceDifference:
            return MaintenanceDifference(
                kind, "goods_issue", t.site, t.work_order, str(t.transaction_id), field, eam, erp
            )

        posting = postings.get(reference)
        if posting is None:
            out.append(diff("missing_in_erp", "*", used, f"no posting {reference}"))
            continue
        document = f"{posting.document_year}/{posting.document}"
        if posting.cancelled:
            out.append(diff("cancelled_in_erp", "*", used, f"document {document} cancelled in the ERP"))
            continue
        if posting.quantity != abs(t.quantity):
            out.append(diff("issued_quantity", "quantity", _qty(abs(t.quantity)), _qty(posting.quantity)))
        if posting.material.upper() != t.item.upper():
            out.append(diff("material", "material", t.item, posting.material))
        if (posting.movement_type in REVERSALS) != (t.issue_type == "RETURN"):
            out.append(diff("movement_type", "movement_type", t.issue_type, f"{posting.movement_type} ({document})"))
    return out


def used_quantities(transactions: Iterable[MaterialTransaction]) -> dict[tuple[str, str], Decimal]:
    """(work order, item) -> net quantity used: issues minus returns (Maximo signs issues negative)."""
    used: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for t in transactions:
        used[(t.work_order, t.item.upper())] -= t.quantity
    return dict(used)


def compare_reservations(
    site: str,
    links: Mapping[str, Mapping[str, Any]],
    planned: Iterable[WorkOrderMaterial],
    reservations: Mapping[str, Reservation | None],
    used: Mapping[tuple[str, str], Decimal],
) -> list[MaintenanceDifference]:
    """Linked work orders ("<site>/<wonum>" -> link) against their reservations (number -> read, None when the
    ERP has none): every planned ITEM line an item of the same material and quantity, every removed line (and
    every line of a retired reservation) flagged for deletion, the used quantity withdrawn."""
    lines: dict[str, dict[int, WorkOrderMaterial]] = defaultdict(dict)
    for line in planned:
        if line.line_type == "ITEM" and line.quantity > 0:
            lines[line.work_order][line.line_id] = line
    out = []
    for key, link in sorted(links.items()):
        number = key.split("/", 1)[1]

        def diff(kind: str, line: str, field: str, eam: str, erp: str, number: str = number) -> MaintenanceDifference:
            return MaintenanceDifference(kind, "reservation", site, number, f"{number}/{line}", field, eam, erp)

        reservation = reservations.get(link["reservation"])
        if reservation is None:
            out.append(diff("missing_in_erp", "*", "*", "approved work order", f"no reservation {link['reservation']}"))
            continue
        items = {i.item.lstrip("0"): i for i in reservation.items}
        wanted = {} if link.get("retired") else lines.get(number, {})
        linked = {int(line_id): item for line_id, item in link["items"].items()}
        for line_id in sorted(set(wanted) | set(linked)):
            line, stored = wanted.get(line_id), linked.get(line_id)
            item = items.get(str(stored["item"]).lstrip("0")) if stored else None
            if line is not None and item is None:
                out.append(diff("missing_in_erp", str(line_id), "*", f"{line.item} x {_qty(line.quantity)}", ""))
            elif line is None and item is not None and not item.marked_for_deletion:
                removed = "work order cancelled" if link.get("retired") else "line removed"
                out.append(diff("deletion_flag", str(line_id), "marked_for_deletion", removed, "not flagged"))
            elif line is not None and item is not None:
                if item.marked_for_deletion:
                    out.append(diff("deletion_flag", str(line_id), "marked_for_deletion", "planned", "flagged"))
                if item.quantity != line.quantity:
                    out.append(
                        diff("reserved_quantity", str(line_id), "quantity", _qty(line.quantity), _qty(item.quantity))
                    )
                if item.material.upper() != line.item.upper():
                    out.append(diff("material", str(line_id), "material", line.item, item.material))
        withdrawn: dict[str, Decimal] = defaultdict(Decimal)
        for item in reservation.items:
            withdrawn[item.material.upper()] += item.withdrawn_quantity
        materials = set(withdrawn) | {m for (wo, m) in used if wo == number}
        for material in sorted(materials):
            eam, erp = used.get((number, material), Decimal(0)), withdrawn.get(material, Decimal(0))
            if eam != erp:
                out.append(diff("withdrawn_quantity", material, "withdrawn_quantity", _qty(eam), _qty(erp)))
    return out


def compare_balances(
    spec: MaintenanceSpec,
    site: str,
    balances: Iterable[InventoryBalance],
    stock: Iterable[Mapping[str, Any]],
    erp_materials: Iterable[str],
) -> list[MaintenanceDifference]:
    """EAM balances of the spec's storerooms vs ERP unrestricted stock (`read_stock` rows) of the mapped
    storage locations, for the items the EAM keeps in the storeroom (it has an inventory record there) that
    the ERP knows as materials; other items are one system's alone and not compared."""
    known = {m.upper() for m in erp_materials}
    where = {(s.plant, s.storage_location): room for room, s in spec.storerooms.items()}
    eam: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for balance in balances:
        if balance.site == site and balance.storeroom in spec.storerooms and balance.item.upper() in known:
            eam[(balance.storeroom, balance.item.upper())] += balance.current_balance
    erp: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in stock:
        room = where.get((str(row["Plant"]), str(row["StorageLocation"])))
        if room is not None:
            erp[(room, str(row["Material"]).upper())] += Decimal(str(row["quantity"]))
    out = []
    for room, item in sorted(eam):
        have, book = eam[(room, item)], erp.get((room, item))
        if have != (book or Decimal(0)):
            location = spec.storerooms[room]
            out.append(
                MaintenanceDifference(
                    "balance",
                    "balance",
                    site,
                    "",
                    f"{room}/{item}",
                    "current_balance",
                    _qty(have),
                    f"{_qty(book)} in {location.plant}/{location.storage_location}"
                    if book is not None
                    else "(no stock)",
                )
            )
    return out


def compare_asset_master(
    site: str, spec: ErpToEamSpec, assets: Iterable[Mapping[str, Any]], equipment: Iterable[Mapping[str, Any]]
) -> list[MaintenanceDifference]:
    """Asset master fields, EAM asset (Maximo fields) vs its ERP equipment (linked by `externalrefid`), for
    every field `mappings/erp_to_eam.yaml` maps: after the asset-master flow, any difference is drift."""
    return [
        MaintenanceDifference(
            "asset_field", "asset", site, "", d.asset, d.field, value_text(d.eam_value), value_text(d.erp_value)
        )
        for d in diff_asset_master(spec, equipment, assets)
    ]


def differences_frame(differences: Iterable[MaintenanceDifference]) -> pd.DataFrame:
    """The reconciliation table (persisted as Parquet): one row per difference, all text."""
    return pd.DataFrame([asdict(d) for d in differences], columns=COLUMNS).astype(str)


def counts_by_kind(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["kind"].value_counts().to_dict() if len(frame) else {}
    return {kind: int(counts.get(kind, 0)) for kind in KINDS}


def counts_by_area(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["area"].value_counts().to_dict() if len(frame) else {}
    return {area: int(counts.get(area, 0)) for area in AREAS}
