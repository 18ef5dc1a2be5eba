"""A_Product behaves like S/4HANA's API_PRODUCT_SRV: OData v2 JSON, queries, paging, deep insert, etags."""

from __future__ import annotations

import re

try:
    from tests.sandbox.erp_fixtures import PRELOADED, PRODUCT_SRV, erp, erp_server, error_code  # noqa: F401
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from erp_fixtures import PRELOADED, PRODUCT_SRV, erp, erp_server, error_code  # noqa: F401

PRODUCTS = f"{PRODUCT_SRV}/A_Product"


def test_seeded_purchased_materials_have_description_and_plant_data(erp):
    _, client = erp
    d = client.collection(PRODUCTS, **{"$expand": "to_Description,to_Plant", "$inlinecount": "allpages"})
    assert d["__count"] == "8"
    first = d["results"][0]
    assert first["Product"] == PRELOADED and first["ProductType"] in ("ROH", "HAWA")
    assert first["to_Description"]["results"][0]["Language"] == "EN"
    assert first["to_Plant"]["results"][0]["Plant"] == "1000"
    assert {p["BaseUnit"] for p in d["results"]} <= {"EA", "M", "KG", "L"}


def test_entity_carries_odata_v2_metadata_dates_and_decimals(erp):
    _, client = erp
    response = client.product(PRELOADED)
    entity = response.json()["d"]
    assert entity["__metadata"]["type"] == "API_PRODUCT_SRV.A_ProductType"
    assert entity["__metadata"]["uri"].endswith(f"/A_Product('{PRELOADED}')")
    assert response.headers["ETag"] == entity["__metadata"]["etag"]
    assert re.fullmatch(r"/Date\(\d+\)/", entity["CreationDate"])
    assert re.fullmatch(r"/Date\(\d+\+0000\)/", entity["LastChangeDateTime"])
    assert entity["GrossWeight"] == "0.000"
    assert entity["to_Description"] == {"__deferred": {"uri": f"{entity['__metadata']['uri']}/to_Description"}}


def test_unknown_product_is_404_resource_not_found(erp):
    _, client = erp
    response = client.product("NOPE")
    assert response.status_code == 404
    assert error_code(response) == "/IWBEP/CM_MGW_RT/020"
    assert response.json()["error"]["message"] == {
        "lang": "en",
        "value": "Resource not found for segment 'A_Product('NOPE')'",
    }


def test_server_driven_paging_reaches_the_last_record_through_next(erp):
    _, client = erp
    client.put("/_sandbox/settings", json={"page_size": 3}).raise_for_status()
    seen, url, pages = [], PRODUCTS + "?$inlinecount=allpages", 0
    while url:
        d = client.get(url).json()["d"]
        assert d["__count"] == "8"
        seen += [p["Product"] for p in d["results"]]
        url, pages = d.get("__next"), pages + 1
    assert pages == 3
    assert seen == sorted(seen) and len(set(seen)) == 8


def test_top_and_skip_page_through_with_inlinecount(erp):
    _, client = erp
    everything = [p["Product"] for p in client.collection(PRODUCTS)["results"]]
    pages = []
    for skip in range(0, 8, 3):
        d = client.collection(PRODUCTS, **{"$top": "3", "$skip": str(skip), "$inlinecount": "allpages"})
        assert d["__count"] == "8" and "__next" not in d
        pages += [p["Product"] for p in d["results"]]
    assert pages == everything


def test_top_beyond_page_size_continues_with_next_and_stops_at_top(erp):
    _, client = erp
    client.put("/_sandbox/settings", json={"page_size": 2}).raise_for_status()
    first = client.collection(PRODUCTS, **{"$top": "5"})
    second = client.get(first["__next"]).json()["d"]
    third = client.get(second["__next"]).json()["d"]
    assert [len(first["results"]), len(second["results"]), len(third["results"])] == [2, 2, 1]
    assert "__next" not in third


