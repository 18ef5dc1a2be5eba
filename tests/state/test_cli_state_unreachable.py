"""`mfg-sync state ...` against a database that does not answer: one line naming the URL and the cause, exit 2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from sandbox.server import bind_socket

PASSWORD = "s3cret-state-pw"


@pytest.fixture
def unreachable_url() -> Iterator[str]:
    """A PostgreSQL URL whose port is bound but never listening: every connection is refused."""
    sock = bind_socket()
    try:
        yield f"postgresql://mfg:{PASSWORD}@127.0.0.1:{sock.getsockname()[1]}/state"
    finally:
        sock.close()


@pytest.mark.parametrize("argv", [["runs"], ["dead-letters"], ["history", "material", "PRT-1"], ["upgrade"]])
def test_an_unreachable_store_is_one_line_naming_the_url_and_cause_with_exit_2(unreachable_url, argv):
    result = CliRunner().invoke(main, ["state", *argv], env={"MFG_SYNC_STATE_URL": unreachable_url})

    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    port = unreachable_url.rsplit(":", 1)[1].split("/")[0]
    assert f"postgresql+psycopg2://mfg:***@127.0.0.1:{port}/state is unreachable" in line
    assert "refused" in line.lower()
    assert PASSWORD not in result.output and "Traceback" not in result.output
