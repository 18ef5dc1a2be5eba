"""Leases: named locks in the state store, so runs on different processes or workers never write the same
shared record (a subassembly's BOM, a material) at the same time.

A lease is one row per name. Taking a set of names is all-or-nothing in one transaction (so two runs can
never each hold half of what the other needs); a holder that cannot take them all waits and tries again.
A held lease is renewed in the background while its holder lives; one whose holder died (`kill -9`, a lost
worker) expires after `ttl_s` and is taken over. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from resources.state.engine import StateDatabase
from resources.state.errors import StateStoreError
from resources.state.schema import LeaseRow, utcnow
from resources.state.sql import chunks, dialect_insert

DEFAULT_TTL_S = 120.0
DEFAULT_WAIT_S = 1800.0  # a first sync of a large assembly may hold its BOMs for minutes


class LeaseTimeout(StateStoreError):
    """The names stayed held by another holder for longer than the caller would wait."""


class Leases:
    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def try_take(self, names: Iterable[str], holder: str, ttl_s: float = DEFAULT_TTL_S) -> list[str]:
        """Take every name, or none: returns [] when taken, else the names held by others (nothing taken)."""
        names = sorted(set(names))
        now = utcnow()
        expires = now + timedelta(seconds=ttl_s)
        try:
            with self._db.write() as conn:
                for chunk in chunks(names):
                    # expired leases (their holder died) are free; our own are re-entrant
                    conn.execute(
                        delete(LeaseRow).where(
                            LeaseRow.name.in_(chunk), (LeaseRow.expires_at < now) | (LeaseRow.holder == holder)
                        )
                    )
                for chunk in chunks(names):
                    rows = [dict(name=n, holder=holder, acquired_at=now, expires_at=expires) for n in chunk]
                    conn.execute(dialect_insert(conn)(LeaseRow).values(rows))
        except IntegrityError:
            return self.held_by_others(names, holder)
        return []

    def held_by_others(self, names: Iterable[str], holder: str) -> list[str]:
        held: list[str] = []
        with self._db.read() as conn:
            for chunk in chunks(sorted(set(names))):
                stmt = select(LeaseRow.name).where(LeaseRow.name.in_(chunk), LeaseRow.holder != holder)
                held += conn.execute(stmt).scalars().all()
        return held or sorted(set(names))[:1]  # a race lost between insert and read: still held by someone

    def renew(self, holder: str, ttl_s: float = DEFAULT_TTL_S) -> int:
        with self._db.write() as conn:
            expires = utcnow() + timedelta(seconds=ttl_s)
            stmt = update(LeaseRow).where(LeaseRow.holder == holder).values(expires_at=expires)
            return conn.execute(stmt).rowcount

    def release(self, holder: str, names: Iterable[str] | None = None) -> int:
        """Give back `names` (all of the holder's when None); returns how many were held."""
        with self._db.write() as conn:
            if names is None:
                return conn.execute(delete(LeaseRow).where(LeaseRow.holder == holder)).rowcount
            released = 0
            for chunk in chunks(sorted(set(names))):
                stmt = delete(LeaseRow).where(LeaseRow.holder == holder, LeaseRow.name.in_(chunk))
                released += conn.execute(stmt).rowcount
            return released

    @contextmanager
    def hold(
        self,
        names: Iterable[str],
        holder: str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        wait_s: float = DEFAULT_WAIT_S,
        poll_s: float = 0.2,
        on_wait=None,
    ) -> Iterator[None]:
        """Hold every name for the block: wait while others hold any of them, renew while held, release after.

        `on_wait(held_names)` is called once when the holder has to wait (to say so in the run's log).
        """
        names = sorted(set(names))
        if not names:
            yield
            return
        deadline = time.monotonic() + wait_s
        waited = False
        while blocked := self.try_take(names, holder, ttl_s):
            if not waited and on_wait is not None:
                on_wait(blocked)
            waited = True
            if time.monotonic() > deadline:
                held = f"{len(blocked)} lease(s) still held by another run after {wait_s:g} s"
                raise LeaseTimeout(f"{held}: {blocked[:5]}")
            time.sleep(poll_s)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew_until, args=(stop, holder, ttl_s), daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            self.release(holder, names)

    def _renew_until(self, stop: threading.Event, holder: str, ttl_s: float) -> None:
        while not stop.wait(ttl_s / 3):
            self.renew(holder, ttl_s)
