"""The maintenance reconciliation's comparisons, one behaviour each (pure: records in, differences out)."""

from decimal import Decimal
from pathlib import Path

from sync.maintenance_reconcile import compare_balances, compare_goods_issues, compare_reservations, used_quantities
from sync.maintenance_spec import load_maintenance_spec
from sync.records import GoodsIssue, InventoryBalance, MaterialTransaction, Reservation, ReservationItem
from sync.records import WorkOrderMaterial as Line

SPEC = load_maintenance_spec(Path(__file__).resolve().parents[2] / "mappings" / "eam_to_erp.yaml")


def issue(tid: int, qty: str, kind: str = "ISSUE", item: str = "PRT-1") -> MaterialTransaction:
    signed = -Decimal(qty) if kind == "ISSUE" else Decimal(qty)
    return MaterialTransaction(tid, "WO1", "P1000", item, "CENTRAL", signed, kind)


def posting(tid: int, qty: str, movement: str = "201", cancelled: bool = False, item: str = "PRT-1") -> GoodsIssue:
    return GoodsIssue(
        f"EAM-MT-{tid}", item, Decimal(qty), movement, document=f"49{tid}", document_year="2026", cancelled=cancelled
    )


def link(*items: tuple[int, str], retired: bool = False) -> dict:
    return {
        "P1000/WO1": {
            "reservation": "R1",
            "retired": retired,
            "items": {str(line): {"item": erp_item} for line, erp_item in items},
        }
    }


def reservation(*items: ReservationItem) -> dict:
    return {"R1": Reservation("201", tuple(items), reservation="R1")}


def test_a_transaction_posted_as_it_was_used_gives_no_difference():
    assert compare_goods_issues(SPEC, [issue(1, "2")], {"EAM-MT-1": posting(1, "2")}) == []


def test_a_transaction_without_a_posting_is_missing_in_the_erp():
    [diff] = compare_goods_issues(SPEC, [issue(1, "2")], {})
    assert (diff.kind, diff.key, diff.erp_value) == ("missing_in_erp", "1", "no posting EAM-MT-1")


def test_a_posting_cancelled_in_the_erp_is_flagged_with_its_document():
    [diff] = compare_goods_issues(SPEC, [issue(1, "2")], {"EAM-MT-1": posting(1, "2", cancelled=True)})
    assert diff.kind == "cancelled_in_erp" and "2026/491" in diff.erp_value


def test_a_return_posted_as_an_issue_is_a_movement_type_difference():
    [diff] = compare_goods_issues(SPEC, [issue(2, "1", "RETURN")], {"EAM-MT-2": posting(2, "1", "201")})
    assert diff.kind == "movement_type"


def test_used_quantity_is_issues_minus_returns():
    assert used_quantities([issue(1, "3"), issue(2, "1", "RETURN")]) == {("WO1", "PRT-1"): Decimal(2)}


def test_a_removed_planned_line_whose_item_is_not_flagged_is_a_deletion_flag_difference():
    items = [ReservationItem("PRT-1", Decimal(2), item="0001")]
    [diff] = compare_reservations("P1000", link((7, "0001")), [], reservation(*items), {})
    assert (diff.kind, diff.key, diff.eam_value) == ("deletion_flag", "WO1/7", "line removed")


def test_a_planned_quantity_the_reservation_does_not_hold_is_a_reserved_quantity_difference():
    planned = [Line("WO1", "P1000", 7, "PRT-1", Decimal(3), "CENTRAL")]
    items = [ReservationItem("PRT-1", Decimal(2), item="0001")]
    [diff] = compare_reservations("P1000", link((7, "0001")), planned, reservation(*items), {})
    assert (diff.kind, diff.eam_value, diff.erp_value) == ("reserved_quantity", "3", "2")


def test_used_but_not_withdrawn_is_a_withdrawn_quantity_difference():
    planned = [Line("WO1", "P1000", 7, "PRT-1", Decimal(2), "CENTRAL")]
    items = [ReservationItem("PRT-1", Decimal(2), item="0001", withdrawn_quantity=Decimal(1))]
    used = {("WO1", "PRT-1"): Decimal(2)}
    [diff] = compare_reservations("P1000", link((7, "0001")), planned, reservation(*items), used)
    assert (diff.kind, diff.eam_value, diff.erp_value) == ("withdrawn_quantity", "2", "1")


def test_a_reservation_the_erp_does_not_hold_is_missing():
    [diff] = compare_reservations("P1000", link((7, "0001")), [], {"R1": None}, {})
    assert diff.kind == "missing_in_erp" and diff.area == "reservation"


def test_balances_sum_their_bins_and_compare_with_the_mapped_storage_location():
    balances = [
        InventoryBalance("PRT-1", "CENTRAL", "P1000", Decimal(3), bin="A"),
        InventoryBalance("PRT-1", "CENTRAL", "P1000", Decimal(4), bin="B"),
    ]
    stock = [{"Material": "PRT-1", "Plant": "1000", "StorageLocation": "0001", "quantity": Decimal(7)}]
    assert compare_balances(SPEC, "P1000", balances, stock, {"PRT-1"}) == []
    [diff] = compare_balances(SPEC, "P1000", balances[:1], stock, {"PRT-1"})
    assert (diff.key, diff.eam_value, diff.erp_value) == ("CENTRAL/PRT-1", "3", "7 in 1000/0001")


def test_items_the_erp_does_not_know_are_not_compared():
    balances = [InventoryBalance("MRO-0001", "CENTRAL", "P1000", Decimal(5))]
    assert compare_balances(SPEC, "P1000", balances, [], set()) == []
