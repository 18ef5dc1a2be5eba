"""The PLM's sessions: Arena's login opens one, each call renews it, and it expires when left idle."""

from __future__ import annotations

import time

from sandbox.plm.errors import ApiError
from sandbox.plm.store import PLMStore


def touch_session(store: PLMStore, session_id: str | None, lifetime_s: float) -> None:
    """Arena sessions expire after a period without activity; each call renews them."""
    if not session_id:
        raise ApiError(401, "Unauthorized: the arena_session_id header is missing.")
    now = time.time()
    with store.tx() as c:
        row = c.execute("SELECT last_used FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or now - row["last_used"] > lifetime_s:
            c.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            raise ApiError(401, "Unauthorized: the session has expired or is not valid. Log in again.")
        c.execute("UPDATE sessions SET last_used = ? WHERE id = ?", (now, session_id))


def open_session(store: PLMStore, session_id: str, email: str, single_session_per_user: bool) -> None:
    with store.tx() as c:
        if single_session_per_user:  # Arena: a second login cancels the first session
            c.execute("DELETE FROM sessions WHERE email = ?", (email,))
        c.execute("INSERT INTO sessions(id, email, last_used) VALUES (?, ?, ?)", (session_id, email, time.time()))


def close_session(store: PLMStore, session_id: str) -> None:
    with store.tx() as c:
        c.execute("DELETE FROM sessions WHERE id = ?", (session_id,))


def expire_sessions(store: PLMStore) -> int:
    """Every open session looks idle since the epoch: the next call with it is a 401."""
    with store.tx() as c:
        return c.execute("UPDATE sessions SET last_used = 0").rowcount
