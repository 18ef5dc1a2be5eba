"""Apply a compiled mapping spec to canonical source records: target payloads or per-record errors.

A record that cannot be mapped never stops the batch: it yields `MappingError`s (one per failing
field) and the rest of the batch maps on. `map_released_bom` is the one call the BOM assets make.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.field_mappers import compile_field
from sync.keys import SEP
from sync.records import BomLine, FailedChange, Part
from sync.spec import EntitySpec, MappingSpec, enum_lookup
from sync.transforms import ValueProblem

Payload = dict[str, Any]


@dataclass(frozen=True)
class MappingError:
    """One record field that could not be mapped (the record is held back, the batch goes on)."""

    entity: str
    key: str
    field: str
    code: str  # MAPPING_REQUIRED_MISSING, MAPPING_ENUM_UNMAPPED, MAPPING_UNIT_UNKNOWN, ...
    message: str

    def __str__(self) -> str:
        return f"{self.entity} {self.key}: {self.field}: {self.message} ({self.code})"

    def to_failed_change(self, payload: Payload | None = None) -> FailedChange:
        """A dead letter for the state store: mapping errors are not retryable until the data is fixed."""
        return FailedChange(self.entity, self.key, "map", payload, self.code, self.message, retryable=False)


def _empty(value: Any) -> bool:
    return value is None or value == ""


RecordMapper = Callable[[Any], tuple[str, Payload, list[MappingError]]]
# id(entity) -> (what it was compiled from, its record mapper); an entry leaves with its entity
_COMPILED: dict[int, tuple[tuple[int, ...], RecordMapper]] = {}


def _record_mapper(spec: MappingSpec, entity: EntitySpec) -> RecordMapper:
    """The entity's record mapper, compiled on first use (a spec is immutable once loaded)."""
    stamp = (id(spec.units), *map(id, entity.fields))
    cached = _COMPILED.get(id(entity))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    if cached is None:
        weakref.finalize(entity, _COMPILED.pop, id(entity), None)
    mapper = _compile_entity(spec, entity)
    _COMPILED[id(entity)] = (stamp, mapper)
    return mapper


def _compile_entity(spec: MappingSpec, entity: EntitySpec) -> RecordMapper:
    constants, name, key_fields = entity.constants, entity.name, entity.key
    fields: list[tuple[str, Callable[[Any], Any]]] = []
    for fs in (f for f in entity.fields if f.outbound):

        def swap(plain: Callable[[Any], Any], at: int = len(fields), target: str = fs.target) -> None:
            fields[at] = (target, plain)  # the field's values do not repeat: call it without its memo

        fields.append((fs.target, compile_field(spec.units, fs, enum_lookup, swap)))

    def map_one(record: Any) -> tuple[str, Payload, list[MappingError]]:
        payload: Payload = dict(constants)
        failed: list[tuple[str, ValueProblem]] = []
        for target, mapped in fields:
            try:
                payload[target] = mapped(record)
            except ValueProblem as problem:
                failed.append((target, problem))
        parts = [payload.get(k) for k in key_fields]
        if None not in parts and "" not in parts:  # every key part present
            key = SEP.join(map(str, parts))
        elif isinstance(record, BomLine):  # the key may be what failed: name the line as the PLM does
            key = f"{record.parent_number}/{record.find_number}"
        else:
            key = str(getattr(record, "number", "?"))
        if failed:
            return key, payload, [MappingError(name, key, field, p.code, p.message) for field, p in failed]
        return key, payload, failed

    return map_one


def map_record(spec: MappingSpec, entity: EntitySpec, record: Any) -> tuple[str, Payload, list[MappingError]]:
    """Map one source record to (key, payload, errors). Inbound-only fields are not written."""
    return _record_mapper(spec, entity)(record)


