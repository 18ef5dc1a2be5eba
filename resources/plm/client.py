"""`PLMClient`: Arena PLM REST v1 reads over the shared transport, plus the multi-level BOM walk.

Session auth is Arena's: `POST /v1/login` (email, password, workspaceId) returns `arenaSessionId`,
sent back in the `arena_session_id` header; the transport's `SessionLogin` logs in lazily, again on a
401 (expired session), and out (`PUT /v1/logout`) on close. Thread-safe: the BOM walk shares one
client across its worker threads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from resources.plm.records import PLMDataError, change_order_from_arena, format_datetime, parse_datetime
from resources.plm.walk import ReleasedBom, assemble, fetch_tree, with_change_numbers
from resources.transport import ApiClient, AuthError, NotFoundError, SystemClient, default_error_parser
from resources.transport.errors import error_class_for
from resources.transport.ratelimit import parse_retry_after
from resources.transport.redact import correlation_id_var
from sync.records import ChangeOrder

log = logging.getLogger("resources.plm.resource")

SESSION_HEADER = "arena_session_id"
EFFECTIVE = "EFFECTIVE"
EFFECTIVE_REVISION = 1  # Arena revision status codes: 0 working, 1 effective, 2 superseded
MAX_PAGE_SIZE = 400  # Arena's maximum `limit`

# Friendly filter names -> Arena query parameters (anything else passes through unchanged).
ITEM_FILTERS = {
    "category": "category.name",
    "lifecycle_phase": "lifecyclePhase.name",
    "category_guid": "category.guid",
    "lifecycle_phase_guid": "lifecyclePhase.guid",
}
CHANGE_FILTERS = {
    "status": "lifecycleStatus.type",
    "lifecycle_status": "lifecycleStatus.type",
    "effective_since": "effectiveSince",
}


def _query(filters: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = format_datetime(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[aliases.get(name, name)] = str(value)
    return out


class ArenaSession:
    """Login/logout callables for `SessionLogin`; remembers the workspace facts Arena returns."""

    def __init__(
        self, email: str, password: str, workspace_id: int | str, correlation_header: str, default_correlation_id: str
    ) -> None:
        self._email, self._password, self._workspace_id = email, password, workspace_id
        self._header, self._default_cid = correlation_header, default_correlation_id
        self.workspace: dict[str, Any] = {}

    def _cid(self) -> str:
        current = correlation_id_var.get()
        return current if current != "-" else self._default_cid

    def login(self, http: httpx.Client) -> tuple[str, str]:
        """One login exchange; 5xx/429/unreachable come back retryable, a refusal as AuthError."""
        response = http.post(
            "/v1/login",
            headers={self._header: self._cid()},
            json={"email": self._email, "password": self._password, "workspaceId": self._workspace_id},
        )
        if response.status_code >= 400:
            raise self._login_error(response)
        try:
            body = response.json()
        except ValueError:
            body = {}
        session_id = body.get("arenaSessionId") if isinstance(body, dict) else None
        if not session_id:
            raise AuthError(
                "plm",
                "login answered without an arenaSessionId",
                status=response.status_code,
                method="POST",
                route="/v1/login",
            )
        self.workspace = {k: body.get(k) for k in ("workspaceId", "workspaceName", "workspaceRequestLimit")}
        return SESSION_HEADER, str(session_id)

    @staticmethod
    def _login_error(response: httpx.Response) -> Exception:
        code, message = default_error_parser(response)
        status = response.status_code
        retryable = status == 429 or status >= 500
        cls = error_class_for(status) if retryable else AuthError
        err = cls(
            "plm",
            f"login refused: {message}",
            status=status,
            code=code,
            method="POST",
            route="/v1/login",
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
        )
        err.may_retry = retryable
        return err

    def logout(self, http: httpx.Client, headers: dict[str, str]) -> None:
        http.put("/v1/logout", headers={**headers, self._header: self._cid()})


class PLMClient(SystemClient):
    """Arena-shaped PLM reads: items, revisions, BOMs, where-used, changes; and the released BOM walk."""

    def __init__(
        self,
        api: ApiClient,
        session: ArenaSession,
        *,
        page_size: int = MAX_PAGE_SIZE,
        max_concurrency: int = 8,
        assembly_categories: Iterable[str] = ("Assembly",),
        logger: Any = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"PLMClient page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        if max_concurrency < 1:
            raise ValueError(f"PLMClient max_concurrency must be >= 1, got {max_concurrency}")
        super().__init__(api)
        self.session = session
        self.page_size, self.max_concurrency = page_size, max_concurrency
        self.assembly_categories = frozenset(c.lower() for c in assembly_categories)
        self.log = logger or log

    # --- plain reads ----------------------------------------------------------------------------------
    def _get(self, path: str, route: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.api.get(path, route=route, params=params).json()

    def _paged(self, path: str, route: str, params: Mapping[str, str]) -> Iterator[dict]:
        offset = 0
        while True:
            page = self._get(path, route, {**params, "offset": offset, "limit": self.page_size})
            results = page.get("results") or []
            yield from results
            if len(results) < self.page_size:
                return
            offset += len(results)

    def iter_items(self, **filters: Any) -> Iterator[dict]:
        """Every matching item, page by page (Arena wildcard `*` allowed in text filters).

        Filters: number, name, category (name), lifecycle_phase (name), or Arena's own query names
        (pass `**{"category.name": ...}`); `includeAdditionalAttributes=True` for attributes."""
        return self._paged("/v1/items", "/v1/items", _query(filters, ITEM_FILTERS))

    def get_item(self, guid: str) -> dict:
        """One item (at the revision the guid names) with its additional attributes."""
        return self._get(f"/v1/items/{guid}", "/v1/items/{guid}")

    def item_by_number(self, number: str) -> dict:
        """The item with exactly this number (its effective revision, else its working one)."""
        if "*" in number:
            raise ValueError(f"item_by_number wants an exact item number, got the pattern {number!r}")
        for item in self._paged("/v1/items", "/v1/items", {"number": number}):
            if item.get("number") == number:
                return self.get_item(item["guid"])
        raise NotFoundError("plm", f"no item with number {number!r}", status=404, method="GET", route="/v1/items")

    def revisions(self, guid: str) -> list[dict]:
        """Every revision of the item: working, effective and superseded (Arena status 0/1/2)."""
        return self._get(f"/v1/items/{guid}/revisions", "/v1/items/{guid}/revisions").get("results") or []

    def bom(self, guid: str) -> list[dict]:
        """The single-level BOM of the revision `guid` names (the effective one for released items)."""
        return self._get(f"/v1/items/{guid}/bom", "/v1/items/{guid}/bom").get("results") or []

    def where_used(self, guid: str) -> list[dict]:
        """BOM lines of parents using this item; each line's `item` is the parent."""
        return self._get(f"/v1/items/{guid}/whereused", "/v1/items/{guid}/whereused").get("results") or []

    def iter_changes(self, **filters: Any) -> Iterator[dict]:
        """Every matching change (ECO), page by page. Filters: status, effective_since (datetime), number,
        title, or Arena's own names (`lifecycleStatus.type`, `effectiveSince`)."""
        return self._paged("/v1/changes", "/v1/changes", _query(filters, CHANGE_FILTERS))

    def change_items(self, change_guid: str) -> list[dict]:
        """The change's affected items (old and new revision of each)."""
        return self._get(f"/v1/changes/{change_guid}/items", "/v1/changes/{guid}/items").get("results") or []

    # --- the released BOM walk ------------------------------------------------------------------------
    def _is_assembly(self, item: Mapping[str, Any]) -> bool:
        category = item.get("category")
        name = category.get("name") if isinstance(category, Mapping) else category
        return item.get("revisionStatus") == EFFECTIVE and str(name or "").lower() in self.assembly_categories

    def released_bom(self, assembly_number: str) -> ReleasedBom:
        """The whole multi-level released BOM of one top-level assembly (see `ReleasedBom`).

        Each distinct item and each assembly's BOM is read once; branches are read concurrently
        (`max_concurrency` threads, within the client's rate limit)."""
        top = self.item_by_number(assembly_number)
        if top.get("revisionStatus") != EFFECTIVE:
            raise PLMDataError(f"item {assembly_number} has no effective (released) revision", code="NOT_RELEASED")

        def has_bom(item: Mapping[str, Any]) -> bool:
            return item.get("number") == assembly_number or self._is_assembly(item)

        tree = fetch_tree(top, self.get_item, self.bom, has_bom, self.max_concurrency)
        result = with_change_numbers(assemble(tree), self._effective_change_numbers(tree.items, tree.boms))
        self.log.info(
            "PLM released BOM of %s rev %s: %d parts, %d lines, %d BOMs read",
            assembly_number,
            result.assembly.revision,
            len(result.parts),
            len(result.lines),
            len(tree.boms),
        )
        return result

    def _effective_change_numbers(
        self, items: Mapping[str, Mapping[str, Any]], assemblies: Iterable[str]
    ) -> dict[str, str]:
        """Item number -> number of the change that made its effective revision effective (Arena keeps the
        change on the revision, not on the item), for each assembly; one revisions read each."""
        numbers = sorted(assemblies)

        def change_of(number: str) -> str:
            effective = [r for r in self.revisions(str(items[number]["guid"])) if r.get("status") == EFFECTIVE_REVISION]
            change = (effective[-1].get("change") or {}) if effective else {}
            return str(change.get("number") or "")

        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="plm-revisions") as pool:
            return dict(zip(numbers, pool.map(change_of, numbers), strict=True))

    def released_top_assemblies(self) -> list[str]:
        """Numbers of released assemblies that have a BOM and are used by no other item, sorted."""
        candidates = [
            item
            for category in sorted(self.assembly_categories)
            for item in self.iter_items(category=category)
            if item.get("revisionStatus") == EFFECTIVE
        ]

        def is_top(item: dict) -> bool:
            return not self.where_used(item["guid"]) and bool(self.bom(item["guid"]))

        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="plm-tops") as pool:
            flags = list(pool.map(is_top, candidates))
        return sorted({item["number"] for item, top in zip(candidates, flags, strict=True) if top})

    # --- changes --------------------------------------------------------------------------------------
    def effective_changes_since(self, since: datetime | None) -> list[ChangeOrder]:
        """Changes that became EFFECTIVE at or after `since` (all when None), with their affected items,
        oldest first."""
        filters: dict[str, Any] = {"status": EFFECTIVE, "effective_since": since}
        changes = [c for c in self.iter_changes(**filters) if self._effective_since(c, since)]
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="plm-changes") as pool:
            items = list(pool.map(lambda c: self.change_items(c["guid"]), changes))
        orders = [change_order_from_arena(c, rows) for c, rows in zip(changes, items, strict=True)]
        return sorted(orders, key=lambda o: (o.effective_at or datetime.min.replace(tzinfo=UTC), o.number))

    @staticmethod
    def _effective_since(change: Mapping[str, Any], since: datetime | None) -> bool:
        # The server filters too; checking here keeps the contract if a server ignores the filter.
        status = change.get("lifecycleStatus")
        if (status.get("type") if isinstance(status, Mapping) else status) != EFFECTIVE:
            return False
        if since is None:
            return True
        at = parse_datetime(change.get("effectiveDateTime"), where=f"PLM change {change.get('number')}")
        return at is not None and at >= (since if since.tzinfo else since.replace(tzinfo=UTC))

    def affected_top_assemblies(self, item_numbers: Iterable[str]) -> dict[str, set[str]]:
        """Changed item number -> the released top-level assemblies above it (via where-used, each item's
        where-used read once). A top-level assembly maps to itself; an unknown number raises NotFoundError."""
        numbers = sorted(set(item_numbers))
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="plm-whereused") as pool:
            starts = dict(zip(numbers, pool.map(self.item_by_number, numbers), strict=True))
            parents = self._climb(pool, [(n, item["guid"]) for n, item in starts.items()])
            released = {n for n, item in starts.items() if item.get("revisionStatus") == EFFECTIVE}
            for refs in parents.values():
                released.update(r["number"] for r in refs if r.get("revisionStatus") == EFFECTIVE)
            lone = [n for n in numbers if not parents[n] and n in released]
            with_bom = dict(zip(lone, pool.map(lambda n: bool(self.bom(starts[n]["guid"])), lone), strict=True))
        return {n: self._roots(n, parents, released, with_bom) for n in numbers}

    def tops_by_item(self, item_numbers: Iterable[str], logger: Any = None) -> dict[str, set[str]]:
        """Like `affected_top_assemblies`, but an item the PLM no longer knows affects nothing (a warning on
        `logger`, e.g. a Dagster log manager) instead of spoiling the lookup of the others."""
        numbers = sorted(set(item_numbers))
        if not numbers:
            return {}
        try:
            return self.affected_top_assemblies(numbers)
        except NotFoundError:
            pass  # one unknown number spoils the batch: ask item by item to keep the rest
        found: dict[str, set[str]] = {}
        for number in numbers:
            try:
                found.update(self.affected_top_assemblies([number]))
            except NotFoundError:
                (logger or log).warning(f"changed item {number} is unknown to the PLM: no assembly to sync for it")
                found[number] = set()
        return found

    def _climb(self, pool: ThreadPoolExecutor, frontier: list[tuple[str, str]]) -> dict[str, list[dict]]:
        """Where-used of every item from `frontier` upwards, level by level; each item read once."""
        parents: dict[str, list[dict]] = {}
        while frontier:
            fresh = [(n, g) for n, g in dict(frontier).items() if n not in parents]
            results = list(pool.map(lambda ng: self.where_used(ng[1]), fresh))
            frontier = []
            for (number, _), lines in zip(fresh, results, strict=True):
                refs = list({line["item"]["number"]: line["item"] for line in lines}.values())
                parents[number] = refs
                frontier.extend((r["number"], r["guid"]) for r in refs if r["number"] not in parents)
        return parents

    @staticmethod
    def _roots(
        start: str, parents: Mapping[str, list[dict]], released: set[str], with_bom: Mapping[str, bool]
    ) -> set[str]:
        roots, seen, stack = set(), {start}, [start]
        while stack:
            number = stack.pop()
            above = parents.get(number, [])
            if not above and number in released and (number != start or with_bom.get(start)):
                roots.add(number)
            for ref in above:
                if ref["number"] not in seen:  # a loop in the data must not loop here
                    seen.add(ref["number"])
                    stack.append(ref["number"])
        return roots

    # --- health -----------------------------------------------------------------------------------------
    def test_connection(self) -> dict[str, Any]:
        """Log in and read one item: proves reachability, credentials and read permission."""
        page = self._get("/v1/items", "/v1/items", {"offset": 0, "limit": 1})
        return {
            "ok": True,
            "system": "plm",
            "workspace_id": self.session.workspace.get("workspaceId"),
            "workspace_name": self.session.workspace.get("workspaceName"),
            "request_limit": self.session.workspace.get("workspaceRequestLimit"),
            "items_readable": bool(page.get("results")),
        }
