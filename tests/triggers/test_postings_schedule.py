"""The postings schedule (every 15 minutes, behind the maintenance breaker) and the EAM webhook secret's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from orchestration.triggers_config import eam_webhook_secrets
from resources.state import SyncStateResource
from resources.trigger_settings import TriggerSettingsError
from schedules.maintenance_postings import build_postings_schedule
from sync.flows import MAINTENANCE_FLOW

SCHEDULE = build_postings_schedule()


def tick(state: SyncStateResource, at: datetime):
    with dg.build_schedule_context(scheduled_execution_time=at, resources={"sync_state": state}) as context:
        return SCHEDULE(context)


@pytest.fixture
def state(tmp_path) -> SyncStateResource:
    return SyncStateResource(url=f"sqlite:///{tmp_path / 'state.db'}")


def test_it_ticks_every_15_minutes_and_requests_the_day_it_falls_on(state):
    assert SCHEDULE.cron_schedule == "*/15 * * * *"
    [request] = tick(state, datetime(2026, 12, 1, 10, 30, tzinfo=UTC))
    assert (request.partition_key, request.run_key) == ("2026-12-01", "postings:2026-12-01:2026-12-01T10:30+00:00")


def test_the_first_tick_of_a_day_also_posts_the_day_before(state):
    requests = tick(state, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert [r.partition_key for r in requests] == ["2026-11-30", "2026-12-01"]


def test_an_open_maintenance_breaker_skips_the_tick_with_its_reason(state):
    store = state.store()
    store.upgrade()
    for n in range(3):
        store.finish_run(store.start_run(MAINTENANCE_FLOW, "2026-12-01", f"failed-{n}"), "failed", {})
    result = tick(state, datetime(2026, 12, 1, 10, 30, tzinfo=UTC))
    assert isinstance(result, dg.SkipReason) and "breaker" in result.skip_message.lower()


def test_the_eam_webhook_secret_comes_from_the_environment_and_rotates():
    assert eam_webhook_secrets({"MFG_SYNC_EAM_WEBHOOK_SECRET": "old-key new-key"}) == (b"old-key", b"new-key")
    assert eam_webhook_secrets({}) == ()  # no secret: no EAM route


def test_the_sandbox_eam_secret_is_refused_for_an_eam_that_is_no_local_sandbox():
    env = {
        "MFG_SYNC_EAM_WEBHOOK_SECRET": "mfg-sync-sandbox-eam-publish-secret",
        "MFG_SYNC_EAM_URL": "https://maximo.plant.example.com",
    }
    with pytest.raises(TriggerSettingsError, match="MFG_SYNC_EAM_WEBHOOK_SECRET holds the sandbox"):
        eam_webhook_secrets(env)