@dataclass
class MappedBom:
    """Desired ERP records of one released BOM set, keyed by canonical key, plus what could not be mapped."""

    materials: dict[str, Payload] = field(default_factory=dict)
    bom_headers: dict[str, Payload] = field(default_factory=dict)
    bom_items: dict[str, Payload] = field(default_factory=dict)
    errors: list[MappingError] = field(default_factory=list)
    # header keys of mapped parts the PLM gives no BOM (emptied, or no longer an assembly): an ERP BOM
    # of one of them has no PLM counterpart and is retired
    headers_without_bom: set[str] = field(default_factory=set)

    def desired(self) -> dict[str, dict[str, Payload]]:
        """The plan's input: entity -> key -> payload."""
        return {"material": self.materials, "bom_header": self.bom_headers, "bom_item": self.bom_items}

    def held_keys(self) -> set[tuple[str, str]]:
        """(entity, key) of records that failed to map: the plan neither writes nor deletes them."""
        return {(e.entity, e.key) for e in self.errors}


def map_records(
    spec: MappingSpec, entity_name: str, records: Iterable[Any], out: dict[str, Payload], errors: list[MappingError]
) -> None:
    """Map a batch into `out` (key -> payload), appending errors; a failed record is left out."""
    map_one = _record_mapper(spec, spec.entities[entity_name])
    for record in records:
        key, payload, record_errors = map_one(record)
        if record_errors:
            errors.extend(record_errors)
        else:
            out[key] = payload


def _check_references(spec: MappingSpec, mapped: MappedBom) -> None:
    tables = mapped.desired()
    failed_keys: dict[str, set[str]] = {}
    for err in mapped.errors:
        failed_keys.setdefault(err.entity, set()).add(err.key)
    for name in ("bom_header", "bom_item"):
        if name not in spec.entities:
            continue
        refs = [f for f in spec.entities[name].fields if f.references]
        table = tables[name]
        for key in list(table):
            for f in refs:
                value = table[key].get(f.target)
                if value not in tables.get(f.references, {}):
                    why = "failed to map" if value in failed_keys.get(f.references, ()) else "is not among the parts"
                    mapped.errors.append(
                        MappingError(
                            name, key, f.target, "MAPPING_REFERENCE_UNKNOWN", f"{f.references} {value!r} {why}"
                        )
                    )
                    del table[key]
                    break


def map_released_bom(spec: MappingSpec, parts: Iterable[Part], lines: Iterable[BomLine]) -> MappedBom:
    """Map parts to materials, BOM parents to headers and lines to items, checking references.

    An item whose header did not map is held back too (it could not be applied on its own).
    """
    parts, lines = list(parts), list(lines)
    mapped = MappedBom()
    map_records(spec, "material", parts, mapped.materials, mapped.errors)
    parent_set = {line.parent_number for line in lines}
    parents = sorted(parent_set)
    by_number = {p.number: p for p in parts if p.number in parent_set}  # the last of a number wins, as before
    missing = [n for n in parents if n not in by_number]
    for number in missing:
        mapped.errors.append(
            MappingError(
                "bom_header",
                number,
                "Material",
                "MAPPING_REFERENCE_UNKNOWN",
                f"BOM parent {number!r} is not among the parts",
            )
        )
    map_records(
        spec, "bom_header", [by_number[n] for n in parents if n in by_number], mapped.bom_headers, mapped.errors
    )
    map_records(spec, "bom_item", lines, mapped.bom_items, mapped.errors)
    _check_references(spec, mapped)
    mapped.headers_without_bom = _headers_without_bom(
        spec, [p for p in parts if p.number not in parent_set], mapped.materials
    )
    for key in [k for k in mapped.bom_items if k.rsplit(SEP, 1)[0] not in mapped.bom_headers]:
        header = key.rsplit(SEP, 1)[0]
        mapped.errors.append(
            MappingError(
                "bom_item", key, "Material", "MAPPING_HEADER_UNMAPPED", f"BOM header {header!r} could not be mapped"
            )
        )
        del mapped.bom_items[key]
    return mapped


def _headers_without_bom(spec: MappingSpec, parts: list[Part], materials: Mapping[str, Payload]) -> set[str]:
    """The BOM header key each of these parts would have (those that map, as mapped materials)."""
    if "bom_header" not in spec.entities:
        return set()
    keys = set()
    map_one = _record_mapper(spec, spec.entities["bom_header"])
    for part in parts:
        key, payload, errors = map_one(part)
        if not errors and payload.get("Material") in materials:
            keys.add(key)
    return keys
