"""Production deployment: the real BOM sync recorded in a Dagster instance loaded from deploy/dagster.yaml.

Dagster's runs, event log and partitions live in a fresh PostgreSQL database; the state store lives in a
fresh schema on the same server. Every assertion reads PostgreSQL (or the ERP) itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest
from sqlalchemy import create_engine, text

from assets import assets_and_checks
from assets.jobs import BOM_SYNC_SELECTION
from assets.partitions import assemblies
from orchestration.settings import load_mapping_spec
from resources.state import SyncStateResource
from resources.state.store import normalise_url
from sync.keys import split_key
from sync.mapping import map_released_bom
from tests.deploy.conftest import PostgresDeployment
from tests.sync_harness import SyncHarness, sync_harness

pytestmark = pytest.mark.postgres

ASSEMBLY = "ASM-10004"  # the control cabinet: a small BOM, a few seconds to sync
SYNC_ASSETS = {"plm/parts", "plm/bom_lines", "erp/material_plan", "erp/bom_plan", "erp/materials", "erp/boms"}


@dataclass
class SyncedOnPostgres:
    deployment: PostgresDeployment
    harness: SyncHarness
    result: dg.ExecuteInProcessResult

    def dagster_db(self, sql: str, **params) -> list:
        engine = create_engine(self.deployment.dagster_db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def state_db(self, sql: str, **params) -> list:
        engine = create_engine(normalise_url(self.deployment.state_url))
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql.replace("{schema}", self.deployment.state_schema)), params))
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def synced(pg_deployment: PostgresDeployment, tmp_path_factory) -> Iterator[SyncedOnPostgres]:
    """ASM-10004 synced once, the way SyncHarness.sync does it, but on the PostgreSQL instance and state store."""
    with sync_harness(tmp_path_factory.mktemp("sync")) as h:
        instance = pg_deployment.instance
        instance.add_dynamic_partitions(assemblies.name, [ASSEMBLY])
        resources = {
            **h.resources(),
            "sync_state": SyncStateResource(url=pg_deployment.state_url, db_schema=pg_deployment.state_schema),
        }
        result = dg.materialize(
            assets_and_checks(),
            selection=BOM_SYNC_SELECTION,
            partition_key=ASSEMBLY,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        yield SyncedOnPostgres(pg_deployment, h, result)


def test_the_instance_from_deploy_yaml_stores_everything_in_postgres(pg_deployment):
    instance = pg_deployment.instance
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    pools = instance.get_concurrency_config().pool_config
    assert pools.default_pool_limit == 2


def test_the_sync_succeeds_on_the_postgres_instance(synced):
    assert synced.result.success


def test_the_run_is_recorded_in_the_postgres_runs_table(synced):
    rows = synced.dagster_db("SELECT status FROM runs WHERE run_id = :run_id", run_id=synced.result.run_id)
    assert [row.status for row in rows] == ["SUCCESS"]


def test_the_run_is_tagged_with_its_assembly_partition_in_postgres(synced):
    rows = synced.dagster_db(
        "SELECT value FROM run_tags WHERE run_id = :run_id AND key = 'dagster/partition'", run_id=synced.result.run_id
    )
    assert [row.value for row in rows] == [ASSEMBLY]


def test_every_sync_asset_materialization_is_in_the_postgres_event_log(synced):
    rows = synced.dagster_db(
        "SELECT asset_key, partition FROM event_logs WHERE run_id = :run_id "
        "AND dagster_event_type = 'ASSET_MATERIALIZATION'",
        run_id=synced.result.run_id,
    )
    stored = {dg.AssetKey.from_db_string(row.asset_key).to_user_string() for row in rows}
    assert stored == SYNC_ASSETS
    assert {row.partition for row in rows} == {ASSEMBLY}


def test_the_read_back_checks_are_stored_as_passed_in_postgres(synced):
    rows = synced.dagster_db(
        "SELECT check_name, execution_status FROM asset_check_executions WHERE run_id = :run_id",
        run_id=synced.result.run_id,
    )
    statuses = {row.check_name: row.execution_status for row in rows}
    assert {"bom_structure", "materials_match_plan", "boms_match_plan"} <= statuses.keys()
    assert set(statuses.values()) == {"SUCCEEDED"}


def test_the_assembly_partition_is_registered_in_postgres(synced):
    rows = synced.dagster_db(
        "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = :name", name=assemblies.name
    )
    assert [row.partition for row in rows] == [ASSEMBLY]


def test_a_second_instance_over_the_same_database_sees_the_run_and_its_materializations(synced):
    # what dagster-webserver / dagster-daemon on another host would load from the same dagster.yaml
    other = synced.deployment.reload()
    try:
        run = other.get_run_by_id(synced.result.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        latest = other.get_latest_materialization_event(dg.AssetKey.from_user_string("erp/boms"))
        assert latest is not None and latest.run_id == synced.result.run_id
    finally:
        other.dispose()


def test_the_erp_holds_the_released_bom_of_the_assembly(synced):
    spec = load_mapping_spec()
    with synced.harness.plm().client() as plm:
        released = plm.released_bom(ASSEMBLY)
    desired = map_released_bom(spec, released.parts, released.lines).desired()
    with synced.harness.erp().client() as erp:
        assert set(erp.read_materials(desired["material"])) == set(desired["material"])
        erp_items = 0
        for header_key in desired["bom_header"]:
            bom = erp.read_bom(*split_key(header_key))
            assert bom is not None, f"no released ERP BOM for {header_key}"
            erp_items += len(bom.items)
    assert erp_items == len(desired["bom_item"])


def test_the_state_store_run_is_in_its_postgres_schema(synced):
    rows = synced.state_db('SELECT flow, partition, status, dagster_run_id, created FROM "{schema}".sync_runs')
    assert len(rows) == 1
    run = rows[0]
    assert (run.partition, run.status, run.dagster_run_id) == (ASSEMBLY, "succeeded", synced.result.run_id)
    assert run.created > 0


def test_the_state_store_remembers_every_written_record_in_postgres(synced):
    counts = dict(synced.state_db('SELECT entity, count(*) FROM "{schema}".record_state GROUP BY entity'))
    audited = synced.state_db('SELECT count(*) FROM "{schema}".audit_log')[0][0]
    assert {"material", "bom_header", "bom_item"} <= counts.keys()
    assert audited == sum(counts.values())


def test_the_sync_steps_took_their_pool_slots_in_postgres_and_gave_them_back(synced):
    storage = synced.deployment.instance.event_log_storage
    for pool in ("plm_api", "erp_api"):
        info = storage.get_concurrency_info(pool)
        assert info.slot_count == 2, pool  # the default_limit from deploy/dagster.yaml
        assert info.active_slot_count == 0 and info.pending_step_count == 0, pool
    claimed = synced.dagster_db("SELECT DISTINCT concurrency_key FROM concurrency_slots")
    assert {row.concurrency_key for row in claimed} >= {"plm_api", "erp_api"}
