"""A local Tryton server: install, a template database initialised once, start on a port, stop.

`mfg-sync tryton up` and the real-Tryton tests use this. The server runs from its own venv
(`.venv-tryton`, made by `deploy/tryton/install.sh` / `make tryton`) because trytond pins libraries of its
own. Initialising a database (`trytond-admin -u production`) takes tens of seconds, so it happens once
per pinned requirements and is cached as a SQLite template under the data dir; each server gets a copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import httpx

from orchestration.settings import REPO_ROOT, data_dir

REQUIREMENTS = REPO_ROOT / "deploy" / "tryton" / "requirements.txt"
INSTALL_SCRIPT = REPO_ROOT / "deploy" / "tryton" / "install.sh"
DEFAULT_VENV = REPO_ROOT / ".venv-tryton"
DEFAULT_PORT = 8105
DATABASE = "mfgsync"
ADMIN_USER = "admin"
ADMIN_EMAIL = "admin@mfg-sync.local"
INSTALL_TIMEOUT_S = 600
INIT_TIMEOUT_S = 600
READY_TIMEOUT_S = 60


class TrytonServerError(RuntimeError):
    """Installing, initialising or starting the local Tryton server failed (the message says which step)."""


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: float, what: str) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TrytonServerError(f"{what} did not finish within {timeout:.0f}s") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise TrytonServerError(f"{what} failed (exit {done.returncode}):\n" + "\n".join(tail))


def ensure_installed(venv: Path = DEFAULT_VENV) -> Path:
    """The Tryton venv, installed by the same script as `make tryton` (a no-op when its stamp is current)."""
    _run(["bash", str(INSTALL_SCRIPT), str(venv)], timeout=INSTALL_TIMEOUT_S, what="installing Tryton")
    return venv


def versions_key() -> str:
    """Templates are keyed by the pinned requirements, so a version bump initialises a fresh one."""
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path: Path, db_dir: Path, port: int) -> Path:
    # session.max_attempt: tests log in with a wrong password on purpose; Tryton's default (5) would then 429
    path.write_text(
        f"[database]\nuri = sqlite://\npath = {db_dir}\n\n[web]\nlisten = 127.0.0.1:{port}\n"
        "\n[session]\nmax_attempt = 50\n",
        encoding="utf-8",
    )
    return path


def _write_secret(path: Path, value: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(value, encoding="utf-8")


@dataclass(frozen=True)
class Template:
    """An initialised SQLite database file and its admin password."""

    db_file: Path
    password: str


def template_database(venv: Path, cache_dir: Path) -> Template:
    """The cached template for the pinned versions, initialising it first if needed."""
    folder = cache_dir / versions_key()
    db_file, password_file = folder / f"{DATABASE}.sqlite", folder / "admin.password"
    if db_file.exists() and password_file.exists() and (folder / "ready").exists():
        return Template(db_file, password_file.read_text(encoding="utf-8"))
    work = cache_dir / f"{versions_key()}.init-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    password = secrets.token_urlsafe(18)
    _write_secret(work / "admin.password", password)
    (work / f"{DATABASE}.sqlite").touch()
    conf = write_config(work / "trytond.conf", work, free_port())
    env = {**os.environ, "TRYTONPASSFILE": str(work / "admin.password")}
    _run(
        [
            str(venv / "bin" / "trytond-admin"),
            "-c",
            str(conf),
            "-d",
            DATABASE,
            "-u",
            "production",
            "--activate-dependencies",
            "--email",
            ADMIN_EMAIL,
        ],
        env=env,
        timeout=INIT_TIMEOUT_S,
        what="initialising the Tryton template database",
    )
    (work / "ready").touch()
    if (folder / "ready").exists():  # another process finished first: use its template
        shutil.rmtree(work, ignore_errors=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)  # a half-initialised template is never visible under its final name
    return template_database(venv, cache_dir)


@dataclass
class TrytonServer:
    """One `trytond` process serving a copy of the template database; `start()`/`stop()` may repeat."""

    venv: Path
    run_dir: Path
    template: Template
    port: int = 0
    database: str = DATABASE
    user: str = ADMIN_USER
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def password(self) -> str:
        return self.template.password

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        """Copy the template once (a restart keeps the data written so far)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        db_file = self.run_dir / f"{self.database}.sqlite"
        if not db_file.exists():
            shutil.copyfile(self.template.db_file, db_file)
        self.port = self.port or free_port()
        write_config(self.run_dir / "trytond.conf", self.run_dir, self.port)

    def start(self) -> TrytonServer:
        self.prepare()
        log = (self.run_dir / "trytond.log").open("ab")
        self.process = subprocess.Popen(
            [str(self.venv / "bin" / "trytond"), "-c", str(self.run_dir / "trytond.conf"), "-d", self.database],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_ready()
        return self

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        body = {"method": "common.server.version", "params": [], "id": 0}
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise TrytonServerError(
                    f"trytond exited with {self.process.returncode}; see {self.run_dir / 'trytond.log'}"
                )
            try:
                # 401 is an answer too: the server is up and wants a session for this call
                if httpx.post(f"{self.url}/{self.database}/rpc/", json=body, timeout=2).status_code in (200, 401):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TrytonServerError(f"trytond did not answer on {self.url} within {timeout_s:.0f}s")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM to the server's process group, SIGKILL if it has not gone after `timeout_s`."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout_s)

    def connection(self) -> dict[str, str]:
        return {"url": self.url, "database": self.database, "user": self.user, "password": self.password}

    def __enter__(self) -> TrytonServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def local_server(base_dir: Path, *, port: int = 0, venv: Path = DEFAULT_VENV, install: bool = True) -> TrytonServer:
    """A server whose template is cached under `base_dir/templates` and whose database lives in `base_dir/db`."""
    if install:
        ensure_installed(venv)
    template = template_database(venv, base_dir / "templates")
    return TrytonServer(venv=venv, run_dir=base_dir / "db", template=template, port=port)


@click.group()
def tryton() -> None:
    """A local Tryton ERP server (the real ERP behind the `tryton` connection)."""


@tryton.command("up")
@click.option(
    "--data-dir",
    "dir_",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the server keeps its database (default $MFG_SYNC_DATA_DIR/tryton).",
)
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True)
def up(dir_: Path | None, port: int) -> None:
    """Run a local Tryton server until Ctrl-C; writes tryton.json (url, database, user, password)."""
    base = (dir_ or data_dir() / "tryton").resolve()
    try:
        server = local_server(base, port=port)
        server.start()
    except TrytonServerError as exc:
        raise click.ClickException(str(exc)) from None
    _write_secret(base / "tryton.json", json.dumps(server.connection(), indent=2))
    click.echo(f"Tryton {server.url} database {server.database}; connection in {base / 'tryton.json'}")
    try:
        while server.process is not None and server.process.poll() is None:
            time.sleep(0.5)
        click.echo("trytond exited", err=True)
    except KeyboardInterrupt:
        click.echo("stopping Tryton")
    finally:
        server.stop()