def test_filter_with_comparison_and_boolean_operators(erp):
    _, client = erp
    products = [p["Product"] for p in client.collection(PRODUCTS)["results"]]
    low, high = products[1], products[4]
    d = client.collection(
        PRODUCTS, **{"$filter": f"(Product ge '{low}' and Product lt '{high}') or Product eq '{products[7]}'"}
    )
    assert [p["Product"] for p in d["results"]] == [*products[1:4], products[7]]
    d = client.collection(PRODUCTS, **{"$filter": f"Product ne '{low}' and not (Product gt '{products[2]}')"})
    assert [p["Product"] for p in d["results"]] == [products[0], products[2]]
    d = client.collection(PRODUCTS, **{"$filter": f"Product le '{products[0]}' and IsMarkedForDeletion eq false"})
    assert [p["Product"] for p in d["results"]] == [products[0]]


def test_filter_string_literal_escapes_apostrophe(erp):
    _, client = erp
    assert client.create_product("O'BRIEN-1").status_code == 201
    d = client.collection(PRODUCTS, **{"$filter": "Product eq 'O''BRIEN-1'"})
    assert [p["Product"] for p in d["results"]] == ["O'BRIEN-1"]
    assert client.product("O''BRIEN-1").json()["d"]["Product"] == "O'BRIEN-1"


