"""Mapping specs: a sound spec loads with a stable version; each bad spec names file, entity and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sync.spec import SpecError
from sync.spec_builder import load_spec, parse_spec
from tests.sync.helpers import SPEC_PATH, default_spec


def _raw() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def _field(raw: dict, entity: str, target: str) -> dict:
    return next(f for f in raw["entities"][entity]["fields"] if f["target"] == target)


def _problems(raw: dict, tmp_path: Path) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [str(p) for p in info.value.problems]


def test_default_spec_loads_with_the_three_erp_entities():
    spec = default_spec()
    assert set(spec.entities) == {"material", "bom_header", "bom_item"}
    assert spec.units["mm"].to == "M"


def test_version_ignores_comments_and_formatting_but_not_content(tmp_path):
    raw = _raw()
    reformatted = tmp_path / "a.yaml"
    reformatted.write_text("# another comment\n" + yaml.safe_dump(raw, default_flow_style=False))
    assert load_spec(reformatted).version == default_spec().version
    _field(raw, "material", "ProductDescription")["transforms"] = ["trim", {"truncate": 30}]
    assert parse_spec(raw, "x.yaml").version != default_spec().version


BAD_CASES = [
    (
        "unknown type",
        lambda r: _field(r, "material", "Product").update(type="text"),
        "material.Product: unknown type 'text'",
    ),
    (
        "unknown transform",
        lambda r: _field(r, "material", "ProductDescription").update(transforms=["shout"]),
        "material.ProductDescription: unknown transform 'shout'",
    ),
    (
        "enum without map",
        lambda r: _field(r, "material", "ProcurementType").pop("enum"),
        "material.ProcurementType: enum without a map",
    ),
    (
        "unit without conversion",
        lambda r: r["units"].update(inch={"to": "M"}),
        "units.inch: unit 'inch' has no conversion",
    ),
    (
        "duplicate target",
        lambda r: r["entities"]["material"]["fields"].append({"target": "Product", "source": "name"}),
        "material.Product: duplicate target field 'Product'",
    ),
    (
        "missing source",
        lambda r: _field(r, "bom_item", "BOMItemText2").pop("source"),
        "bom_item.BOMItemText2: missing source",
    ),
    (
        "unknown source field",
        lambda r: _field(r, "bom_item", "BOMItemText2").update(source="refdes"),
        "bom_item.BOMItemText2: unknown source field 'refdes' of bom_line",
    ),
    (
        "bad conflict rule",
        lambda r: _field(r, "material", "ProductGroup").update(conflict="erp_wins"),
        "material.ProductGroup: bad conflict rule 'erp_wins'",
    ),
    (
        "bad direction",
        lambda r: _field(r, "material", "BaseUnit").update(direction="sideways"),
        "material.BaseUnit: bad direction 'sideways'",
    ),
    (
        "bad transform argument",
        lambda r: _field(r, "material", "ProductDescription").update(transforms=[{"truncate": -1}]),
        "material.ProductDescription: truncate needs a positive whole number",
    ),
    (
        "unknown lookup",
        lambda r: _field(r, "material", "ProductGroup").update(transforms=[{"lookup": "nope"}]),
        "material.ProductGroup: lookup table 'nope' is not defined",
    ),
    (
        "reference to unknown entity",
        lambda r: _field(r, "bom_item", "BillOfMaterialComponent").update(references="asset"),
        "bom_item.BillOfMaterialComponent: a reference needs 'references: ENTITY'",
    ),
]


@pytest.mark.parametrize(("case", "edit", "expected"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_spec_fails_naming_file_entity_and_field(tmp_path, case, edit, expected):
    raw = _raw()
    edit(raw)
    problems = _problems(raw, tmp_path)
    assert any(p.startswith(f"{tmp_path / 'bad.yaml'}: {expected}") for p in problems), problems


def test_every_problem_is_reported_once_not_just_the_first(tmp_path):
    raw = _raw()
    _field(raw, "material", "Product")["type"] = "text"
    _field(raw, "bom_item", "BOMItemDescription")["transforms"] = ["shout"]
    problems = _problems(raw, tmp_path)
    assert len(problems) == 2
    assert {p.split(": ")[1] for p in problems} == {"material.Product", "bom_item.BOMItemDescription"}


def test_unreadable_yaml_is_a_spec_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("entities: [unclosed")
    with pytest.raises(SpecError, match="broken.yaml: .*not valid YAML"):
        load_spec(path)
