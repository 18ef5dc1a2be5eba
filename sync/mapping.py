"""Apply a compiled mapping spec to canonical source records: target payloads or per-record errors.

A record that cannot be mapped never stops the batch: it yields `MappingError`s (one per failing
field) and the rest of the batch maps on. `map_released_bom` is the one call the BOM assets make.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sync.keys import SEP
from sync.records import BomLine, FailedChange, Part
from sync.spec import EntitySpec, FieldSpec, MappingSpec, enum_lookup
from sync.transforms import ValueProblem
from sync.values import coerce

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


def _map_field(spec: MappingSpec, fs: FieldSpec, record: Any) -> Any:
    values = [get(record) for get in fs.getters]
    value = values[0] if len(values) == 1 else (values or None)
    if fs.unit_source is not None and not _empty(value):
        unit = getattr(record, fs.unit_source, None)
        conversion = spec.units.get(str(unit))
        if conversion is None:
            raise ValueProblem("MAPPING_UNIT_UNKNOWN", f"unit {unit!r} has no conversion in the unit table")
        value = Decimal(coerce("decimal", value)) * conversion.factor
    for transform in fs.transforms:
        value = transform(value)
    if fs.enum_map is not None and not _empty(value):
        value = enum_lookup(fs.enum_map, value)
    if _empty(value) and fs.default is not None:
        value = fs.default
    if _empty(value) and fs.required:
        raise ValueProblem("MAPPING_REQUIRED_MISSING", "required value is missing")
    return coerce(fs.type, value)


def _key_text(entity: EntitySpec, payload: Payload, record: Any) -> str:
    parts = [payload.get(k) for k in entity.key]
    if all(not _empty(p) for p in parts):
        return SEP.join(str(p) for p in parts)
    if isinstance(record, BomLine):  # the key may be what failed: name the line as the PLM does
        return f"{record.parent_number}/{record.find_number}"
    return str(getattr(record, "number", "?"))


def map_record(spec: MappingSpec, entity: EntitySpec, record: Any) -> tuple[str, Payload, list[MappingError]]:
    """Map one source record to (key, payload, errors). Inbound-only fields are not written."""
    payload: Payload = dict(entity.constants)
    failed: list[tuple[str, ValueProblem]] = []
    for fs in entity.fields:
        if not fs.outbound:
            continue
        try:
            payload[fs.target] = _map_field(spec, fs, record)
        except ValueProblem as problem:
            failed.append((fs.target, problem))
    key = _key_text(entity, payload, record)
    errors = [MappingError(entity.name, key, name, p.code, p.message) for name, p in failed]
    return key, payload, errors


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
    entity = spec.entities[entity_name]
    for record in records:
        key, payload, record_errors = map_record(spec, entity, record)
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
    by_number = {p.number: p for p in parts}
    parents = sorted({line.parent_number for line in lines})
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
        spec, [p for p in parts if p.number not in set(parents)], mapped.materials
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
    for part in parts:
        key, payload, errors = map_record(spec, spec.entities["bom_header"], part)
        if not errors and payload.get("Material") in materials:
            keys.add(key)
    return keys
