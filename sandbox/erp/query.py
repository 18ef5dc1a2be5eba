"""Collection reads: $filter, $orderby, $top, $skip, $inlinecount, $select, $expand and server-driven paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sandbox.erp.edm import EntityType, format_entity
from sandbox.erp.errors import bad_request
from sandbox.erp.filter import Node, compile_filter, equality_candidates, parse_filter

KNOWN_OPTIONS = {
    "$filter",
    "$orderby",
    "$top",
    "$skip",
    "$inlinecount",
    "$select",
    "$expand",
    "$skiptoken",
    "$format",
    "sap-client",
    "sap-language",
}


@dataclass
class QueryOptions:
    filter: Node | None
    orderby: list[tuple[str, bool]]  # (property, descending)
    select: set[str] | None
    expand: list[str]
    top: int | None
    skip: int
    inlinecount: bool
    skiptoken: int


def _non_negative(query: dict[str, str], name: str) -> int | None:
    if name not in query:
        return None
    text = query[name]
    if not text.isdigit():
        raise bad_request(f"Invalid value '{text}' for system query option {name}")
    return int(text)


def parse_options(query: dict[str, str], etype: EntityType) -> QueryOptions:
    """Read the system query options of a collection request; unknown `$` options are a 400 as in SAP."""
    for name in query:
        if name.startswith("$") and name not in KNOWN_OPTIONS:
            raise bad_request(f"System query option '{name}' is not supported")
    if query.get("$format", "json") != "json":
        raise bad_request("Only $format=json is supported by the sandbox")
    orderby = []
    for part in filter(None, (p.strip() for p in query.get("$orderby", "").split(","))):
        name, _, direction = part.partition(" ")
        direction = direction.strip() or "asc"
        if etype.prop(name) is None or direction not in ("asc", "desc"):
            raise bad_request(f"Invalid $orderby '{part}' for type '{etype.type_name}'")
        orderby.append((name, direction == "desc"))
    inline = query.get("$inlinecount", "none")
    if inline not in ("allpages", "none"):
        raise bad_request(f"Invalid value '{inline}' for $inlinecount")
    select = None
    if query.get("$select"):
        select = {s.strip().split("/")[0] for s in query["$select"].split(",") if s.strip()}
        for name in select - {"*"}:
            if etype.prop(name) is None and name not in etype.navs:
                raise bad_request(f"Property '{name}' not found in type '{etype.type_name}'", target=name)
        if "*" in select:
            select = None
    expand = [e.strip() for e in query.get("$expand", "").split(",") if e.strip()]
    for nav in expand:
        if nav not in etype.navs:
            raise bad_request(f"Navigation property '{nav}' not found in type '{etype.type_name}'", target=nav)
    return QueryOptions(
        filter=parse_filter(query["$filter"], etype) if query.get("$filter") else None,
        orderby=orderby,
        select=select,
        expand=expand,
        top=_non_negative(query, "$top"),
        skip=_non_negative(query, "$skip") or 0,
        inlinecount=inline == "allpages",
        skiptoken=_non_negative(query, "$skiptoken") or 0,
    )


def prefilter_values(query: dict[str, str], etype: EntityType, prop: str) -> set[str] | None:
    """The values of `prop` a collection request's $filter pins down (see equality_candidates)."""
    if not query.get("$filter"):
        return None
    return equality_candidates(parse_filter(query["$filter"], etype), prop)


def _sort(docs: list[dict[str, Any]], etype: EntityType, orderby: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    keys = orderby or [(k, False) for k in etype.keys]
    for name, desc in reversed(keys):  # stable sorts applied from the last key to the first
        docs.sort(key=lambda d, n=name: (d.get(n) is not None, _sortable(d.get(n))), reverse=desc)
    return docs


def _sortable(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value if value is not None else ""


Expander = Callable[[dict[str, Any], str], list[dict[str, Any]]]


class KeyOrderedTable:
    """A whole entity set left in the database: pages are read with LIMIT/OFFSET in key order."""

    def __init__(self, store: Any, entity_set: str) -> None:
        self.store, self.entity_set = store, entity_set

    def count(self) -> int:
        return self.store.count(self.entity_set)

    def page(self, start: int, end: int) -> list[dict[str, Any]]:
        return self.store.page(self.entity_set, start, max(0, end - start))

    def all(self) -> list[dict[str, Any]]:
        return self.store.all(self.entity_set)


def read_collection(
    docs: list[dict[str, Any]] | KeyOrderedTable,
    etype: EntityType,
    query: dict[str, str],
    *,
    page_size: int,
    service_root: str,
    request_path: str,
    expander: Expander | None = None,
) -> dict[str, Any]:
    """Apply the query options to `docs`; return the `d` object of the response (results, __count, __next)."""
    opts = parse_options(query, etype)
    key_order = not opts.orderby or opts.orderby == [(etype.keys[0], False)]
    if isinstance(docs, KeyOrderedTable) and opts.filter is None and key_order and len(etype.keys) == 1:
        total, fetch = docs.count(), docs.page  # large sets page in SQL, not in Python
    else:
        rows = docs.all() if isinstance(docs, KeyOrderedTable) else docs
        if opts.filter is not None:
            keep = compile_filter(opts.filter, etype)
            rows = [d for d in rows if keep(d)]
        rows = _sort(list(rows), etype, opts.orderby)
        total, fetch = len(rows), lambda start, end: rows[start:end]
    window_end = total if opts.top is None else min(total, opts.skip + opts.top)
    start = opts.skip + opts.skiptoken
    end = min(window_end, start + page_size)
    page = fetch(start, end) if start < end else []
    d: dict[str, Any] = {"results": [format_with_expand(doc, etype, service_root, opts, expander) for doc in page]}
    if opts.inlinecount:
        d["__count"] = str(total)
    if end < window_end:
        following = {k: v for k, v in query.items() if k != "$skiptoken"}
        following["$skiptoken"] = str(opts.skiptoken + page_size)
        d["__next"] = f"{service_root}{request_path}?{urlencode(following, safe=chr(39) + ',$()/', quote_via=quote)}"
    return d


def format_with_expand(
    doc: dict[str, Any], etype: EntityType, service_root: str, opts: QueryOptions | None, expander: Expander | None
) -> dict[str, Any]:
    select = opts.select if opts else None
    if select is not None and opts:
        select = select | set(opts.expand)
    out = format_entity(etype, doc, service_root, select)
    for nav in opts.expand if opts else []:
        if expander is not None:
            out[nav] = {"results": expander(doc, nav)}
    return out
