"""ERP connections switched on or off from the command line; what is not switched keeps the file's default."""

from __future__ import annotations

from sqlalchemy import select

from resources.state.engine import StateDatabase
from resources.state.schema import ConnectionSwitchRow, utcnow
from resources.state.sql import upsert


class ConnectionSwitches:
    """`connection -> enabled` as last set by `mfg-sync connections enable|disable`."""

    def __init__(self, db: StateDatabase) -> None:
        self._db = db

    def set(self, connection: str, enabled: bool) -> None:
        row = {"connection": connection, "enabled": enabled, "changed_at": utcnow()}
        with self._db.write() as conn:
            upsert(conn, ConnectionSwitchRow, [row], ["connection"], ["enabled", "changed_at"])

    def all(self) -> dict[str, bool]:
        with self._db.read() as conn:
            rows = conn.execute(select(ConnectionSwitchRow.connection, ConnectionSwitchRow.enabled)).all()
        return {name: bool(enabled) for name, enabled in rows}
