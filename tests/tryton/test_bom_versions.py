"""A changed PLM BOM becomes a NEW Tryton BOM version; everything else stays as it was."""

from decimal import Decimal

import pytest

from resources.erp.tryton.flow import sync_bom

from .support import release_bom_change, released_bom, resource, tryton_contents, write_calls

pytestmark = pytest.mark.tryton
ASSEMBLY = "ASM-10002"


@pytest.fixture(scope="module")
def changed(tryton_server, plm_url, tryton_spec):
    """ASM-10002 synced, then 3 of its top-level lines re-quantified in the PLM and synced again."""
    bom = released_bom(plm_url, ASSEMBLY)
    with resource(tryton_server).client() as tryton:
        sync_bom(tryton, tryton_spec, bom.parts, bom.lines)
        before = tryton_contents(tryton_server)
        top_lines = sorted((line for line in bom.lines if line.parent_number == ASSEMBLY), key=lambda x: x.find_number)[
            :3
        ]
        new = {line.find_number: line.quantity + 1 for line in top_lines}  # whole numbers stay whole (unit u)
        release_bom_change(plm_url, ASSEMBLY, new)
        changed_bom = released_bom(plm_url, ASSEMBLY)
        tryton.metrics.reset()
        result = sync_bom(tryton, tryton_spec, changed_bom.parts, changed_bom.lines)
        metrics = tryton.metrics.snapshot()
    expected = {line.component_number: Decimal(new[line.find_number]) for line in top_lines}
    return {
        "before": before,
        "after": tryton_contents(tryton_server),
        "result": result,
        "metrics": metrics,
        "expected": expected,
    }


def test_three_changed_lines_make_one_new_bom_version_and_switch_the_product_to_it(changed):
    before, after = changed["before"], changed["after"]
    [old_id] = before["current"][ASSEMBLY]
    [new_id] = after["current"][ASSEMBLY]
    new_bom = after["boms"][new_id]

    assert new_id != old_id
    assert new_bom["code"].startswith(f"{ASSEMBLY}/v2/")
    assert {c: new_bom["lines"][c][0] for c in changed["expected"]} == changed["expected"]
    assert {c: q for c, q in new_bom["lines"].items() if c not in changed["expected"]} == {
        c: q for c, q in before["boms"][old_id]["lines"].items() if c not in changed["expected"]
    }


def test_the_old_version_is_kept_inactive_and_unchanged(changed):
    [old_id] = changed["before"]["current"][ASSEMBLY]
    old_before, old_after = changed["before"]["boms"][old_id], changed["after"]["boms"][old_id]

    assert not old_after["active"]  # (SQLite answers 0)
    assert old_after["lines"] == old_before["lines"]


def test_nothing_else_changes(changed):
    before, after = changed["before"], changed["after"]

    assert {k: v for k, v in after["current"].items() if k != ASSEMBLY} == {
        k: v for k, v in before["current"].items() if k != ASSEMBLY
    }
    assert after["products"] == before["products"]  # the link record is switched, not replaced
    assert len(after["boms"]) == len(before["boms"]) + 1
    assert write_calls(changed["metrics"]) == {
        "model.production.bom.create": 1,
        "model.product.product-production.bom.write": 1,
        "model.production.bom.write": 1,
    }
    assert changed["result"].counts["bom_versions_created"] == 1
