"""One sandbox set per module (started once), a fresh state store, topic prefix and rules per test."""

import pytest
import yaml

from assets.maintenance_spec import DEFAULT_MAINTENANCE_SPEC, MaintenanceSpecResource
from tests.condition.condition_harness import ConditionHarness, broker
from tests.maintenance.maintenance_harness import TEST_OVERLAP
from tests.sync_harness import sync_harness


@pytest.fixture(scope="module")
def systems(tmp_path_factory):
    host, port = broker()
    with sync_harness(tmp_path_factory.mktemp("condition")) as harness:
        yield ConditionHarness(harness, host, port)


@pytest.fixture
def cond(systems, tmp_path) -> ConditionHarness:
    systems.fresh_state(tmp_path)
    yield systems
    systems.close_open_requests()


@pytest.fixture
def maintenance_spec(tmp_path) -> MaintenanceSpecResource:
    spec = yaml.safe_load(DEFAULT_MAINTENANCE_SPEC.read_text(encoding="utf-8"))
    spec["extract"]["overlap_rowstamps"] = TEST_OVERLAP
    path = tmp_path / "eam_to_erp.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return MaintenanceSpecResource(path=str(path))
