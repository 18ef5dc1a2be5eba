"""A Tryton server stopped in the middle of a sync: the apply fails with a typed retryable error; after a
restart a re-run converges with no duplicate product and no half BOM."""

import json

import pytest

from orchestration.tryton_server import TrytonServer
from resources.erp.tryton.client import TrytonERPClient
from resources.erp.tryton.flow import sync_bom
from resources.erp.tryton.rpc import TrytonRPC, TrytonSession
from resources.transport import ApiClient, HookBase, RetryableError, TransientError
from sync.mapping import map_released_bom

from .support import released_bom, resource, tryton_contents, write_calls

pytestmark = pytest.mark.tryton
ASSEMBLY = "ASM-10002"


class StopServerAfter(HookBase):
    """Stops the real server right after it has answered the first call of `method` (that call committed)."""

    def __init__(self, server: TrytonServer, method: str) -> None:
        self.server, self.method, self.fired = server, method, False

    def after_response(self, client, request, response) -> bool:
        if not self.fired and json.loads(request.content or b"{}").get("method") == self.method:
            self.fired = True
            self.server.stop()
        return False


@pytest.fixture
def fresh_server(tryton_template, tmp_path):
    venv, template = tryton_template
    server = TrytonServer(venv=venv, run_dir=tmp_path / "tryton", template=template).start()
    try:
        yield server
    finally:
        server.stop()


def _client_with(server: TrytonServer, hook: HookBase) -> TrytonERPClient:
    settings = resource(server)
    api = ApiClient(
        "tryton",
        server.url,
        policy=settings.policy(),
        hooks=[hook],
        auth=TrytonSession(server.database, server.user, server.password),
    )
    return TrytonERPClient(TrytonRPC(api, server.database))


@pytest.mark.parametrize("stop_after", ["model.product.template.create", "model.production.bom.create"])
def test_a_server_stopped_mid_sync_fails_retryable_and_a_rerun_after_restart_converges(
    fresh_server, plm_url, tryton_spec, stop_after
):
    bom = released_bom(plm_url, ASSEMBLY)
    mapped = map_released_bom(tryton_spec, bom.parts, bom.lines)
    hook = StopServerAfter(fresh_server, stop_after)

    with _client_with(fresh_server, hook) as tryton, pytest.raises(RetryableError) as caught:
        sync_bom(tryton, tryton_spec, bom.parts, bom.lines)
    assert hook.fired and isinstance(caught.value, TransientError)

    fresh_server.start()
    with resource(fresh_server).client() as tryton:
        sync_bom(tryton, tryton_spec, bom.parts, bom.lines)
        tryton.metrics.reset()
        sync_bom(tryton, tryton_spec, bom.parts, bom.lines)
        assert write_calls(tryton.metrics.snapshot()) == {}
    contents = tryton_contents(fresh_server)

    assert sorted(contents["products"]) == sorted(mapped.materials)  # each once: codes are the keys
    assert len(contents["boms"]) == len(mapped.bom_headers)  # a version committed before the stop is reused
    for material, [bom_id] in contents["current"].items():
        wanted = {i["BillOfMaterialComponent"] for i in mapped.bom_items.values() if i["Material"] == material}
        assert set(contents["boms"][bom_id]["lines"]) == wanted
