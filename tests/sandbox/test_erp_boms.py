"""MaterialBOM follows API_BILL_OF_MATERIAL_SRV;v=0002: deep insert, draft versions, ReleaseVersionBOM, checks."""

from __future__ import annotations

import pytest

try:
    from tests.sandbox.erp_fixtures import BOM_SRV, PRELOADED, erp, erp_server, error_code  # noqa: F401
except ImportError:  # tests/sandbox is not a package: pytest put its folder on sys.path
    from erp_fixtures import BOM_SRV, PRELOADED, erp, erp_server, error_code  # noqa: F401

BOMS = f"{BOM_SRV}/MaterialBOM"
ASSEMBLY = "ASM-10001"


def _item(component: str, number: str, quantity: str = "2", **fields) -> dict:
    return {
        "BillOfMaterialItemNumber": number,
        "BillOfMaterialComponent": component,
        "BillOfMaterialItemCategory": "L",
        "BillOfMaterialItemQuantity": quantity,
        **fields,
    }


def _bom(version: str = "1", items: list[dict] | None = None, **fields) -> dict:
    return {
        "Material": ASSEMBLY,
        "Plant": "1000",
        "BillOfMaterialVariantUsage": "1",
        "BillOfMaterialVariant": "1",
        "BillOfMaterialVersion": version,
        "BOMHeaderBaseUnit": "EA",
        "BOMHeaderQuantityInBaseUnit": "1",
        "to_BillOfMaterialItem": items if items is not None else [_item(PRELOADED, "0010")],
        **fields,
    }


def _release(client, version: str = "1"):
    return client.post(
        f"{BOM_SRV}/ReleaseVersionBOM",
        params={"Material": f"'{ASSEMBLY}'", "Plant": "'1000'", "BillOfMaterialVersion": f"'{version}'"},
    )


@pytest.fixture
def erp_with_assembly(erp):
    app, client = erp
    assert client.create_product(ASSEMBLY, product_type="FERT", description="Pump skid").status_code == 201
    return app, client


def test_deep_insert_creates_header_with_items(erp_with_assembly):
    _, client = erp_with_assembly
    response = client.post(
        BOMS, json=_bom(items=[_item(PRELOADED, "0010", "4", BOMItemDescription="Nut"), _item(PRELOADED, "20", "1.5")])
    )
    assert response.status_code == 201, response.text
    header = response.json()["d"]
    assert header["BillOfMaterial"] == "00000001" and header["BillOfMaterialCategory"] == "M"
    assert header["__metadata"]["type"] == "API_BILL_OF_MATERIAL_SRV.MaterialBOMType"
    items = header["to_BillOfMaterialItem"]["results"]
    assert [
        (i["BillOfMaterialItemNumber"], i["BillOfMaterialItemQuantity"], i["BillOfMaterialItemUnit"]) for i in items
    ] == [("0010", "4.000", "EA"), ("0020", "1.500", "EA")]
    assert items[0]["BillOfMaterialItemNodeNumber"] == "1" and items[0]["ComponentDescription"]


def test_read_a_materials_bom_with_filter_and_expand(erp_with_assembly):
    _, client = erp_with_assembly
    client.post(BOMS, json=_bom()).raise_for_status()
    d = client.collection(
        BOMS, **{"$filter": f"Material eq '{ASSEMBLY}' and Plant eq '1000'", "$expand": "to_BillOfMaterialItem"}
    )
    assert len(d["results"]) == 1
    assert d["results"][0]["to_BillOfMaterialItem"]["results"][0]["BillOfMaterialComponent"] == PRELOADED


def test_new_version_is_a_draft_not_visible_as_released(erp_with_assembly):
    _, client = erp_with_assembly
    header = client.post(BOMS, json=_bom()).json()["d"]
    assert header["BOMVersionStatus"] == "10" and header["IsVersionBillOfMaterial"] is True
    released = client.collection(BOMS, **{"$filter": f"Material eq '{ASSEMBLY}' and BOMVersionStatus eq '20'"})
    assert released["results"] == []


def test_release_function_releases_the_draft_and_supersedes_the_previous_version(erp_with_assembly):
    _, client = erp_with_assembly
    client.post(BOMS, json=_bom("1")).raise_for_status()
    first = _release(client, "1")
    assert first.status_code == 200, first.text
    assert first.json()["d"]["BOMVersionStatus"] == "20"
    client.post(BOMS, json=_bom("2", [_item(PRELOADED, "0010", "5")])).raise_for_status()
    assert _release(client, "2").status_code == 200
    d = client.collection(BOMS, **{"$filter": f"Material eq '{ASSEMBLY}'", "$orderby": "BillOfMaterialVersion"})
    assert [(b["BillOfMaterialVersion"], b["BOMVersionStatus"]) for b in d["results"]] == [("1", "30"), ("2", "20")]
    assert [b["BillOfMaterial"] for b in d["results"]] == ["00000001", "00000001"]


