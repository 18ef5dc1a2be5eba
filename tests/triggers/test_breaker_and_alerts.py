"""Failure handling: failed runs are recorded and alerted, three in a row open the breaker, a success closes it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from click.testing import CliRunner

from assets.jobs import bom_sync_retry_policy
from orchestration.cli_breaker import breaker
from resources.alerts import Alert, AlertResource
from resources.state.breaker import breaker_state
from resources.trigger_settings import ScheduleSettings, retry_delays
from schedules.bom_schedules import build_bom_sync_schedule
from sensors.plm_changes import plm_change_sensor
from sensors.run_failures import bom_sync_failure_sensor, record_failure
from sync.flows import BOM_FLOW
from tests.triggers.support import AlertInbox, evaluate_failure_sensor, run_bom_sync_job

TUESDAY_0600 = datetime(2025, 3, 11, 6, 0, tzinfo=ZoneInfo("UTC"))


def report_failure(result, instance, harness, alerts) -> None:
    """What the Dagster daemon does for a failed run: evaluate the run-failure sensor on it."""
    resources = {"sync_state": harness.state(), "alerts": alerts}
    evaluate_failure_sensor(bom_sync_failure_sensor, result, instance, resources)


def schedule_tick(instance, harness):
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=TUESDAY_0600,
        resources={"plm": harness.plm(), "sync_state": harness.state()},
    ) as context:
        return build_bom_sync_schedule(ScheduleSettings())(context)


def sensor_tick(instance, harness):
    with dg.build_sensor_context(
        instance=instance, resources={"plm": harness.plm(), "sync_state": harness.state(), "alerts": AlertResource()}
    ) as context:
        return plm_change_sensor(context)


def test_three_failed_runs_open_the_breaker_alert_once_and_a_success_closes_it(harness, instance, store):
    inbox = AlertInbox()
    with inbox.serving() as url:
        alerts = AlertResource(webhook_url=url)
        harness.faults("plm", outage=True)
        failed = [run_bom_sync_job(harness.resources(), instance, "ASM-10004") for _ in range(3)]
        for result in failed:
            assert not result.success
            report_failure(result, instance, harness, alerts)

        state = breaker_state(store, BOM_FLOW, threshold=3)
        assert state.is_open and state.failures == 3
        for skipped in (schedule_tick(instance, harness), sensor_tick(instance, harness)):
            assert isinstance(skipped, dg.SkipReason)
            assert "circuit breaker for flow 'bom_sync' is open since" in skipped.skip_message
        breaker_alerts = [m for m in inbox.messages if "Circuit breaker OPEN" in m["text"]]
        assert len(inbox.messages) == 3 and len(breaker_alerts) == 1
        assert failed[2].run_id in breaker_alerts[0]["text"]

        harness.faults("plm")
        assert run_bom_sync_job(harness.resources(), instance, "ASM-10004").success
    assert not breaker_state(store, BOM_FLOW, threshold=3).is_open
    # closed: the tick is back to deciding by PLM changes (the success left nothing to sync)
    assert schedule_tick(instance, harness).skip_message.startswith("none of 1 assemblies changed")


def test_each_alert_names_flow_partition_run_error_and_correlation_id(harness, instance, store):
    inbox = AlertInbox()
    with inbox.serving() as url:
        harness.faults("plm", outage=True)
        result = run_bom_sync_job(harness.resources(), instance, "ASM-10004")
        report_failure(result, instance, harness, AlertResource(webhook_url=url))
    [message] = inbox.messages
    text = message["text"]
    for fact in (
        "flow=bom_sync",
        "partition=ASM-10004",
        f"run={result.run_id}",
        f"correlation_id={result.run_id}",
        "unavailable",
    ):
        assert fact in text
    assert message["blocks"][0]["text"]["text"] == "bom_sync run failed for ASM-10004"
    [run] = store.recent_runs(BOM_FLOW, "ASM-10004")
    assert (run.status, run.dagster_run_id) == ("failed", result.run_id)


def test_an_undeliverable_alert_is_logged_and_does_not_break_the_sensor():
    alerts = AlertResource(webhook_url="http://127.0.0.1:9/hooks/alert-token", max_attempts=1, timeout_s=1)
    delivered = alerts.send(Alert("sync failed", "bom_sync", "ASM-10004", "run-1", "boom", "run-1"))
    assert delivered is False


def test_breaker_status_and_reset_on_the_command_line(store, monkeypatch):
    monkeypatch.setenv("MFG_SYNC_STATE_URL", str(store.engine.url))
    for n in range(3):
        record_failure(store, BOM_FLOW, "ASM-10004", f"run-{n}")
    runner = CliRunner()

    opened = runner.invoke(breaker, ["status"])
    reset = runner.invoke(breaker, ["reset", "--by", "maintenance-planner"])
    closed = runner.invoke(breaker, ["status"])

    assert opened.exit_code == 0 and opened.output.startswith("OPEN: circuit breaker for flow 'bom_sync'")
    assert "reset (was open)" in reset.output
    assert closed.output.startswith("closed:")


def test_op_retries_default_to_5_15_30_minutes_and_are_configurable():
    default = bom_sync_retry_policy(retry_delays({}))
    assert (default.max_retries, default.delay, default.backoff) == (3, 300.0, dg.Backoff.EXPONENTIAL)
    short = bom_sync_retry_policy(retry_delays({"MFG_SYNC_RETRY_DELAYS_S": "0.01,0.02"}))
    assert (short.max_retries, short.delay) == (2, 0.01)
    assert bom_sync_retry_policy(retry_delays({"MFG_SYNC_RETRY_DELAYS_S": "none"})) is None


def test_a_transient_outage_is_ridden_out_by_op_retries(harness, instance):
    harness.faults("plm", fail_next=3)  # more than one request's own retries (3 attempts) can absorb
    result = run_bom_sync_job(harness.resources(), instance, "ASM-10004", retry_policy=bom_sync_retry_policy((0.01,)))
    assert result.success
    restarts = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_RESTARTED]
    assert restarts
