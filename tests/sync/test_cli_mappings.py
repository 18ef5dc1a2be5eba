"""`mfg-sync mappings check`: exit 0 and a summary for sound specs, exit 1 and one line per problem."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from orchestration.cli_mappings import mappings
from tests.sync.helpers import SPEC_PATH


def test_check_passes_on_the_shipped_specs():
    result = CliRunner().invoke(mappings, ["check"])
    assert result.exit_code == 0, result.output
    shipped = len(list(SPEC_PATH.parent.glob("*.yaml")))
    assert f"{shipped} specs OK (version " in result.output


def test_check_fails_with_one_line_per_problem(tmp_path):
    raw = yaml.safe_load(SPEC_PATH.read_text())
    raw["entities"]["material"]["fields"][0]["type"] = "text"
    raw["units"]["inch"] = {"to": "M"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    result = CliRunner().invoke(mappings, ["check", str(SPEC_PATH), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: material.Product: unknown type 'text'" in result.output
    assert f"{bad}: units.inch: unit 'inch' has no conversion" in result.output


def misspelt_spec(tmp_path):
    """The shipped spec with `ProductGroup` misspelt `ProductGrup` and `BOMItemText2` misspelt `BOMItemTxt2`."""
    text = SPEC_PATH.read_text().replace("target: ProductGroup", "target: ProductGrup")
    text = text.replace("target: BOMItemText2", "target: BOMItemTxt2")
    bad = tmp_path / "misspelt.yaml"
    bad.write_text(text)
    return bad


def test_check_fails_on_target_fields_the_erp_does_not_have_naming_the_known_fields(tmp_path):
    bad = misspelt_spec(tmp_path)

    result = CliRunner().invoke(mappings, ["check", str(bad)])

    assert result.exit_code == 1
    assert f"{bad}: material.ProductGrup: target field 'ProductGrup' is not a field of material" in result.output
    assert f"{bad}: bom_item.BOMItemTxt2: target field 'BOMItemTxt2' is not a field of bom_item" in result.output
    assert "known fields: Product, ProductDescription, ProductType, BaseUnit, ProductGroup" in result.output
    assert "2 problem(s) in 1 of 1 spec(s)" in result.output
