"""Webhook drops insert once even when 500 inserts race from threads, each on its own connection."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from resources.state.schema import WebhookDropRow

THREADS = 25  # each checks out its own pooled connection; stays well under PostgreSQL's max_connections
EVENTS = 100
REPEATS = 5  # every event delivered 5 times: 500 inserts in all


def test_500_concurrent_webhook_inserts_store_each_event_exactly_once(new_store) -> None:
    store = new_store(pool_size=THREADS, max_overflow=0)
    store.upgrade()
    deliveries = [f"evt-{n}" for n in range(EVENTS)] * REPEATS
    random.Random(7).shuffle(deliveries)
    start = threading.Barrier(THREADS)

    def deliver(worker: int) -> list[bool]:
        start.wait()
        mine = deliveries[worker::THREADS]
        return [store.add_webhook_drop("plm", event_id, "item.released", {"event": event_id}) for event_id in mine]

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [ok for results in pool.map(deliver, range(THREADS)) for ok in results]

    assert len(outcomes) == EVENTS * REPEATS
    assert outcomes.count(True) == EVENTS
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count(func.distinct(WebhookDropRow.event_id)))).scalar_one()
        rows = conn.execute(select(func.count()).select_from(WebhookDropRow)).scalar_one()
    assert (stored, rows) == (EVENTS, EVENTS)