def test_released_version_cannot_be_changed(erp_with_assembly):
    _, client = erp_with_assembly
    header = client.post(BOMS, json=_bom()).json()["d"]
    _release(client).raise_for_status()
    response = client.post(f"{header['__metadata']['uri']}/to_BillOfMaterialItem", json=_item(PRELOADED, "0020"))
    assert response.status_code == 400
    assert error_code(response) == "29/160"


def test_empty_draft_cannot_be_released(erp_with_assembly):
    _, client = erp_with_assembly
    client.post(BOMS, json=_bom(items=[])).raise_for_status()
    response = _release(client)
    assert response.status_code == 400 and error_code(response) == "29/161"


def test_items_of_a_draft_can_be_added_updated_and_deleted(erp_with_assembly):
    _, client = erp_with_assembly
    header = client.post(BOMS, json=_bom()).json()["d"]
    added = client.post(f"{header['__metadata']['uri']}/to_BillOfMaterialItem", json=_item(PRELOADED, "0030", "7"))
    assert added.status_code == 201, added.text
    item_uri = added.json()["d"]["__metadata"]["uri"]
    assert client.patch(item_uri, json={"BillOfMaterialItemQuantity": "9"}).status_code == 204
    assert client.get(item_uri).json()["d"]["BillOfMaterialItemQuantity"] == "9.000"
    assert client.delete(item_uri).status_code == 204
    assert client.get(item_uri).status_code == 404


def test_unknown_component_is_rejected_with_m3_305(erp_with_assembly):
    _, client = erp_with_assembly
    response = client.post(BOMS, json=_bom(items=[_item("PRT-999999", "0010")]))
    assert response.status_code == 400
    assert error_code(response) == "M3/305"
    assert "PRT-999999" in response.json()["error"]["message"]["value"]
    assert client.collection(BOMS)["results"] == []  # the header of a failed deep insert is not stored


def test_unknown_item_unit_is_rejected(erp_with_assembly):
    _, client = erp_with_assembly
    response = client.post(BOMS, json=_bom(items=[_item(PRELOADED, "0010", BillOfMaterialItemUnit="XYZ")]))
    assert response.status_code == 400 and error_code(response) == "M3/349"


def test_bad_item_number_is_rejected(erp_with_assembly):
    _, client = erp_with_assembly
    response = client.post(BOMS, json=_bom(items=[_item(PRELOADED, "A1")]))
    assert response.status_code == 400 and error_code(response) == "29/030"


def test_duplicate_item_number_and_duplicate_version_are_rejected(erp_with_assembly):
    _, client = erp_with_assembly
    response = client.post(BOMS, json=_bom(items=[_item(PRELOADED, "0010"), _item(PRELOADED, "10")]))
    assert response.status_code == 400 and error_code(response) == "29/031"
    client.post(BOMS, json=_bom()).raise_for_status()
    again = client.post(BOMS, json=_bom())
    assert again.status_code == 400 and error_code(again) == "29/054"


def test_header_material_without_plant_data_is_rejected(erp):
    _, client = erp
    client.create_product("ASM-NOPLANT", product_type="FERT", plant=False).raise_for_status()
    response = client.post(BOMS, json={**_bom(), "Material": "ASM-NOPLANT"})
    assert response.status_code == 400 and error_code(response) == "M3/351"


def test_header_update_needs_if_match(erp_with_assembly):
    _, client = erp_with_assembly
    created = client.post(BOMS, json=_bom())
    uri = created.json()["d"]["__metadata"]["uri"]
    assert client.patch(uri, json={"BOMHeaderText": "x"}).status_code == 428
    ok = client.patch(uri, json={"BOMHeaderText": "x"}, headers={"If-Match": created.headers["ETag"]})
    assert ok.status_code == 204


def test_released_version_takes_item_changes_under_a_change_number(erp_with_assembly):
    _, client = erp_with_assembly
    header = client.post(BOMS, json=_bom()).json()["d"]
    _release(client).raise_for_status()
    added = client.post(
        f"{header['__metadata']['uri']}/to_BillOfMaterialItem",
        json={**_item(PRELOADED, "0020", "4"), "EngineeringChangeDocument": "ECO-1"},
    )
    assert added.status_code == 201, added.text
    item_uri = added.json()["d"]["__metadata"]["uri"]
    assert client.patch(item_uri, json={"BillOfMaterialItemQuantity": "6"}).status_code == 400  # no change number
    changed = client.patch(item_uri, json={"BillOfMaterialItemQuantity": "6", "EngineeringChangeDocument": "ECO-1"})
    assert changed.status_code == 204, changed.text
    assert client.delete(item_uri).status_code == 400
    assert client.delete(f"{item_uri}?EngineeringChangeDocument='ECO-1'").status_code == 204
