"""From a released PLM change to ERP writes: PLM webhook -> receiver -> drop -> sensor tick -> bom_sync runs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import dagster as dg

from orchestration.webhooks import receiving, subscribe_plm
from resources.alerts import AlertResource
from sensors.plm_changes import plm_change_sensor
from tests.triggers.support import change_event, post, run_bom_sync_job, signed_delivery, wait_for_drops


def tick(instance, harness, cursor=None):
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"plm": harness.plm(), "sync_state": harness.state(), "alerts": AlertResource()},
    ) as context:
        return plm_change_sensor(context)


def test_a_released_subassembly_change_syncs_both_parent_assemblies_to_the_erp(harness, store, instance):
    with receiving(store) as receiver:
        subscribe_plm(harness.url("plm"), receiver.plm_url)
        change = harness.release_bom_change("ASM-10006", {30: Decimal("7")})
        [drop] = wait_for_drops(store, 1)
    assert drop.payload["data"]["number"] == change

    result = tick(instance, harness)

    assert sorted(r.partition_key for r in result.run_requests) == ["ASM-10001", "ASM-10002"]
    assert sorted(result.dynamic_partitions_requests[0].partition_keys) == ["ASM-10001", "ASM-10002"]
    assert store.webhook_drops_after(0, unprocessed_only=True) == []
    # ASM-10001 (the 600-part pump skid, ~25 s) gets the same run; ASM-10002 proves the change reaches the ERP
    request = next(r for r in result.run_requests if r.partition_key == "ASM-10002")
    run = run_bom_sync_job(harness.resources(), instance, request.partition_key, tags=request.tags)
    assert run.success
    with harness.erp().client() as erp:
        bom = erp.read_bom("ASM-10006", "1000")
    assert {i["BillOfMaterialItemNumber"]: i["BillOfMaterialItemQuantity"] for i in bom.items}["0030"] == Decimal("7")


def test_500_concurrent_deliveries_leave_500_drops_each_turned_into_runs_once(harness, receiver, store, instance):
    items = ["ASM-10006", "ASM-10004", "PRT-200255"]
    deliveries = [signed_delivery(change_event(f"ECO-{n}", items[n % 3])) for n in range(500)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda d: post(receiver.plm_url, *d).status_code, deliveries))
    assert statuses == [202] * 500
    assert len(store.webhook_drops_after(0, limit=1000)) == 500

    first = tick(instance, harness)
    wanted = {"ASM-10001", "ASM-10002", "ASM-10004"}  # PRT-200255 sits in ASM-10006
    assert sorted(r.partition_key for r in first.run_requests) == sorted(wanted)
    assert store.webhook_drops_after(0, limit=1000, unprocessed_only=True) == []

    again = tick(instance, harness, cursor=first.cursor)
    assert isinstance(again, dg.SkipReason)
    replayed = tick(instance, harness, cursor=None)  # a tick that crashed before its cursor moved
    assert {r.run_key for r in replayed.run_requests} == {r.run_key for r in first.run_requests}


def test_several_drops_for_one_assembly_in_a_tick_make_one_run(harness, receiver, store, instance):
    for n in range(3):
        body, headers = signed_delivery(change_event(f"ECO-{n}", "ASM-10004"))
        assert post(receiver.plm_url, body, headers).status_code == 202

    result = tick(instance, harness)

    [request] = result.run_requests
    assert request.partition_key == "ASM-10004"
    assert request.tags["mfg-sync/changes"] == "ECO-0,ECO-1,ECO-2"


def test_an_item_unknown_to_the_plm_requests_nothing_for_it_and_keeps_the_rest(harness, receiver, store, instance):
    for number in ("PRT-DOES-NOT-EXIST", "ASM-10004"):
        body, headers = signed_delivery(change_event("ECO-9", number))
        post(receiver.plm_url, body, headers)

    result = tick(instance, harness)

    assert [r.partition_key for r in result.run_requests] == ["ASM-10004"]
    assert store.webhook_drops_after(0, unprocessed_only=True) == []
