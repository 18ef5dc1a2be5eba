"""Read a spec file, validate it and build the compiled MappingSpec, collecting every problem on the way.

The builder owns parsing; `sync/spec.py` holds the compiled spec's data types only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sync.keys import KEY_FIELDS
from sync.spec import (
    CONFLICT_RULES,
    DIRECTIONS,
    ENTITY_KEYS,
    FIELD_KEYS,
    SOURCE_TYPES,
    TOP_KEYS,
    EntitySpec,
    FieldSpec,
    MappingSpec,
    SpecError,
    SpecProblem,
    UnitConversion,
    compile_transforms,
    parse_units,
    source_getter,
    spec_version,
)
from sync.transforms import ValueProblem
from sync.values import TYPES, coerce


class SpecBuilder:
    """Walks a parsed spec once; `build` returns the MappingSpec or raises SpecError with all problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SpecProblem] = []

    def add(self, entity: str, field: str, message: str) -> None:
        self.problems.append(SpecProblem(self.file, entity, field, message))

    def build(self, raw: Any) -> MappingSpec:
        if not isinstance(raw, dict):
            self.add("", "", "a spec must be a mapping with an 'entities' section")
            raise SpecError(self.problems)
        for key in sorted(set(raw) - TOP_KEYS):
            self.add("", str(key), f"unknown top-level key {key!r}")
        self.systems = (str(raw.get("source_system", "plm")), str(raw.get("target_system", "erp")))
        self.units = parse_units(raw.get("units"), self.add)
        self.enums = self._tables(raw, "enums")
        self.lookups = self._tables(raw, "lookups")
        entities_raw = raw.get("entities")
        entities: dict[str, EntitySpec] = {}
        if not isinstance(entities_raw, dict) or not entities_raw:
            self.add("", "entities", "the spec declares no entities")
        else:
            self.entity_names = set(entities_raw)
            for name, body in entities_raw.items():
                entity = self._entity(str(name), body)
                if entity is not None:
                    entities[str(name)] = entity
        if self.problems:
            raise SpecError(self.problems)
        return MappingSpec(
            name=str(raw.get("name", "")),
            file=self.file,
            version=spec_version(raw),
            source_system=self.systems[0],
            target_system=self.systems[1],
            units=self.units,
            entities=entities,
            raw=raw,
        )

    def _tables(self, raw: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
        tables = raw.get(section) or {}
        if not isinstance(tables, dict):
            self.add(section, "", f"{section} must be a mapping of name -> {{value: result}}")
            return {}
        good = {}
        for name, table in tables.items():
            if not isinstance(table, dict) or not table:
                self.add(section, str(name), f"{section[:-1]} {name!r} must be a non-empty mapping")
            else:
                good[str(name)] = {str(k): v for k, v in table.items()}
        return good

    def _choice(self, entity: str, field: str, what: str, value: Any, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.add(entity, field, f"bad {what} {value!r} (use one of {', '.join(allowed)})")
        return str(value)

    def _entity(self, name: str, body: Any) -> EntitySpec | None:
        if not isinstance(body, dict):
            self.add(name, "", "an entity must be a mapping")
            return None
        for key in sorted(set(body) - ENTITY_KEYS):
            self.add(name, str(key), f"unknown entity key {key!r}")
        source = body.get("source")
        if source not in SOURCE_TYPES:
            self.add(name, "", f"unknown or missing source {source!r} (use one of {', '.join(SOURCE_TYPES)})")
        owner = str(body.get("owner", self.systems[0]))
        if owner not in self.systems:
            self.add(name, "", f"owner {owner!r} is neither {self.systems[0]} nor {self.systems[1]}")
        direction = self._choice(name, "", "direction", body.get("direction", "outbound"), DIRECTIONS)
        conflict = self._choice(name, "", "conflict rule", body.get("conflict", "source_wins"), CONFLICT_RULES)
        constants = body.get("constants") or {}
        if not isinstance(constants, dict):
            self.add(name, "constants", "constants must be a mapping of target field -> value")
            constants = {}
        constants = {str(k): v for k, v in constants.items()}
        defaults = {"owner": owner, "direction": direction, "conflict": conflict}
        fields, seen = [], set(constants)
        raw_fields = body.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            self.add(name, "fields", "an entity needs a list of fields")
            raw_fields = []
        for index, raw_field in enumerate(raw_fields):
            target = str(raw_field.get("target")) if isinstance(raw_field, dict) and raw_field.get("target") else None
            if target in seen:
                self.add(name, target, f"duplicate target field {target!r}")
            if target:
                seen.add(target)
            spec = self._field(name, source if source in SOURCE_TYPES else None, index, raw_field, defaults)
            if spec is not None:  # a broken field is reported and left out; its target still counts as declared
                fields.append(spec)
        key = tuple(str(k) for k in (body.get("key") or ()))
        self._check_key(name, key, seen)
        types = {k: "string" for k in constants} | {f.target: f.type for f in fields}
        return EntitySpec(
            name, str(source), str(body.get("target", name)), key, owner, direction, conflict, constants, fields, types
        )

    def _check_key(self, entity: str, key: tuple[str, ...], seen: set[str]) -> None:
        if not key:
            self.add(entity, "key", "an entity needs key fields")
        for k in key:
            if k not in seen:
                self.add(entity, k, f"key field {k!r} is not a mapped field or constant")
        if entity in KEY_FIELDS and key and key != KEY_FIELDS[entity]:
            self.add(entity, "key", f"key must be {list(KEY_FIELDS[entity])} (see sync.keys), got {list(key)}")

    def _field(
        self, entity: str, source: str | None, index: int, raw: Any, defaults: dict[str, str]
    ) -> FieldSpec | None:
        if not isinstance(raw, dict) or not raw.get("target"):
            self.add(entity, f"fields[{index}]", "a field must be a mapping with a target")
            return None
        target = str(raw["target"])
        problems_before = len(self.problems)

        def add(message: str) -> None:
            self.add(entity, target, message)

        for key in sorted(set(raw) - FIELD_KEYS):
            add(f"unknown field key {key!r}")
        type_name = raw.get("type", "string")
        if type_name not in TYPES:
            add(f"unknown type {type_name!r} (use one of {', '.join(TYPES)})")
        paths = raw.get("source")
        paths = tuple(str(p) for p in paths) if isinstance(paths, list) else (() if paths is None else (str(paths),))
        if not paths and raw.get("default") is None:
            add("missing source (give a source path, a default, or make it a constant)")
        getters = tuple(self._getter(source, p, add) for p in paths) if source else ()
        unit_source = raw.get("unit")
        if unit_source is not None:
            if not self.units:
                add(f"quantity in unit {unit_source!r} but the spec has no units table (unit without a conversion)")
            if source:
                self._getter(source, str(unit_source), add)
        enum_map = self._enum(raw, type_name, add)
        references = raw.get("references")
        if type_name == "reference" and references not in getattr(self, "entity_names", set()):
            add(f"a reference needs 'references: ENTITY' naming an entity of this spec, got {references!r}")
        transforms = compile_transforms(raw.get("transforms") or [], self.lookups, self.units, add)
        owner = str(raw.get("owner", defaults["owner"]))
        if owner not in self.systems:
            add(f"owner {owner!r} is neither {self.systems[0]} nor {self.systems[1]}")
        direction = self._choice(entity, target, "direction", raw.get("direction", defaults["direction"]), DIRECTIONS)
        conflict = self._choice(
            entity, target, "conflict rule", raw.get("conflict", defaults["conflict"]), CONFLICT_RULES
        )
        if owner == self.systems[1] and direction == "outbound":
            add(f"owned by {owner} but direction is outbound: the owner must not be overwritten")
        default = raw.get("default")
        if default is not None and type_name in TYPES and type_name != "enum":
            try:
                default = coerce(type_name, default)
            except ValueProblem as exc:
                add(f"default {default!r} does not fit type {type_name}: {exc.message}")
        if len(self.problems) > problems_before:
            return None
        return FieldSpec(
            target,
            paths,
            type_name,
            bool(raw.get("required", False)),
            direction,
            owner,
            conflict,
            default,
            references,
            str(unit_source) if unit_source is not None else None,
            enum_map,
            getters,
            transforms,
        )

    def _getter(self, source: str, path: str, add: Any) -> Any:
        getter = source_getter(source, path)
        if isinstance(getter, str):
            add(getter)
        return getter

    def _enum(self, raw: dict[str, Any], type_name: str, add: Any) -> dict[str, Any] | None:
        if type_name != "enum":
            if raw.get("enum") is not None or raw.get("map") is not None:
                add(f"an enum map is given but the type is {type_name}, not enum")
            return None
        if isinstance(raw.get("map"), dict) and raw["map"]:
            return {str(k): v for k, v in raw["map"].items()}
        name = raw.get("enum")
        if name is None:
            add("enum without a map (give 'map: {...}' or 'enum: NAME' from enums)")
        elif name not in self.enums:
            add(f"enum {name!r} is not defined under enums")
        return self.enums.get(str(name)) if name is not None else None


__all__ = ["SpecBuilder", "UnitConversion"]


def load_spec(path: str | Path) -> MappingSpec:
    """Read, validate and compile one spec file; raises SpecError listing every problem."""
    path = Path(path)
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError([SpecProblem(name, "", "", f"cannot read spec: {exc.strerror}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecProblem(name, "", "", f"not valid YAML: {exc}")]) from None
    return parse_spec(raw, name)


def parse_spec(raw: Any, file: str) -> MappingSpec:
    """Validate and compile a parsed spec document."""
    return SpecBuilder(file).build(raw)
