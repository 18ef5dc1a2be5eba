"""Creates, updates (PATCH replaces children, MERGE adds to them) and deletes of object-structure records."""

from __future__ import annotations

from typing import Any

from sandbox.eam import materials
from sandbox.eam.errors import METHOD_NOT_ALLOWED, RECORD_EXISTS, MaximoError, bad_value
from sandbox.eam.materials import Write, now_iso
from sandbox.eam.store import Row
from sandbox.eam.structures import ASSET, BALANCE, ITEM, WORK_ORDER, Child, Structure

READ_ONLY_FIELDS = frozenset({"href", "_rowstamp", "localref"})
LABELS = {
    "wonum": "Work Order",
    "siteid": "Site",
    "assetnum": "Asset",
    "itemnum": "Item",
    "itemsetid": "Item Set",
    "location": "Storeroom",
    "binnum": "Bin",
}


def _lower(body: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in body.items() if not str(k).startswith("_") and k not in READ_ONLY_FIELDS}


def _writable(structure: Structure) -> None:
    if not structure.writable:
        raise MaximoError(405, METHOD_NOT_ALLOWED, f"The object structure {structure.name.upper()} is read-only.")


def _defaults(w: Write, structure: Structure, data: dict[str, Any]) -> dict[str, Any]:
    stamp = now_iso()
    if structure is WORK_ORDER:
        data.setdefault("siteid", w.siteid)
        data.setdefault("orgid", "MFGORG")
        if not data.get("wonum"):  # Maximo autonumbers work orders
            data["wonum"] = str(w.store.next_counter(w.c, "wonum", 5001))
        data.setdefault("worktype", "CM")
        data.setdefault("wopriority", 3)
        data.setdefault("reportdate", stamp)
        data.update(status="WAPPR", statusdate=stamp, changedate=stamp)
        if data.get("assetnum") and not w.store.by_key(w.c, ASSET.kind, f"{data['assetnum']}/{data['siteid']}"):
            raise bad_value(f"BMXAA4195E - Asset {data['assetnum']} is not a valid asset in site {data['siteid']}.")
    elif structure is ASSET:
        data.setdefault("siteid", w.siteid)
        data.setdefault("status", "OPERATING")
        data["changedate"] = stamp
    elif structure is ITEM:
        data.setdefault("itemsetid", "SET1")
        data.setdefault("status", "ACTIVE")
    elif structure is BALANCE:
        data.setdefault("siteid", w.siteid)
        data.setdefault("binnum", "")
        data.setdefault("curbal", 0.0)
        materials.validate_item(w, data.get("itemnum"))
    return data


def create(w: Write, structure: Structure, body: dict[str, Any]) -> Row:
    """A new record with its children; a duplicate key is Maximo's BMXAA4129E."""
    _writable(structure)
    data = _lower(body)
    requested_status = data.pop("status", None) if structure is WORK_ORDER else None
    children = {c.name: data.pop(c.name) for c in structure.children if c.name in data}
    data = _defaults(w, structure, data)
    for key in structure.key_fields:
        if key != "binnum" and data.get(key) in (None, ""):
            raise bad_value(f"BMXAA4195E - {key} is required for {structure.name.upper()}.")
    natural_key = structure.natural_key(data)
    if w.store.by_key(w.c, structure.kind, natural_key) is not None:
        labels = ", ".join(f"{LABELS.get(k, k)}={data[k]}" for k in structure.key_fields if data.get(k) != "")
        raise MaximoError(400, RECORD_EXISTS, f"BMXAA4129E - Record already exists for {labels}.")
    row = w.store.insert(w.c, structure.kind, data, natural_key=natural_key, id_field=structure.id_field)
    for name, entries in children.items():
        _write_children(w, structure, row, structure.child(name), entries, merge=True)  # type: ignore[arg-type]
    if requested_status and requested_status != "WAPPR":
        row = materials.change_status(w, row, requested_status)
    return row


