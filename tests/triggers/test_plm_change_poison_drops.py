"""One poison drop must not stop every webhook-driven sync: it is quarantined with its reason and alerted once.

The poison drops are stored directly, as a receiver without item-number checks (or a hand-made row) left them.
"""

from __future__ import annotations

import secrets

import dagster as dg

from resources.alerts import AlertResource
from sensors.plm_changes import plm_change_sensor
from tests.triggers.support import AlertInbox, change_event

ITEMS = ["ASM-10004", "PRT-200255"]  # PRT-200255 sits in ASM-10006, used by ASM-10001 and ASM-10002
WANTED = ["ASM-10001", "ASM-10002", "ASM-10004"]


def tick(instance, harness, alerts, cursor=None):
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"plm": harness.plm(), "sync_state": harness.state(), "alerts": alerts},
    ) as context:
        return plm_change_sensor(context)


def drop(store, change, *items):
    assert store.add_webhook_drop(
        "plm", "msg_" + secrets.token_hex(8), "change.effective", change_event(change, *items)
    )


def test_poison_drops_are_quarantined_and_the_valid_drops_after_them_become_runs(harness, store, instance):
    drop(store, "ECO-SURROGATE", "PRT-\ud800")
    drop(store, "ECO-STAR", "*")
    for n in range(25):
        drop(store, f"ECO-{n}", ITEMS[n % 2])
    inbox = AlertInbox()
    with inbox.serving() as url:
        result = tick(instance, harness, AlertResource(webhook_url=url))

    assert sorted(r.partition_key for r in result.run_requests) == WANTED
    assert result.cursor == str(store.webhook_drops_after(0, limit=100)[-1].id)
    rejected = store.rejected_drops()
    assert [d.payload["data"]["number"] for d in rejected] == ["ECO-SURROGATE", "ECO-STAR"]
    assert "lone surrogate" in rejected[0].reason and "wildcard '*'" in rejected[1].reason
    assert all(d.status == "rejected" for d in rejected)
    assert store.webhook_drops_after(0, limit=100, unprocessed_only=True) == []
    assert len(inbox.messages) == 2 and all("quarantined" in m["text"] for m in inbox.messages)


def test_a_replayed_tick_neither_alerts_again_nor_changes_the_runs(harness, store, instance):
    drop(store, "ECO-STAR", "PRT-*")
    drop(store, "ECO-1", "ASM-10004")
    inbox = AlertInbox()
    with inbox.serving() as url:
        alerts = AlertResource(webhook_url=url)
        first = tick(instance, harness, alerts)
        replayed = tick(instance, harness, alerts, cursor=None)  # a tick that crashed before its cursor moved

    assert [r.partition_key for r in first.run_requests] == ["ASM-10004"]
    assert {r.run_key for r in replayed.run_requests} == {r.run_key for r in first.run_requests}
    assert len(store.rejected_drops()) == 1
    assert len(inbox.messages) == 1


def test_a_tick_of_only_poison_drops_still_moves_the_cursor(harness, store, instance):
    drop(store, "ECO-CTRL", "PRT-\x07")
    result = tick(instance, harness, AlertResource())

    assert result.run_requests == []
    assert result.cursor == str(store.rejected_drops()[0].id)
