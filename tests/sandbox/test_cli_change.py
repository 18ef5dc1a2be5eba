"""`mfg-sync sandbox change`: a change order made, filled and released in the sandbox PLM, which the next
sync carries into the ERP."""

from decimal import Decimal

from click.testing import CliRunner

from sandbox import launcher
from sandbox.cli import sandbox
from tests.sync_harness import SyncHarness, sync_harness

ASSEMBLY = "ASM-10004"


def run_change(h: SyncHarness, *args: str):
    data_dir = h.tmp / "sandbox"
    launcher.write_facts(data_dir, h.sandbox.facts)
    return CliRunner().invoke(sandbox, ["change", "--item", ASSEMBLY, *args, "--data-dir", str(data_dir)])


def erp_lines(h: SyncHarness) -> dict[int, tuple[str, Decimal]]:
    with h.erp().client() as erp:
        items = erp.read_bom(ASSEMBLY, "1000").items
    return {
        int(i["BillOfMaterialItemNumber"]): (
            i["BillOfMaterialComponent"],
            Decimal(str(i["BillOfMaterialItemQuantity"])),
        )
        for i in items
    }


def test_sandbox_change_releases_a_change_order_that_the_next_sync_carries_to_the_erp(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync(ASSEMBLY).success

        result = run_change(h, "--line", "20", "--quantity", "6")

        assert result.exit_code == 0, result.output
        change_number = result.output.split()[0]
        assert change_number.startswith("ECO-")
        assert h.sync(ASSEMBLY).success
        assert erp_lines(h)[20][1] == Decimal("6")
        with h.erp().client() as erp:
            [item] = [i for i in erp.read_bom(ASSEMBLY, "1000").items if int(i["BillOfMaterialItemNumber"]) == 20]
        assert item["_change_number"] == change_number


def test_sandbox_change_adds_and_removes_lines(tmp_path):
    with sync_harness(tmp_path) as h:
        assert h.sync(ASSEMBLY).success
        before = erp_lines(h)
        component = before[60][0]

        result = run_change(h, "--remove", "90", "--add", f"100:{component}:2")

        assert result.exit_code == 0, result.output
        assert h.sync(ASSEMBLY).success
        after = erp_lines(h)
        assert 90 not in after
        assert after[100] == (component, Decimal("2"))
        assert len(after) == len(before)


def test_sandbox_change_names_a_line_the_item_does_not_have(tmp_path):
    with sync_harness(tmp_path) as h:
        result = run_change(h, "--line", "999", "--quantity", "1")

        assert result.exit_code != 0
        assert f"item {ASSEMBLY} has no BOM line 999" in result.output
        assert run_change(h, "--line", "20", "--quantity", "6").exit_code == 0, "no change order was left open"
