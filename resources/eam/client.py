"""`EAMClient`: Maximo's REST/JSON API over the shared transport.

Reads page through `responseInfo.nextPage`; delta reads (`fetchmodedelta=1&lastfetchts=N`) return the
`maxrowstamp` header as the next cursor. Every write carries a `transactionid` (the caller's idempotency
key, or one derived from the request), so a write retried after a lost answer is refused by Maximo with
409 instead of applied twice; the client reports that as `WriteResult(duplicate=True)`, not as an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from resources.eam import records
from resources.eam.maximo_errors import error_text
from resources.transport import ApiClient, ApiError, ConflictError, SystemClient
from resources.transport.errors import error_class_for
from sync.records import Asset, InventoryBalance, MaterialTransaction, WorkOrder, WorkOrderMaterial

log = logging.getLogger("resources.eam")

WORK_ORDER, BALANCE, ASSET, ITEM, TRANSACTIONS = (
    "mxapiwodetail",
    "mxapiinvbal",
    "mxapiasset",
    "mxapiitem",
    "mxapimatusetrans",
)
WORK_ORDER_SELECT = (
    "workorderid,wonum,siteid,status,description,assetnum,location,wopriority,worktype,glaccount,"
    "costcenter,reportdate,statusdate,changedate,wpmaterial{*},invreserve{*},matusetrans{*}"
)


def derived_transaction_id(method: str, path: str, body: Any) -> str:
    """The same request gives the same id, so its retry after a crash is recognised as a repeat.

    Two identical writes meant as two (e.g. issuing 1 EA twice) need their own keys: pass `transaction_id`.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return "mfgsync-" + hashlib.sha256(f"{method} {path} {canonical}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Page:
    members: list[dict[str, Any]]
    next_href: str | None
    total_count: int | None
    max_rowstamp: int | None


@dataclass(frozen=True)
class Delta:
    """Records changed after a rowstamp, and the cursor for the next delta read."""

    members: list[dict[str, Any]]
    cursor: int


@dataclass(frozen=True)
class WriteResult:
    status: int
    location: str | None = None
    duplicate: bool = False  # Maximo had already committed this transactionid: nothing was written now
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class BulkItemResult:
    position: int
    status: int
    location: str | None = None
    error: ApiError | None = None
    duplicate: bool = False  # the whole BULK's transactionid was already committed

    @property
    def ok(self) -> bool:
        return self.error is None


class EAMClient(SystemClient):
    """Maximo reads and writes: object-structure queries, delta fetches, BULK, status changes, materials."""

    def __init__(
        self, api: ApiClient, *, root: str = "api", page_size: int = 500, siteid: str | None = None, logger: Any = None
    ) -> None:
        if root not in ("api", "oslc"):
            raise ValueError(f"EAMClient root must be 'api' (apikey) or 'oslc' (maxauth), got {root!r}")
        if page_size < 1:
            raise ValueError(f"EAMClient page_size must be >= 1, got {page_size}")
        super().__init__(api)
        self.root, self.page_size, self.siteid = root, page_size, siteid
        self.log = logger or log

    def collection_path(self, structure: str) -> str:
        return f"/maximo/{self.root}/os/{structure.lower()}"

    def href(self, structure: str, *key_values: str) -> str:
        """A resource path from its key values in Maximo's href order (work order: site, number)."""
        raw = base64.b64encode("/".join(key_values).encode()).decode().replace("=", "-")
        return f"{self.collection_path(structure)}/_{raw}"

    # --- reads --------------------------------------------------------------------------------------------
    def page(
        self,
        structure: str,
        *,
        select: str = "*",
        where: str | None = None,
        order_by: str | None = None,
        page_size: int | None = None,
        since_rowstamp: int | None = None,
        count: bool = False,
        next_href: str | None = None,
    ) -> Page:
        """One page: the first from the query options, or the page `next_href` names."""
        route = f"/maximo/{self.root}/os/{structure.lower()}"
        if next_href:
            response = self.api.get(next_href, route=route)
        else:
            params: dict[str, Any] = {"lean": 1, "oslc.select": select, "oslc.pageSize": page_size or self.page_size}
            if where:
                params["oslc.where"] = where
            if order_by:
                params["oslc.orderBy"] = order_by
            if count:
                params["collectioncount"] = 1
            if since_rowstamp is not None:
                params.update(fetchmodedelta=1, lastfetchts=since_rowstamp)
            response = self.api.get(self.collection_path(structure), params=params, route=route)
        body = response.json()
        info = body.get("responseInfo") or {}
        max_rowstamp = response.headers.get("maxrowstamp")
        return Page(
            members=list(body.get("member") or []),
            next_href=(info.get("nextPage") or {}).get("href"),
            total_count=info.get("totalCount"),
            max_rowstamp=int(max_rowstamp) if max_rowstamp else None,
        )

    def query(self, structure: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every matching record, following `responseInfo.nextPage`."""
        page = self.page(structure, **options)
        while True:
            yield from page.members
            if not page.next_href:
                return
            page = self.page(structure, next_href=page.next_href)

    def delta(self, structure: str, since: int, *, select: str = "*", where: str | None = None) -> Delta:
        """Records whose own rowstamp is above `since` (a child's change does not count for its parent)."""
        first = self.page(structure, select=select, where=where, since_rowstamp=since)
        members, page = list(first.members), first
        while page.next_href:
            page = self.page(structure, next_href=page.next_href)
            members.extend(page.members)
        return Delta(members, first.max_rowstamp if first.max_rowstamp is not None else since)

    def get(self, href: str, select: str | None = None) -> dict[str, Any]:
        params = {"lean": 1, **({"oslc.select": select} if select else {})}
        return self.api.get(href, params=params, route=href.rsplit("/", 1)[0] + "/{id}").json()

    def work_orders(self, where: str | None = None) -> list[WorkOrder]:
        return [records.work_order(m) for m in self.query(WORK_ORDER, select=WORK_ORDER_SELECT, where=where)]

    def work_order_materials(self, where: str | None = None) -> list[WorkOrderMaterial]:
        return [
            line
            for m in self.query(WORK_ORDER, select=WORK_ORDER_SELECT, where=where)
            for line in records.work_order_materials(m)
        ]

    def material_transactions(self, since: int = 0) -> tuple[list[MaterialTransaction], int]:
        """Material issues and returns after a rowstamp cursor, and the next cursor."""
        delta = self.delta(TRANSACTIONS, since)
        return [records.material_transaction(m) for m in delta.members], delta.cursor

    def inventory_balances(self, where: str | None = None) -> list[InventoryBalance]:
        return [records.inventory_balance(m) for m in self.query(BALANCE, where=where)]

    def assets(self, where: str | None = None) -> list[Asset]:
        return [records.asset(m) for m in self.query(ASSET, where=where)]

    # --- writes -------------------------------------------------------------------------------------------
    def _write(
        self,
        path: str,
        body: Any,
        *,
        route: str,
        transaction_id: str | None,
        headers: Mapping[str, str] | None = None,
        properties: str | None = None,
    ) -> WriteResult:
        txn = transaction_id or derived_transaction_id("POST", path, {"headers": dict(headers or {}), "body": body})
        sent = {"transactionid": txn, **(headers or {})}
        if properties:
            sent["properties"] = properties
        try:
            # safe to resend: a repeat of a committed transactionid is refused, never applied twice
            response = self.api.post(path, json=body, headers=sent, route=route, idempotent=True)
        except ConflictError as err:
            self.log.info("eam: transactionid %s was already committed (%s); nothing written again", txn, err.code)
            return WriteResult(status=409, duplicate=True)
        record = response.json() if response.content and properties else None
        return WriteResult(response.status_code, response.headers.get("Location"), record=record)

    def create(
        self, structure: str, data: dict[str, Any], *, transaction_id: str | None = None, properties: str | None = None
    ) -> WriteResult:
        path = self.collection_path(structure)
        return self._write(path + "?lean=1", data, route=path, transaction_id=transaction_id, properties=properties)

    def update(
        self,
        href: str,
        data: dict[str, Any],
        *,
        merge: bool = True,
        transaction_id: str | None = None,
        properties: str | None = None,
    ) -> WriteResult:
        """PATCH (child arrays sent replace the stored ones) or, by default, MERGE (they are added to)."""
        headers = {"x-method-override": "PATCH", **({"patchtype": "MERGE"} if merge else {})}
        return self._write(
            _with_lean(href),
            data,
            route=_route(href),
            transaction_id=transaction_id,
            headers=headers,
            properties=properties,
        )

    def change_status(
        self, href: str, status: str, *, memo: str | None = None, transaction_id: str | None = None
    ) -> WriteResult:
        body = {"status": status, **({"memo": memo} if memo else {})}
        return self._write(
            _with_lean(href) + "&action=wsmethod:changeStatus",
            body,
            route=_route(href),
            transaction_id=transaction_id,
            headers={"x-method-override": "PATCH"},
        )

    def issue_material(
        self, work_order_href: str, item: str, storeroom: str, quantity: Any, *, transaction_id: str | None = None
    ) -> WriteResult:
        return self._material(work_order_href, "ISSUE", item, storeroom, quantity, transaction_id)

    def return_material(
        self, work_order_href: str, item: str, storeroom: str, quantity: Any, *, transaction_id: str | None = None
    ) -> WriteResult:
        return self._material(work_order_href, "RETURN", item, storeroom, quantity, transaction_id)

    def _material(
        self, href: str, issue_type: str, item: str, storeroom: str, quantity: Any, transaction_id: str | None
    ) -> WriteResult:
        entry = {"itemnum": item, "storeloc": storeroom, "positivequantity": float(quantity), "issuetype": issue_type}
        return self.update(href, {"matusetrans": [entry]}, merge=True, transaction_id=transaction_id)

    def adjust_balance(self, balance_href: str, new_balance: Any, *, transaction_id: str | None = None) -> WriteResult:
        return self._write(
            _with_lean(balance_href) + "&action=wsmethod:adjustCurrentBalance",
            {"newcurbal": float(new_balance)},
            route=_route(balance_href),
            transaction_id=transaction_id,
            headers={"x-method-override": "PATCH"},
        )

    def bulk(
        self, structure: str, items: Sequence[dict[str, Any]], *, transaction_id: str | None = None
    ) -> list[BulkItemResult]:
        """One BULK request (HTTP 200); each item's `_responsemeta.status` becomes a result or a typed error."""
        path = self.collection_path(structure)
        txn = transaction_id or derived_transaction_id("BULK", path, list(items))
        try:
            response = self.api.post(
                path + "?lean=1",
                json=list(items),
                route=path,
                idempotent=True,
                headers={"x-method-override": "BULK", "transactionid": txn},
            )
        except ConflictError:
            self.log.info("eam: BULK transactionid %s was already committed; nothing written again", txn)
            return [BulkItemResult(position, 409, duplicate=True) for position in range(len(items))]
        results = []
        for position, answer in enumerate(response.json()):
            meta = answer.get("_responsemeta") or {}
            status = int(meta.get("status", 0))
            error = None
            if status >= 400:
                err = (answer.get("_responsedata") or answer).get("Error") or {}
                error = error_class_for(status)(
                    "eam",
                    str(err.get("message") or f"HTTP {status}"),
                    status=status,
                    code=error_text(err.get("reasonCode")),
                    method="BULK",
                    route=path,
                )
            results.append(BulkItemResult(position, status, meta.get("Location"), error))
        return results

    # --- publish channel (sandbox route) ------------------------------------------------------------------
    def subscribe(
        self, url: str, events: Sequence[str] = ("workorder.status", "matusetrans"), secret: str | None = None
    ) -> dict[str, Any]:
        """Ask the publish channel to POST events to `url`, signed with `secret` (default: the system's)."""
        body: dict[str, Any] = {"url": url, "events": list(events)}
        if secret:
            body["secret"] = secret
        return self.api.post(
            "/_sandbox/publish/subscriptions", json=body, route="/_sandbox/publish/subscriptions", idempotent=False
        ).json()

    def test_connection(self) -> dict[str, Any]:
        page = self.page(ASSET, select="assetnum", page_size=1, count=True)
        return {"ok": True, "assets": page.total_count}


def _with_lean(href: str) -> str:
    return href + ("&" if "?" in href else "?") + "lean=1"


def _route(href: str) -> str:
    """`/maximo/api/os/mxapiwodetail/_UDEw...` -> `/maximo/api/os/mxapiwodetail/{id}` for metrics."""
    path = httpx.URL(href).path
    return path.rsplit("/", 1)[0] + "/{id}"
