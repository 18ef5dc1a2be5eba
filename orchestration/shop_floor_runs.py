"""Shop-floor jobs run in this process (recorded in DAGSTER_HOME), for `mfg-sync sync shop-floor` and the demo."""

from __future__ import annotations

from typing import Any

from orchestration import bom_runs


def run_job(job_name: str, trigger: str = "cli") -> tuple[Any, dict[str, dict[str, Any]], str]:
    """One job run in this process (recorded in DAGSTER_HOME): (result, metadata per asset, first error)."""
    from orchestration.definitions import defs  # imports every asset: only when a run is wanted

    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=bom_runs.instance(),
        run_config=bom_runs.QUIET_CONSOLE,
        raise_on_error=False,
        tags={"mfg-sync/trigger": trigger},
    )
    found = {
        e.event_specific_data.materialization.asset_key.to_user_string(): {
            k: v.value for k, v in e.event_specific_data.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }
    error = ""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and not error:
            failure = event.event_specific_data.error
            error = failure.message.strip().splitlines()[0] if failure else event.message or "step failed"
    return result, found, error