def test_filter_on_last_change_datetime_with_datetimeoffset_and_datetime_literals(erp):
    _, client = erp
    seeded = client.collection(PRODUCTS)["results"]
    latest_ms = max(int(re.search(r"\d+", p["LastChangeDateTime"]).group()) for p in seeded)
    assert client.create_product("NEW-1").status_code == 201
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp((latest_ms + 1) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    d = client.collection(PRODUCTS, **{"$filter": f"LastChangeDateTime gt datetimeoffset'{stamp}Z'"})
    assert [p["Product"] for p in d["results"]] == ["NEW-1"]
    d = client.collection(PRODUCTS, **{"$filter": "LastChangeDateTime gt datetime'2000-01-01T00:00:00'"})
    assert len(d["results"]) == 9
    d = client.collection(PRODUCTS, **{"$filter": "LastChangeDateTime lt datetime'2000-01-01T00:00:00'"})
    assert d["results"] == []


def test_bad_filter_is_400_naming_the_problem(erp):
    _, client = erp
    response = client.get(PRODUCTS, params={"$filter": "Colour eq 'red'"})
    assert response.status_code == 400
    assert "Colour" in response.json()["error"]["message"]["value"]


def test_orderby_desc_and_select(erp):
    _, client = erp
    d = client.collection(PRODUCTS, **{"$orderby": "Product desc", "$select": "Product,BaseUnit", "$top": "2"})
    first = d["results"][0]
    assert set(first) == {"__metadata", "Product", "BaseUnit"}
    assert d["results"][0]["Product"] > d["results"][1]["Product"]


def test_create_with_deep_insert_reads_back(erp):
    _, client = erp
    created = client.create_product(
        "asm-10001", unit="EA", product_type="FERT", description="Pump skid 40 kW", ProductGroup="PUMPS"
    )
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/A_Product('ASM-10001')")  # material numbers are upper-cased
    read = client.product("ASM-10001", **{"$expand": "to_Description,to_Plant"}).json()["d"]
    assert read["ProductType"] == "FERT" and read["ProductGroup"] == "PUMPS"
    assert read["to_Description"]["results"][0]["ProductDescription"] == "Pump skid 40 kW"
    assert read["to_Plant"]["results"][0]["ProcurementType"] == "E"


def test_duplicate_product_is_rejected_with_its_code(erp):
    _, client = erp
    response = client.create_product(PRELOADED)
    assert response.status_code == 400
    assert error_code(response) == "M3/302"
    assert PRELOADED in response.json()["error"]["message"]["value"]


def test_unknown_base_unit_is_rejected_and_nothing_is_stored(erp):
    _, client = erp
    response = client.create_product("BAD-UNIT-1", unit="FUR")
    assert response.status_code == 400
    assert error_code(response) == "M3/349"
    assert client.product("BAD-UNIT-1").status_code == 404


def test_description_longer_than_40_characters_is_rejected(erp):
    _, client = erp
    response = client.create_product("LONG-1", description="x" * 41)
    assert response.status_code == 400
    assert "ProductDescription" in response.json()["error"]["message"]["value"]


def test_unknown_property_is_rejected(erp):
    _, client = erp
    response = client.create_product("PROP-1", Colour="red")
    assert response.status_code == 400
    assert "Colour" in response.json()["error"]["message"]["value"]


def test_patch_with_current_etag_updates_and_returns_new_etag(erp):
    _, client = erp
    etag = client.product(PRELOADED).headers["ETag"]
    response = client.patch(f"{PRODUCTS}('{PRELOADED}')", json={"ProductGroup": "NEWGRP"}, headers={"If-Match": etag})
    assert response.status_code == 204
    assert response.headers["ETag"] != etag
    assert client.product(PRELOADED).json()["d"]["ProductGroup"] == "NEWGRP"


def test_stale_etag_is_412_and_missing_if_match_is_428(erp):
    _, client = erp
    etag = client.product(PRELOADED).headers["ETag"]
    client.patch(f"{PRODUCTS}('{PRELOADED}')", json={"ProductGroup": "A"}, headers={"If-Match": etag})
    stale = client.patch(f"{PRODUCTS}('{PRELOADED}')", json={"ProductGroup": "B"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    missing = client.patch(f"{PRODUCTS}('{PRELOADED}')", json={"ProductGroup": "B"})
    assert missing.status_code == 428
    assert client.product(PRELOADED).json()["d"]["ProductGroup"] == "A"


def test_merge_tunnelled_through_post(erp):
    _, client = erp
    etag = client.product(PRELOADED).headers["ETag"]
    response = client.post(
        f"{PRODUCTS}('{PRELOADED}')",
        json={"IsMarkedForDeletion": True},
        headers={"X-HTTP-Method": "MERGE", "If-Match": etag},
    )
    assert response.status_code == 204
    assert client.product(PRELOADED).json()["d"]["IsMarkedForDeletion"] is True


def test_delete_of_a_product_is_refused_in_favour_of_the_deletion_flag(erp):
    _, client = erp
    response = client.delete(f"{PRODUCTS}('{PRELOADED}')")
    assert response.status_code == 405
    assert "IsMarkedForDeletion" in response.json()["error"]["message"]["value"]


def test_description_change_bumps_the_products_change_stamp(erp):
    _, client = erp
    before = client.product(PRELOADED).headers["ETag"]
    response = client.patch(
        f"{PRODUCT_SRV}/A_ProductDescription(Product='{PRELOADED}',Language='EN')",
        json={"ProductDescription": "Renamed"},
    )
    assert response.status_code == 204
    after = client.product(PRELOADED, **{"$expand": "to_Description"})
    assert after.headers["ETag"] != before
    assert after.json()["d"]["to_Description"]["results"][0]["ProductDescription"] == "Renamed"


def test_wrong_method_and_unknown_segment_answer_in_odata_shape(erp):
    _, client = erp
    wrong = client.delete(PRODUCTS)
    assert wrong.status_code == 405 and error_code(wrong) == "/IWBEP/CM_MGW_RT/004"
    unknown = client.get(f"{PRODUCT_SRV}/A_Customer")
    assert unknown.status_code == 404 and error_code(unknown) == "/IWBEP/CM_MGW_RT/020"


def test_service_root_metadata_and_head_csrf_fetch(erp):
    _, client = erp
    assert client.get(PRODUCT_SRV).json()["d"]["EntitySets"][0] == "A_Product"
    metadata = client.get(f"{PRODUCT_SRV}/$metadata")
    assert metadata.status_code == 200 and '<EntityType Name="A_ProductType">' in metadata.text
    head = client.head(f"{PRODUCT_SRV}/", headers={"X-CSRF-Token": "Fetch"})
    assert head.status_code == 200 and head.headers["X-CSRF-Token"]
