"""The triggers are part of the one Definitions object, and their commands are on the `mfg-sync` CLI."""

from click.testing import CliRunner

from orchestration.cli import main
from orchestration.definitions import defs
from resources.alerts import AlertResource


def test_definitions_hold_the_sensors_schedules_and_alerts_resource():
    assert {"plm_change_sensor", "bom_sync_failure_sensor"} <= {s.name for s in defs.sensors}
    assert {"bom_sync_business_hours", "bom_sync_weekly_full"} <= {s.name for s in defs.schedules}
    assert isinstance(defs.resources["alerts"], AlertResource)
    assert defs.resolve_job_def("bom_sync").op_retry_policy.max_retries == 3


def test_the_cli_offers_webhooks_serve_and_breaker_status():
    runner = CliRunner()
    serve = runner.invoke(main, ["webhooks", "serve", "--help"])
    status = runner.invoke(main, ["breaker", "status", "--help"])
    assert serve.exit_code == 0 and "--port" in serve.output and "8090" in serve.output
    assert status.exit_code == 0 and "--flow" in status.output
