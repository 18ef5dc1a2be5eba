"""ERP stock vs EAM balances as pure functions: the differences reconciliation reports, and the counted
adjustments the stock flow plans (in-flight EAM transactions counted in, never overwritten)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sync.erp_to_eam_spec import load_erp_to_eam_spec
from sync.records import MaterialTransaction
from sync.stock_balances import EamBalance, StockFigure, diff_balances, plan_balances

SPEC = load_erp_to_eam_spec(Path(__file__).resolve().parents[2] / "mappings" / "erp_to_eam.yaml")
D = Decimal


def move(transaction_id: int, quantity: str, item: str = "SP-1") -> MaterialTransaction:
    kind = "ISSUE" if D(quantity) < 0 else "RETURN"
    return MaterialTransaction(transaction_id, "WO-1", "P1000", item, "CENTRAL", D(quantity), kind)


def figure(quantity: str, unit: str = "EA", posted_at_read: frozenset[int] = frozenset()) -> StockFigure:
    return StockFigure("CENTRAL", "SP-1", "1000", "0001", unit, D(quantity), posted_at_read)


def balance(current: str, unit: str = "EA") -> dict:
    return {("CENTRAL", "SP-1"): EamBalance("CENTRAL", "SP-1", D(current), unit)}


def test_diff_balances_reports_only_balances_that_differ_from_stock_plus_pending():
    stock = {("CENTRAL", "A"): D(10), ("CENTRAL", "B"): D(5), ("MAINT", "C"): D(1)}
    balances = {("CENTRAL", "A"): D(7), ("CENTRAL", "B"): D(5)}
    found = diff_balances(stock, balances, {("CENTRAL", "A"): D(-3)})
    assert [(d.storeroom, d.item, d.eam_balance, d.target) for d in found] == [("MAINT", "C", None, D(1))]


def test_a_differing_balance_is_adjusted_to_the_erp_figure():
    [change] = plan_balances(SPEC, [figure("40")], balance("25"), [], set())
    assert (change.op, change.target) == ("adjust", D(40))


def test_a_balance_already_right_plans_nothing():
    assert plan_balances(SPEC, [figure("40")], balance("40"), [], set()) == []


def test_an_unposted_issue_is_counted_in_not_overwritten():
    # the EAM issued 3 (balance 37); the ERP does not know yet (stock 40): the EAM is right as it is
    assert plan_balances(SPEC, [figure("40")], balance("37"), [move(7, "-3")], set()) == []
    [change] = plan_balances(SPEC, [figure("40")], balance("30"), [move(7, "-3")], set())
    assert (change.op, change.pending, change.target) == ("adjust", D(-3), D(37))


def test_a_posting_made_while_the_stock_was_read_skips_the_balance_until_the_next_run():
    [change] = plan_balances(SPEC, [figure("40")], balance("30"), [move(7, "-3")], {7})
    assert change.op == "skip" and "7" in change.message
    [change] = plan_balances(SPEC, [figure("40", posted_at_read=frozenset({7}))], balance("30"), [move(7, "-3")], {7})
    assert (change.op, change.target) == ("adjust", D(40))


def test_the_erp_base_unit_is_converted_to_the_eam_issue_unit():
    [change] = plan_balances(SPEC, [figure("2.5", unit="M")], balance("100", unit="CM"), [], set())
    assert change.target == D(250)


def test_a_unit_pair_without_conversion_is_an_error_naming_the_item():
    [change] = plan_balances(SPEC, [figure("2", unit="KG")], balance("1"), [], set())
    assert change.op == "error" and "item SP-1" in change.message and "'KG'" in change.message