def update(w: Write, structure: Structure, row: Row, body: dict[str, Any], *, merge: bool) -> Row:
    """PATCH: own fields change; each child array given replaces (PATCH) or extends (MERGE) the stored one.

    Only a change to the record's own fields takes a new rowstamp: children carry their own.
    """
    _writable(structure)
    data = _lower(body)
    children = {c.name: data.pop(c.name) for c in structure.children if c.name in data}
    new_status = data.pop("status", None) if structure is WORK_ORDER else None
    for key in (*structure.key_fields, structure.id_field):
        if key in data and str(data.pop(key)) != str(row.data.get(key)):
            raise bad_value(
                f"BMXAA4195E - {key} of {structure.name.upper()} {structure.natural_key(row.data)} cannot be changed."
            )
    if structure is BALANCE and "curbal" in data:
        raise bad_value("BMXAA4195E - curbal is read-only: use ?action=wsmethod:adjustCurrentBalance.")
    changed = {k: v for k, v in data.items() if row.data.get(k) != v}
    if changed:
        if structure in (WORK_ORDER, ASSET):
            changed["changedate"] = now_iso()
        row = w.store.update(w.c, row, {**row.data, **changed})
    if new_status is not None:
        row = materials.change_status(w, row, new_status, data.get("memo"))
    for name, entries in children.items():
        _write_children(w, structure, row, structure.child(name), entries, merge=merge)  # type: ignore[arg-type]
    return row


def _write_children(w: Write, structure: Structure, parent: Row, child: Child, entries: Any, *, merge: bool) -> None:
    if not isinstance(entries, list):
        raise bad_value(f"BMXAA4195E - {child.name} must be a JSON array.")
    if not child.writable:
        return  # invreserve follows approval and issues; Maximo ignores it in a work-order payload
    existing = {r.id: r for r in w.store.children(w.c, parent.id, child.name)}
    mentioned: set[int] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_value(f"BMXAA4195E - each {child.name} entry must be a JSON object.")
        entry = _lower(entry)
        ref = entry.get(child.id_field)
        if ref is not None and int(ref) in existing:
            mentioned.add(int(ref))
            if child.name == "wpmaterial":
                current = existing[int(ref)]
                new = {**current.data, **{k: v for k, v in entry.items() if k != child.id_field}}
                if new != current.data:
                    w.store.update(w.c, current, new)
            continue  # a posted transaction never changes
        if child.name == "matusetrans":
            materials.post_transaction(w, parent, entry)
        else:
            mentioned.add(_add_planned_material(w, parent, entry).id)
    if not merge and child.deletable:
        for record_id, record in existing.items():
            if record_id not in mentioned:
                w.c.execute("DELETE FROM records WHERE id = ?", (record.id,))


def _add_planned_material(w: Write, wo: Row, entry: dict[str, Any]) -> Row:
    entry.pop("wpitemid", None)
    linetype = str(entry.get("linetype", "ITEM")).upper()
    if linetype == "ITEM":
        materials.validate_item(w, entry.get("itemnum"))
    try:
        qty = float(entry.get("itemqty", 0))
    except (TypeError, ValueError):
        raise bad_value(f"BMXAA4195E - itemqty must be a number, got {entry.get('itemqty')!r}.") from None
    if qty <= 0:
        raise bad_value(f"BMXAA4195E - itemqty of {entry.get('itemnum')} must be more than 0.")
    data = {
        **entry,
        "linetype": linetype,
        "itemqty": qty,
        "location": entry.get("location") or w.storeroom,
        "wonum": wo.data["wonum"],
        "siteid": wo.data["siteid"],
    }
    row = w.store.insert(w.c, "wpmaterial", data, parent_id=wo.id, id_field="wpitemid")
    if wo.data.get("status") in materials.APPROVED:  # a line added after approval is reserved at once
        materials.reserve_planned_materials(w, wo)
    return row


def delete(w: Write, structure: Structure, row: Row) -> None:
    """Maximo deletes only work orders still waiting for approval."""
    _writable(structure)
    if structure is WORK_ORDER and row.data.get("status") != "WAPPR":
        raise MaximoError(
            400,
            materials.STATUS_NOT_ALLOWED,
            f"Work order {row.data['wonum']} is in status {row.data.get('status')} and cannot be deleted.",
        )
    w.store.delete(w.c, row)
