"""Mapping specs: load a YAML spec, report every problem at once, compile it into fast mappers.

A spec (see mappings/plm_to_erp.yaml) declares unit tables, enum maps and lookup tables, and per
target entity its source record, key fields, constants and fields. `load_spec` raises `SpecError`
with one `SpecProblem(file, entity, field, message)` per problem, so a bad spec fails before any
record is mapped or written. The version hash is taken over the parsed spec (canonical JSON), so
comments and formatting do not change it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.keys import KEY_FIELDS
from sync.records import BomLine, ChangeOrder, Part
from sync.transforms import Transform, ValueProblem, compile_transform, lookup_in
from sync.values import TYPES, coerce

# source name -> record type whose fields a source path may name ("bom_parent" = the parent Part of a BOM)
SOURCE_TYPES: dict[str, type] = {"part": Part, "bom_parent": Part, "bom_line": BomLine, "change_order": ChangeOrder}
CONFLICT_RULES = ("source_wins", "target_wins", "newest_wins", "manual", "merge")
DIRECTIONS = ("outbound", "inbound", "both")
FIELD_KEYS = {
    "target",
    "source",
    "type",
    "transforms",
    "default",
    "required",
    "direction",
    "owner",
    "conflict",
    "enum",
    "map",
    "references",
    "unit",
}
ENTITY_KEYS = {"source", "target", "key", "owner", "direction", "conflict", "constants", "fields"}
TOP_KEYS = {"name", "description", "source_system", "target_system", "units", "enums", "lookups", "entities"}


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a spec, located by file, entity and field."""

    file: str
    entity: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.entity}.{self.field}" if self.field else (self.entity or "(spec)")
        return f"{self.file}: {where}: {self.message}"


class SpecError(ValueError):
    """A spec that must not be used; `.problems` lists every problem found."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class UnitConversion:
    """PLM unit -> ERP unit, quantity multiplied by factor (mm -> M x0.001)."""

    to: str
    factor: Decimal


@dataclass
class FieldSpec:
    """One target field: where it comes from and how it is shaped, owned and reconciled."""

    target: str
    source: tuple[str, ...]  # one path, or several (concatenated by a transform)
    type: str
    required: bool
    direction: str
    owner: str
    conflict: str
    default: Any = None
    references: str | None = None
    unit_source: str | None = None  # path of the unit a quantity is expressed in
    enum_map: Mapping[str, Any] | None = None
    getters: tuple[Callable[[Any], Any], ...] = ()
    transforms: tuple[Transform, ...] = ()

    @property
    def outbound(self) -> bool:
        return self.direction in ("outbound", "both")


@dataclass
class EntitySpec:
    """One target entity of a spec."""

    name: str
    source: str
    target: str
    key: tuple[str, ...]
    owner: str
    direction: str
    conflict: str
    constants: dict[str, Any]
    fields: list[FieldSpec]
    types: dict[str, str] = field(default_factory=dict)  # target field -> type, constants included

    def conflict_rule(self, target_field: str) -> str:
        for f in self.fields:
            if f.target == target_field:
                return f.conflict
        return self.conflict

    def outbound_fields(self) -> list[str]:
        """Target fields this spec writes: constants and outbound fields."""
        return [*self.constants, *(f.target for f in self.fields if f.outbound)]

    def normalise(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A target payload (e.g. read back from the ERP) reduced to the written fields, values in canonical form."""
        out = {}
        for name in self.outbound_fields():
            value = payload.get(name)
            try:
                out[name] = coerce(self.types.get(name, "string"), value)
            except ValueProblem:
                out[name] = value
        return out


@dataclass
class MappingSpec:
    """A loaded, validated mapping spec."""

    name: str
    file: str
    version: str
    source_system: str
    target_system: str
    units: dict[str, UnitConversion]
    entities: dict[str, EntitySpec]
    raw: dict[str, Any]

    def entity(self, name: str) -> EntitySpec:
        return self.entities[name]


def spec_version(raw: Mapping[str, Any]) -> str:
    """Stable version hash of a parsed spec: first 16 hex digits of the SHA-256 of its canonical JSON."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def source_getter(source: str, path: str) -> Callable[[Any], Any] | str:
    """A getter for a dotted source path ("number", "attributes.colour"), or an error message."""
    record_type = SOURCE_TYPES[source]
    head, _, rest = path.partition(".")
    names = {f.name for f in dataclasses.fields(record_type)}
    if head not in names:
        return f"unknown source field {head!r} of {source} (known: {', '.join(sorted(names))})"
    if not rest:
        return operator.attrgetter(head)

    def nested(record: Any) -> Any:
        value = getattr(record, head)
        return value.get(rest) if isinstance(value, Mapping) else None

    return nested


def parse_units(raw: Any, add: Callable[[str, str, str], None]) -> dict[str, UnitConversion]:
    units: dict[str, UnitConversion] = {}
    if raw is None:
        return units
    if not isinstance(raw, dict):
        add("units", "", "units must be a mapping of PLM unit -> {to, factor}")
        return units
    for unit, conv in raw.items():
        if not isinstance(conv, dict) or not conv.get("to") or conv.get("factor") is None:
            add("units", str(unit), f"unit {unit!r} has no conversion (needs to: UNIT and factor: NUMBER)")
            continue
        try:
            factor = Decimal(str(conv["factor"]))
        except InvalidOperation:
            factor = Decimal(0)
        if factor <= 0:
            add("units", str(unit), f"unit {unit!r} factor must be a positive number, got {conv['factor']!r}")
            continue
        units[str(unit)] = UnitConversion(str(conv["to"]), factor)
    return units


def compile_transforms(
    items: Iterable[Any],
    lookups: Mapping[str, Mapping[str, Any]],
    units: Mapping[str, UnitConversion],
    add: Callable[[str], None],
) -> tuple[Transform, ...]:
    compiled = []
    for item in items:
        _name, result = compile_transform(item, lookups, units)
        if isinstance(result, str):
            add(result)
        else:
            compiled.append(result)
    return tuple(compiled)


def enum_lookup(enum_map: Mapping[str, Any], value: Any) -> Any:
    found, result = lookup_in(enum_map, value)
    if not found:
        raise ValueProblem("MAPPING_ENUM_UNMAPPED", f"{value!r} is not in the enum map")
    return result


__all__ = [
    "CONFLICT_RULES",
    "DIRECTIONS",
    "KEY_FIELDS",
    "TYPES",
    "EntitySpec",
    "FieldSpec",
    "MappingSpec",
    "SpecError",
    "SpecProblem",
    "UnitConversion",
    "spec_version",
]
