"""Registers newly released top-level assemblies of the PLM as `assemblies` partitions."""

import dagster as dg

from assets.partitions import assemblies
from resources.plm import PLMResource
from resources.plm.extract_cache import released_top_assemblies
from resources.state import SyncStateResource


@dg.sensor(
    name="released_assemblies_sensor",
    minimum_interval_seconds=15 * 60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Adds a partition for every released top-level assembly the PLM has and Dagster does not "
    "(looks again only when the PLM's change feed shows a new release).",
)
def released_assemblies_sensor(
    context: dg.SensorEvaluationContext, plm: PLMResource, sync_state: SyncStateResource
) -> dg.SensorResult | dg.SkipReason:
    with plm.client(logger=context.log) as client:
        released = released_top_assemblies(client, sync_state.store().plm_cache)
    known = set(context.instance.get_dynamic_partitions(assemblies.name))
    new = [number for number in released if number not in known]
    if not new:
        return dg.SkipReason(f"all {len(released)} released top-level assemblies are registered")
    context.log.info(f"registering {len(new)} new assemblies: {', '.join(new)}")
    return dg.SensorResult(dynamic_partitions_requests=[assemblies.build_add_request(new)])
