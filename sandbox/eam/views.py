"""Records as Maximo's JSON: `href`, `_rowstamp` (a string, as Maximo sends it), selected attributes and
children; lean (`lean=1`) or the namespaced OSLC form (`spi:`, `rdf:about`, `rdfs:member`)."""

from __future__ import annotations

from typing import Any

from sandbox.eam.query import Selection
from sandbox.eam.store import Row
from sandbox.eam.structures import Structure


def href(base: str, root: str, structure: Structure, data: dict[str, Any]) -> str:
    return f"{base}/maximo/{root}/os/{structure.name}/{structure.href_id(data)}"


def _pick(data: dict[str, Any], select: Selection | None) -> dict[str, Any]:
    if select is None or "*" in select:
        return dict(data)
    return {k: data[k] for k in select if select[k] is None and k in data}


def record_view(
    structure: Structure,
    row: Row,
    children: list[Row],
    base: str,
    root: str,
    select: Selection | None,
    *,
    collection: bool,
) -> dict[str, Any]:
    """One record; in a collection without oslc.select Maximo answers only the href."""
    own_href = href(base, root, structure, row.data)
    if collection and select is None:
        return {"href": own_href}
    view: dict[str, Any] = {"href": own_href, "_rowstamp": str(row.rowstamp), **_pick(row.data, select)}
    for child in structure.children:
        if select is not None and child.name not in select and "*" not in select:
            continue
        child_select = None if select is None else select.get(child.name)
        rows = [r for r in children if r.kind == child.name]
        view[child.name] = [
            {"href": f"{own_href}/{child.name}/{r.id}", "_rowstamp": str(r.rowstamp), **_pick(r.data, child_select)}
            for r in rows
        ]
    return view


def namespaced(value: Any) -> Any:
    """lean=0: OSLC's prefixed names."""
    if isinstance(value, list):
        return [namespaced(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        name = {
            "href": "rdf:about",
            "member": "rdfs:member",
            "responseInfo": "oslc:responseInfo",
            "nextPage": "oslc:nextPage",
            "totalCount": "oslc:totalCount",
        }.get(key)
        out[name or (key if ":" in key else f"spi:{key}")] = namespaced(item)
    return out
