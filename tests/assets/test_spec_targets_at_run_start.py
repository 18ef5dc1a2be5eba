"""A run whose mapping spec names a target field the ERP does not have fails at its start, before any write."""

import dagster as dg

from assets import assets_and_checks
from assets.jobs import BOM_SYNC_SELECTION
from assets.partitions import assemblies
from resources.mapping_spec import MappingSpecResource
from resources.settings import mapping_spec_path
from tests.sync_harness import sync_harness

ASSEMBLY = "ASM-10004"


def test_a_run_with_a_misspelt_target_field_fails_before_any_erp_write_naming_file_entity_and_field(tmp_path):
    bad = tmp_path / "misspelt.yaml"
    bad.write_text(mapping_spec_path().read_text().replace("target: ProductGroup", "target: ProductGrup"))
    with sync_harness(tmp_path) as h:
        h.instance.add_dynamic_partitions(assemblies.name, [ASSEMBLY])
        resources = {**h.resources(), "mapping_spec": MappingSpecResource(path=str(bad))}

        result = dg.materialize(
            assets_and_checks(),
            selection=BOM_SYNC_SELECTION,
            partition_key=ASSEMBLY,
            instance=h.instance,
            resources=resources,
            raise_on_error=False,
        )

        assert not result.success
        assert h.stats("erp")["writes"] == 0
        errors = [str(e.event_specific_data.error) for e in result.all_events if e.is_failure and e.event_specific_data]
        assert any(
            f"{bad}: material.ProductGrup: target field 'ProductGrup' is not a field of material" in e for e in errors
        ), errors
