"""The read-back check honours the conflict rules: an ERP edit a `target_wins` field keeps is no mismatch;
a value the ERP holds that neither side wanted is one."""

import pytest

from assets.erp_apply import _verify
from resources.mapping_spec import MappingSpecResource
from resources.settings import mapping_spec_path
from sync.plan import Decision, Plan, PlanItem
from tests.sync_harness import sync_harness
from tests.validation.support import check

ASSEMBLY = "ASM-10004"


@pytest.fixture(scope="module")
def regrouped(tmp_path_factory):
    """A first sync, then a planner re-classifies the assembly's material group in the ERP, then a re-sync."""
    with sync_harness(tmp_path_factory.mktemp("regroup")) as h:
        assert h.sync(ASSEMBLY).success
        with h.erp().client() as erp:
            material = erp.read_material(ASSEMBLY)
            erp.update_material(ASSEMBLY, {"ProductGroup": "ZREGRP"}, material["_etag"])
        resync = h.sync(ASSEMBLY)
        with h.erp().client() as erp:
            after = erp.read_material(ASSEMBLY)
        yield resync, after


def test_a_target_wins_edit_in_the_erp_survives_the_next_sync(regrouped):
    _, after = regrouped
    assert after["ProductGroup"] == "ZREGRP"


def test_materials_match_plan_passes_after_a_target_wins_edit(regrouped):
    resync, _ = regrouped
    assert resync.success
    assert check(resync, "erp/materials", "materials_match_plan").passed


def test_materials_match_plan_reports_a_value_neither_side_wanted():
    spec = MappingSpecResource(path=str(mapping_spec_path())).spec()
    kept = Decision("ProductGroup", "target_wins", "target", "ASSY", "ZREGRP", "ASSY")
    item = PlanItem("material", ASSEMBLY, "unchanged", None, {"ProductGroup": "ASSY"}, decisions=(kept,))
    erp_now = {"material": {ASSEMBLY: {"Product": ASSEMBLY, "ProductGroup": "OTHER"}}}
    mismatches = _verify(spec, Plan(items=[item]), erp_now, skip=set())
    assert [(m["field"], m["expected"], m["actual"]) for m in mismatches] == [("ProductGroup", "ZREGRP", "OTHER")]
