"""Logging in to a real Tryton: a session, the server version, and a typed error for a bad password."""

import pytest

from orchestration.tryton_postgres import PostgresTrytonServer
from resources.transport import AuthError, ClientError

from .support import resource

pytestmark = pytest.mark.tryton


def test_the_connection_check_logs_in_and_reports_the_server_version(tryton_server):
    facts = resource(tryton_server).test_connection()

    assert facts["ok"] is True
    assert facts["version"] == "8.2"
    assert facts["latency_s"] >= 0


def test_a_bad_password_is_a_fatal_auth_error_naming_the_user_and_database(tryton_server):
    with resource(tryton_server, password="not-the-password").client() as tryton, pytest.raises(AuthError) as caught:
        tryton.read_materials(["ASM-10002"])

    assert caught.value.retryable is False
    assert "'admin'" in caught.value.message and tryton_server.database in caught.value.message


def test_the_password_never_appears_in_the_connection_facts(tryton_server):
    facts = resource(tryton_server).test_connection()

    assert tryton_server.password not in repr(facts)
    assert tryton_server.password not in repr(resource(tryton_server))


def test_a_call_too_large_for_sqlite_fails_whole_there_and_postgresql_takes_it_whole(tryton_server):
    too_many = [
        {"name": f"P{n}", "type": "goods", "default_uom": 1, "code": f"OVERFLOW-{n}", "products": [["create", [{}]]]}
        for n in range(400)
    ]

    with resource(tryton_server).client() as tryton:
        if isinstance(tryton_server, PostgresTrytonServer):  # no parser limit: one call, one transaction
            tryton.rpc.model("product.template", "create", too_many)
            assert len(tryton.read_materials([f"OVERFLOW-{n}" for n in range(400)])) == 400
            return
        with pytest.raises(ClientError) as caught:
            tryton.rpc.model("product.template", "create", too_many)
        assert tryton.read_materials(["OVERFLOW-0"]) == {}

    assert caught.value.retryable is False and caught.value.code == "ServerException"
    assert caught.value.route == "model.product.template.create" and "recursion" in caught.value.message
