"""OData v2 $batch: query parts answer one by one; a change set is all-or-nothing."""

from __future__ import annotations

try:
    from tests.sandbox.erp_fixtures import (  # noqa: F401
        PRELOADED,
        PRODUCT_SRV,
        batch_request,
        batch_statuses,
        erp,
        erp_server,
    )
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from erp_fixtures import PRELOADED, PRODUCT_SRV, batch_request, batch_statuses, erp, erp_server  # noqa: F401


def _product(number: str, unit: str = "EA") -> dict:
    return {
        "Product": number,
        "ProductType": "HALB",
        "BaseUnit": unit,
        "to_Description": [{"Language": "EN", "ProductDescription": f"Part {number}"}],
    }


def _send(client, parts):
    content_type, body = batch_request(parts)
    return client.post(f"{PRODUCT_SRV}/$batch", content=body, headers={"Content-Type": content_type})


def test_failed_change_set_stores_nothing_while_a_valid_one_commits(erp):
    _, client = erp
    writes_before = client.stats()["writes"]
    response = _send(
        client,
        [
            [("POST", "A_Product", _product("BATCH-1")), ("POST", "A_Product", _product("BATCH-2", unit="XYZ"))],
            [("POST", "A_Product", _product("BATCH-3")), ("POST", "A_Product", _product("BATCH-4"))],
        ],
    )
    assert response.status_code == 202
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    assert batch_statuses(response) == [400, 201, 201]  # one error for the whole first change set
    assert '"M3/349"' in response.text
    assert client.product("BATCH-1").status_code == 404
    assert client.product("BATCH-3").status_code == 200 and client.product("BATCH-4").status_code == 200
    assert client.stats()["writes"] - writes_before == 4  # two products with a description each


def test_query_parts_answer_individually(erp):
    _, client = erp
    response = _send(
        client,
        [
            ("GET", f"A_Product('{PRELOADED}')"),
            ("GET", "A_Product('MISSING')"),
            ("GET", "A_Product?$top=2&$inlinecount=allpages"),
        ],
    )
    assert batch_statuses(response) == [200, 404, 200]
    assert f'"Product": "{PRELOADED}"' in response.text and '"__count": "8"' in response.text


def test_update_in_a_change_set_checks_the_etag(erp):
    _, client = erp
    etag = client.product(PRELOADED).headers["ETag"]
    content_type, body = batch_request([[("PATCH", f"A_Product('{PRELOADED}')", {"ProductGroup": "BATCHED"})]])
    body = body.replace("Content-Type: application/json\r\n", f"Content-Type: application/json\r\nIf-Match: {etag}\r\n")
    response = client.post(f"{PRODUCT_SRV}/$batch", content=body, headers={"Content-Type": content_type})
    assert batch_statuses(response) == [204]
    assert client.product(PRELOADED).json()["d"]["ProductGroup"] == "BATCHED"
    stale = client.post(f"{PRODUCT_SRV}/$batch", content=body, headers={"Content-Type": content_type})
    assert batch_statuses(stale) == [412]


def test_batch_without_csrf_token_is_refused(erp):
    _, client = erp
    content_type, body = batch_request([("GET", "A_Product")])
    response = client.post(
        f"{PRODUCT_SRV}/$batch", content=body, headers={"Content-Type": content_type, "X-CSRF-Token": "stale"}
    )
    assert response.status_code == 403 and response.headers["X-CSRF-Token"] == "Required"


def test_batch_without_multipart_body_is_400(erp):
    _, client = erp
    response = client.post(f"{PRODUCT_SRV}/$batch", content="{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_content_id_reference_reaches_the_entity_created_earlier_in_the_change_set(erp):
    _, client = erp
    product = {k: v for k, v in _product("BATCH-REF").items() if k != "to_Description"}
    response = _send(
        client,
        [
            [
                ("POST", "A_Product", product, "1"),
                ("POST", "$1/to_Plant", {"Plant": "1000", "ProcurementType": "E"}, "2"),
            ]
        ],
    )
    assert batch_statuses(response) == [201, 201]
    plants = client.product("BATCH-REF", **{"$expand": "to_Plant"}).json()["d"]["to_Plant"]["results"]
    assert [p["Plant"] for p in plants] == ["1000"]
