"""The shared sandbox control: faults look like the system's own errors; stats group by route."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from sandbox.control import Faults, SandboxControl
from sandbox.server import serving


def make_app(resets: list):
    control = SandboxControl(
        "toy",
        error_response=lambda status, msg: JSONResponse({"toyError": msg}, status_code=status),
        on_reset=resets.append,
        summary=lambda: {"widgets": 3},
        settings={"lifetime_s": lambda v: resets.append(("lifetime_s", v))},
        expiries={"tokens": lambda: resets.append("tokens expired") or 4},
    )

    async def widget(request):
        return PlainTextResponse(request.path_params["wid"])

    async def write(request):
        control.count_write(2)
        return PlainTextResponse("ok", status_code=201)

    app = Starlette(
        routes=[
            Route("/widgets/{wid}", widget),
            Route("/widgets", write, methods=["POST"]),
            Mount("/svc", routes=[Route("/things/{tid}", lambda request: PlainTextResponse("thing"))]),
            *control.routes(),
        ]
    )
    return control.wrap(app)


@pytest.fixture
def toy():
    resets: list = []
    with serving(make_app(resets)) as base_url, httpx.Client(base_url=base_url) as client:
        client.resets = resets
        yield client


def test_stats_group_calls_by_route_template_and_count_writes(toy):
    toy.get("/widgets/a")
    toy.get("/widgets/b")
    toy.get("/svc/things/x")
    toy.post("/widgets")
    stats = toy.get("/_sandbox/stats").json()
    assert stats["calls"] == {"GET /widgets/{wid}": 2, "GET /svc/things/{tid}": 1, "POST /widgets": 1}
    assert stats["writes"] == 2
    assert stats["status_counts"] == {"200": 3, "201": 1}


def test_outage_answers_503_with_the_systems_own_error_body(toy):
    toy.put("/_sandbox/faults", json={"outage": True})
    response = toy.get("/widgets/a")
    assert response.status_code == 503
    assert "toyError" in response.json()
    toy.delete("/_sandbox/faults")
    assert toy.get("/widgets/a").status_code == 200


def test_fail_next_fails_exactly_n_requests(toy):
    toy.put("/_sandbox/faults", json={"fail_next": 2, "fail_next_status": 502})
    statuses = [toy.get("/widgets/a").status_code for _ in range(3)]
    assert statuses == [502, 502, 200]


def test_rate_limit_answers_429_with_retry_after_and_quota_headers(toy):
    toy.put("/_sandbox/faults", json={"rate_limit": 2, "rate_window_s": 30})
    first = toy.get("/widgets/a")
    assert first.headers["X-RateLimit-Remaining"] == "1"
    toy.get("/widgets/a")
    limited = toy.get("/widgets/a")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 30


def test_error_rate_fails_about_that_share(toy):
    toy.put("/_sandbox/faults", json={"error_rate": 0.5, "error_status": 500})
    statuses = [toy.get("/widgets/a").status_code for _ in range(60)]
    assert 15 <= statuses.count(500) <= 45


def test_latency_is_added_before_the_answer(toy):
    toy.put("/_sandbox/faults", json={"latency_ms": 120})
    response = toy.get("/widgets/a")
    assert response.elapsed.total_seconds() >= 0.12


def test_unknown_fault_or_setting_is_rejected_by_name(toy):
    bad_fault = toy.put("/_sandbox/faults", json={"explode": True})
    assert bad_fault.status_code == 400 and "explode" in bad_fault.text
    bad_setting = toy.put("/_sandbox/settings", json={"nope": 1})
    assert bad_setting.status_code == 400 and "nope" in bad_setting.text
    assert toy.put("/_sandbox/settings", json={"lifetime_s": 2}).status_code == 200
    assert ("lifetime_s", 2) in toy.resets


def test_expire_ends_every_live_credential_of_a_kind_and_says_how_many(toy):
    assert toy.post("/_sandbox/expire", json={"credentials": "tokens"}).json() == {
        "credentials": "tokens",
        "expired": 4,
    }
    assert "tokens expired" in toy.resets
    unknown = toy.post("/_sandbox/expire", json={"credentials": "cookies"})
    assert unknown.status_code == 400 and "cookies" in unknown.text and "tokens" in unknown.text


def test_reset_reseeds_and_clears_faults_and_stats(toy):
    toy.put("/_sandbox/faults", json={"outage": True})
    answer = toy.post("/_sandbox/reset", json={"seed": 3}).json()
    assert answer["summary"] == {"widgets": 3}
    assert toy.resets == [{"seed": 3}]
    assert toy.get("/widgets/a").status_code == 200
    assert toy.get("/_sandbox/stats").json()["calls_total"] == 1


def test_faults_dataclass_rejects_unknown_fields():
    with pytest.raises(ValueError, match="bogus"):
        Faults().update({"bogus": 1})
