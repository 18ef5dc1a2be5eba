"""ERP stock vs EAM balances: the differences (for reconciliation) and the counted adjustments (for the sync).

Pure functions, free of Dagster and of any client. Quantities are Decimals in the EAM issue unit; a balance
is keyed by (storeroom, item). An EAM transaction not posted to the ERP yet is "pending": the EAM balance
already holds it and the ERP stock does not, so the EAM balance that agrees with the ERP is
`ERP stock + pending` (pending issues are negative, returns positive).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sync.erp_to_eam_spec import ErpToEamSpec
from sync.records import MaterialTransaction

BalanceKey = tuple[str, str]  # (storeroom, item)


@dataclass(frozen=True)
class StockFigure:
    """ERP unrestricted-use stock of one material in the storage location mapped to `storeroom`."""

    storeroom: str
    item: str
    plant: str
    storage_location: str
    erp_unit: str
    erp_quantity: Decimal
    posted_at_read: frozenset[int] = frozenset()  # EAM transactions of this balance posted when the read began


@dataclass(frozen=True)
class EamBalance:
    storeroom: str
    item: str
    current_balance: Decimal
    issue_unit: str
    bin: str = ""
    bins: int = 1  # how many bins the EAM holds the item in, in this storeroom


@dataclass(frozen=True)
class BalanceDifference:
    storeroom: str
    item: str
    eam_balance: Decimal | None  # None: the EAM has no balance of the item in the storeroom
    erp_stock: Decimal  # in the EAM issue unit
    pending: Decimal  # EAM transactions not yet posted to the ERP (issues negative)

    @property
    def target(self) -> Decimal:
        return self.erp_stock + self.pending


@dataclass(frozen=True)
class BalanceChange:
    """One planned balance: `adjust` to `target`, `skip` (with why) or `error` (with what is wrong)."""

    storeroom: str
    item: str
    op: str
    eam_balance: Decimal | None
    erp_stock: Decimal
    pending: Decimal
    target: Decimal
    bin: str = ""
    message: str = ""

    @property
    def key(self) -> str:
        return f"{self.storeroom}/{self.item}"


def diff_balances(
    stock: Mapping[BalanceKey, Decimal],
    balances: Mapping[BalanceKey, Decimal],
    pending: Mapping[BalanceKey, Decimal] | None = None,
) -> list[BalanceDifference]:
    """The balances where the EAM does not hold `ERP stock + pending`, sorted by storeroom and item.

    `stock`: ERP stock per (storeroom, item) already in EAM issue units; `balances`: EAM current balances;
    `pending`: signed quantities of EAM transactions not posted to the ERP yet. Only items in `stock` are
    compared (an EAM-only item has no ERP figure); one the EAM lacks comes back with `eam_balance=None`.
    """
    pending = pending or {}
    found = []
    for key in sorted(stock):
        difference = BalanceDifference(key[0], key[1], balances.get(key), stock[key], pending.get(key, Decimal(0)))
        if difference.eam_balance is None or difference.eam_balance != difference.target:
            found.append(difference)
    return found


def pending_quantities(
    transactions: Iterable[MaterialTransaction], posted: set[int] | frozenset[int]
) -> dict[BalanceKey, Decimal]:
    """Signed quantity per (storeroom, item) of the transactions not in `posted`."""
    found: dict[BalanceKey, Decimal] = {}
    for t in transactions:
        if t.transaction_id not in posted:
            key = (t.storeroom, t.item)
            found[key] = found.get(key, Decimal(0)) + t.quantity
    return found


def plan_balances(
    spec: ErpToEamSpec,
    stock: Iterable[StockFigure],
    balances: Mapping[BalanceKey, EamBalance],
    transactions: Iterable[MaterialTransaction],
    posted_now: set[int] | frozenset[int],
) -> list[BalanceChange]:
    """The counted adjustments that make each EAM balance the ERP figure, never losing an in-flight issue.

    A transaction posted after the stock read began may or may not be in the figure read: that balance is
    skipped until the next run. One not posted now is pending: adjusted for (spec `adjust`) or skipped
    (`skip`). Balances already right are left out, so a re-run plans nothing.
    """
    by_balance: dict[BalanceKey, list[MaterialTransaction]] = {}
    for t in transactions:
        by_balance.setdefault((t.storeroom, t.item), []).append(t)
    changes = []
    for figure in sorted(stock, key=lambda f: (f.storeroom, f.item)):
        key = (figure.storeroom, figure.item)
        change = _plan_one(spec, figure, balances.get(key), by_balance.get(key, []), posted_now)
        if change is not None:
            changes.append(change)
    return changes


def _plan_one(
    spec: ErpToEamSpec,
    figure: StockFigure,
    balance: EamBalance | None,
    moves: list[MaterialTransaction],
    posted_now: set[int] | frozenset[int],
) -> BalanceChange | None:
    pending = sum((t.quantity for t in moves if t.transaction_id not in posted_now), Decimal(0))
    raced = sorted(t.transaction_id for t in moves if t.transaction_id in posted_now - figure.posted_at_read)

    def change(op: str, erp: Decimal = Decimal(0), message: str = "") -> BalanceChange:
        current, where = (balance.current_balance, balance.bin) if balance else (None, "")
        return BalanceChange(figure.storeroom, figure.item, op, current, erp, pending, erp + pending, where, message)

    if balance is None:
        return change("error", message=f"the EAM has no balance of item {figure.item} in {figure.storeroom}")
    if balance.bins > 1:
        return change("error", message=f"item {figure.item} is in {balance.bins} bins of {figure.storeroom}")
    try:
        erp = figure.erp_quantity * spec.factor(figure.item, figure.erp_unit, balance.issue_unit)
    except ValueError as err:
        return change("error", message=str(err))
    if raced:
        why = f"transaction(s) {', '.join(map(str, raced))} posted to the ERP while its stock was read"
        return change("skip", erp, why + "; the next run counts them")
    if erp + pending == balance.current_balance:
        return None
    if pending and spec.pending_transactions == "skip":
        return change("skip", erp, f"{pending} {balance.issue_unit} in flight to the ERP")
    if erp + pending < 0:
        return change("error", erp, f"pending issues ({pending}) exceed the ERP stock ({erp})")
    return change("adjust", erp)
