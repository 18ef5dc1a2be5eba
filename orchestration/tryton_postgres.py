"""A local Tryton server on PostgreSQL, as production runs Tryton: the template database is initialised once
per pinned requirements (`trytond-admin -u production`, the slow part) and each server gets its own
database made from it with `CREATE DATABASE ... TEMPLATE`, which takes milliseconds.

The tests run the real-Tryton suite on this backend as well as on SQLite. The server's `postgresql://` URI
is built from a SQLAlchemy URL of the PostgreSQL server (its user and host; trust or password auth).
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from orchestration.tryton_server import (
    ADMIN_EMAIL,
    INIT_TIMEOUT_S,
    Template,
    TrytonServer,
    _run,
    _write_secret,
    free_port,
    versions_key,
)

TEMPLATE_PREFIX = "mfgsync_tryton_template_"


def _server_url(url: str | URL) -> URL:
    """The server of a SQLAlchemy URL, with a driver SQLAlchemy has here (the URL may name psycopg2)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg2", database="postgres")


def _tryton_uri(server: URL) -> str:
    """Tryton's `[database] uri`: postgresql://user:password@host:port/ (the database comes from `-d`)."""
    auth = server.username or "postgres"
    if server.password:
        auth += f":{server.password}"
    return f"postgresql://{auth}@{server.host or '127.0.0.1'}:{server.port or 5432}/"


def write_config(path: Path, server: URL, port: int) -> Path:
    # session.max_attempt: tests log in with a wrong password on purpose; Tryton's default (5) would then 429
    path.write_text(
        f"[database]\nuri = {_tryton_uri(server)}\n\n[web]\nlisten = 127.0.0.1:{port}\n\n[session]\nmax_attempt = 50\n",
        encoding="utf-8",
    )
    return path


def _admin(server: URL):
    return create_engine(server, isolation_level="AUTOCOMMIT")


def _database_exists(server: URL, name: str) -> bool:
    engine = _admin(server)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    finally:
        engine.dispose()


def _execute(server: URL, *statements: str) -> None:
    engine = _admin(server)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def postgres_template(venv: Path, server_url: str | URL, cache_dir: Path) -> Template:
    """The initialised template database for the pinned versions on that server (made first if missing).

    `Template.db_file` names the template database; its admin password is kept beside the SQLite templates
    (mode 0600), as for them.
    """
    server = _server_url(server_url)
    name = TEMPLATE_PREFIX + versions_key()
    folder = cache_dir / f"postgresql-{versions_key()}"
    password_file = folder / "admin.password"
    if password_file.exists() and (folder / "ready").exists() and _database_exists(server, name):
        return Template(Path(name), password_file.read_text(encoding="utf-8"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    password = secrets.token_urlsafe(18)
    _write_secret(password_file, password)
    building = f"{name}_init_{os.getpid()}"
    _execute(server, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)', f'CREATE DATABASE "{building}"')
    conf = write_config(folder / "trytond.conf", server, free_port())
    args = ["-c", str(conf), "-d", building, "-u", "production", "--activate-dependencies", "--email", ADMIN_EMAIL]
    _run(
        [str(venv / "bin" / "trytond-admin"), *args],
        env={**os.environ, "TRYTONPASSFILE": str(password_file)},
        timeout=INIT_TIMEOUT_S,
        what="initialising the Tryton template database on PostgreSQL",
    )
    # renamed when complete: a half-initialised template is never visible under its final name
    _execute(
        server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'ALTER DATABASE "{building}" RENAME TO "{name}"'
    )
    (folder / "ready").touch()
    return Template(Path(name), password)


@dataclass
class PostgresTrytonServer(TrytonServer):
    """A `TrytonServer` whose database is a PostgreSQL copy of the template; `drop()` removes it."""

    server_url: str = ""

    def __post_init__(self) -> None:
        if self.database == "mfgsync":  # the SQLite default: give each server a database of its own
            self.database = f"mfgsync_{secrets.token_hex(4)}"

    def prepare(self) -> None:
        """Copy the template once (a restart keeps the data written so far)."""
        server = _server_url(self.server_url)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if not _database_exists(server, self.database):
            _execute(server, f'CREATE DATABASE "{self.database}" TEMPLATE "{self.template.db_file}"')
        self.port = self.port or free_port()
        write_config(self.run_dir / "trytond.conf", server, self.port)

    def drop(self) -> None:
        self.stop()
        _execute(_server_url(self.server_url), f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
