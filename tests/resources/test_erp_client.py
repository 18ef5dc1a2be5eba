"""ERPClient / ERPResource against the sandbox ERP over real HTTP (SAP OData v2 shapes)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from resources.erp import ERPResource
from resources.erp.sap.batch import Operation
from resources.erp.sap.odata import decode_value, odata_filter, parse_odata_date
from resources.transport import (
    AuthError,
    PreconditionFailedError,
    RetryableError,
    ServiceUnavailableError,
    ValidationError,
)
from tests.resources import erp_fixtures
from tests.resources.erp_fixtures import ERPSandbox

erp_sandbox = erp_fixtures.erp_sandbox  # the fixture, shared without a conftest

PRODUCT_BATCH = "POST /sap/opu/odata/sap/API_PRODUCT_SRV/$batch"
CSRF_FETCH = "GET /sap/opu/odata/sap/API_PRODUCT_SRV/"


def material(number: str, unit: str = "EA", **extra: object) -> dict:
    return {
        "Product": number,
        "ProductDescription": f"Part {number}",
        "ProductType": "HALB",
        "BaseUnit": unit,
        "ProductGroup": "MECH",
        "Plant": "1000",
        "ProcurementType": "E",
        **extra,
    }


def bom_item(number: str, component: str, quantity: str) -> dict:
    return {
        "BillOfMaterialItemNumber": number,
        "BillOfMaterialComponent": component,
        "BillOfMaterialItemCategory": "L",
        "BillOfMaterialItemQuantity": Decimal(quantity),
        "BillOfMaterialItemUnit": "EA",
        "BOMItemDescription": "",
        "BOMItemText2": "",
    }


BOM_HEADER = {
    "Material": "ASM-100",
    "Plant": "1000",
    "BillOfMaterialVariantUsage": "1",
    "BOMHeaderBaseUnit": "EA",
    "BOMHeaderQuantityInBaseUnit": Decimal("1"),
}


# ---- OData helpers (pure) -----------------------------------------------------------------------------------


def test_filter_builder_quotes_strings_and_chains_in_lists() -> None:
    assert odata_filter(Product__in=["A", "O'Neil"], IsMarkedForDeletion=False) == (
        "(Product eq 'A' or Product eq 'O''Neil') and IsMarkedForDeletion eq false"
    )


def test_filter_builder_writes_datetimes_decimals_and_null() -> None:
    since = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert odata_filter(LastChangeDateTime__gt=since) == (
        "LastChangeDateTime gt datetimeoffset'2024-05-01T10:00:00.000000Z'"
    )
    assert odata_filter(CreationDate__ge=date(2024, 5, 1), Qty__lt=Decimal("1.5"), ProductGroup__ne=None) == (
        "CreationDate ge datetime'2024-05-01T00:00:00' and Qty lt 1.5M and ProductGroup ne null"
    )


def test_filter_builder_rejects_unknown_operator() -> None:
    with pytest.raises(ValueError, match="unknown OData operator 'like' for Product"):
        odata_filter(Product__like="A")


def test_wire_values_decode_to_python_types() -> None:
    assert parse_odata_date("/Date(1714557600000)/") == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert parse_odata_date("/Date(1714557600000+0000)/") == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert decode_value("BillOfMaterialItemQuantity", "2.500") == Decimal("2.500")
    assert decode_value("Product", "123") == "123"


# ---- materials ---------------------------------------------------------------------------------------------


def test_materials_round_trip_create_read_update_changed_since(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        before = datetime.now(UTC) - timedelta(milliseconds=5)
        created = erp.create_material(material("PRT-1"))
        erp.create_material(material("PRT-2", unit="KG"))
        read = erp.read_materials(["PRT-1", "prt-2", "PRT-MISSING"])
        assert sorted(read) == ["PRT-1", "PRT-2"]
        assert {k: read["PRT-1"][k] for k in material("PRT-1")} == material("PRT-1")
        assert read["PRT-2"]["BaseUnit"] == "KG"
        assert isinstance(read["PRT-1"]["_last_change"], datetime)
        updated = erp.update_material(
            "PRT-1",
            {"ProductDescription": "Hex bolt M8", "ProcurementType": "F", "ProductGroup": "FAST"},
            created["_etag"],
        )
        assert (updated["ProductDescription"], updated["ProcurementType"], updated["ProductGroup"]) == (
            "Hex bolt M8",
            "F",
            "FAST",
        )
        assert updated["_etag"] != created["_etag"]
        changed = {m["Product"] for m in erp.materials_changed_since(before)}
        assert changed == {"PRT-1", "PRT-2"}


def test_stale_etag_surfaces_as_precondition_failed(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.create_material(material("PRT-1"))
        erp.update_material("PRT-1", {"ProductGroup": "NEW"}, created["_etag"])
        with pytest.raises(PreconditionFailedError) as caught:
            erp.update_material("PRT-1", {"ProductGroup": "OTHER"}, created["_etag"])
        assert caught.value.status == 412
        assert erp.read_materials(["PRT-1"])["PRT-1"]["ProductGroup"] == "NEW"


def test_a_description_change_is_one_write_locked_by_the_etag_read_with_the_material(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.create_material(material("PRT-1"))
        erp_sandbox.control("POST", "stats/reset")
        [result] = erp.batch(
            [[Operation.update_material("PRT-1", {"ProductDescription": "Hex bolt M8"}, created["_etag"])]]
        )
        assert result.ok, result
        assert erp_sandbox.stats()["writes"] == 1
        assert erp.read_materials(["PRT-1"])["PRT-1"]["ProductDescription"] == "Hex bolt M8"


def test_a_description_change_with_a_stale_etag_is_refused(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.create_material(material("PRT-1"))
        erp.update_material("PRT-1", {"ProductGroup": "NEW"}, created["_etag"])
        [result] = erp.batch(
            [[Operation.update_material("PRT-1", {"ProductDescription": "Hex bolt M8"}, created["_etag"])]]
        )
        assert not result.ok and result.status == 412
        with pytest.raises(PreconditionFailedError):
            erp.update_material("PRT-1", {"ProductDescription": "Hex bolt M8"}, created["_etag"])
        assert erp.read_materials(["PRT-1"])["PRT-1"]["ProductDescription"] == "Part PRT-1"


def test_mark_for_deletion_sets_the_flag(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        created = erp.create_material(material("PRT-1"))
        assert erp.mark_material_for_deletion("PRT-1", created["_etag"])["_marked_for_deletion"] is True


def test_validation_error_carries_sap_code(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp, pytest.raises(ValidationError) as caught:
        erp.create_material(material("PRT-1", unit="XX"))
    assert caught.value.code and "XX" in caught.value.message


def test_basic_auth_mode_reads_and_writes(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource(auth_mode="basic").client() as erp:
        erp.create_material(material("PRT-1"))
        assert "PRT-1" in erp.read_materials(["PRT-1"])
        assert "token_fetch" not in erp.metrics.snapshot()["events"]


# ---- BOMs --------------------------------------------------------------------------------------------------


def _parts(erp, *numbers: str) -> None:
    for number in numbers:
        erp.create_material(material(number))


def test_bom_draft_is_invisible_until_released(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        _parts(erp, "ASM-100", "PRT-1", "PRT-2")
        draft = erp.create_bom(BOM_HEADER, [bom_item("10", "PRT-1", "2.5"), bom_item("20", "PRT-2", "4")])
        assert draft.status == "10" and not draft.is_released
        assert erp.read_bom("ASM-100", "1000") is None
        assert erp.read_bom("ASM-100", "1000", include_drafts=True).version == draft.version
        released = erp.release_bom_version(draft)
        active = erp.read_bom("ASM-100", "1000")
        assert released.is_released and active.version == draft.version
        assert [(i["BillOfMaterialComponent"], i["BillOfMaterialItemQuantity"]) for i in active.items] == [
            ("PRT-1", Decimal("2.500")),
            ("PRT-2", Decimal("4.000")),
        ]


def test_new_draft_version_edits_items_and_supersedes_on_release(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        _parts(erp, "ASM-100", "PRT-1", "PRT-2", "PRT-3")
        erp.create_bom(BOM_HEADER, [bom_item("10", "PRT-1", "1"), bom_item("20", "PRT-2", "1")], draft=False)
        draft = erp.create_draft_version("ASM-100", "1000")
        assert draft.version == "2" and len(draft.items) == 2
        erp.update_bom_item(draft, "10", {"BillOfMaterialItemQuantity": Decimal("3")})
        erp.delete_bom_item(draft, "20")
        erp.create_bom_item(draft, bom_item("30", "PRT-3", "7"))
        assert erp.read_bom("ASM-100", "1000").version == "1"
        erp.release_bom_version(draft)
        active = erp.read_bom("ASM-100", "1000")
        assert active.version == "2"
        assert [(i["BillOfMaterialItemNumber"], i["BillOfMaterialItemQuantity"]) for i in active.items] == [
            ("0010", Decimal("3.000")),
            ("0030", Decimal("7.000")),
        ]


# ---- $batch ------------------------------------------------------------------------------------------------


def test_failed_changeset_writes_nothing_names_the_operation_and_other_commits(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        bad = [
            Operation.create_material(material("BAD-1")),
            Operation.create_material(material("BAD-2", unit="XX")),
            Operation.create_material(material("BAD-3")),
        ]
        good = [Operation.create_material(material("OK-1")), Operation.create_material(material("OK-2"))]
        failed, committed = erp.batch([bad, good])
        assert not failed.ok and failed.failed_index == 1
        assert failed.failed_operation.label == "create_material BAD-2" and failed.error_code
        assert committed.ok and [o.body["Product"] for o in committed.operations] == ["OK-1", "OK-2"]
        assert sorted(erp.read_materials(["BAD-1", "BAD-2", "BAD-3", "OK-1", "OK-2"])) == ["OK-1", "OK-2"]


def test_batch_splits_at_changeset_boundaries_by_batch_size(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource(batch_size=100).client() as erp:
        results = erp.batch([[Operation.create_material(material(f"P-{i:03d}"))] for i in range(200)])
        assert all(r.ok for r in results) and len(results) == 200
        assert erp_sandbox.stats()["calls"][PRODUCT_BATCH] == 2
        with pytest.raises(ValueError, match="change set 1 has 101 operations"):
            erp.batch([[Operation.create_material(material(f"Q-{i}")) for i in range(101)]])


def test_bom_batch_creates_draft_items_and_releases(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        _parts(erp, "ASM-100", "PRT-1", "PRT-2")
        [created] = erp.batch([[Operation.create_bom(BOM_HEADER, [bom_item("10", "PRT-1", "1")])]])
        draft = erp.read_bom("ASM-100", "1000", include_drafts=True)
        [filled] = erp.batch(
            [
                [
                    Operation.create_bom_item(draft, bom_item("20", "PRT-2", "2")),
                    Operation.update_bom_item(draft, "10", {"BillOfMaterialItemQuantity": Decimal("5")}),
                    Operation.release_bom_version(draft),
                ]
            ]
        )
        assert created.ok and filled.ok, (created, filled)
        active = erp.read_bom("ASM-100", "1000")
        assert [i["BillOfMaterialItemQuantity"] for i in active.items] == [Decimal("5.000"), Decimal("2.000")]


# ---- resilience --------------------------------------------------------------------------------------------


def test_batch_write_survives_20_percent_503_and_counts_retries(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource(batch_size=100).client() as erp:
        erp.read_materials(["WARMUP"])  # the token fetch itself is not what this test is about
        erp_sandbox.faults(error_rate=0.2, error_status=503)
        changesets = [
            [Operation.create_material(material(f"M-{i:03d}")) for i in range(j, j + 20)] for j in range(0, 200, 20)
        ]
        results = erp.batch(changesets)
        erp_sandbox.faults(error_rate=0)
        assert all(r.ok for r in results)
        snapshot = erp.metrics.snapshot()
        assert snapshot["retries"] >= 1 and snapshot["status"].get("503", 0) >= 1
        assert len(erp.read_materials([f"M-{i:03d}" for i in range(200)])) == 200


def test_429_with_retry_after_is_waited_out(erp_sandbox: ERPSandbox) -> None:
    erp_sandbox.faults(rate_limit=3, rate_window_s=1.0)
    with erp_sandbox.resource().client() as erp:
        for _ in range(3):
            erp.read_materials(["PRT-1"])
        snapshot = erp.metrics.snapshot()
    assert snapshot["status"]["429"] >= 1
    assert snapshot["retry_wait_s"] >= 1.0  # Retry-After was 1 s at least


def test_expired_oauth_token_is_renewed_mid_run(erp_sandbox: ERPSandbox) -> None:
    erp_sandbox.settings(token_lifetime_s=2)
    with erp_sandbox.resource(token_leeway_s=0).client() as erp:
        erp.create_material(material("PRT-1"))
        time.sleep(2.2)
        erp.create_material(material("PRT-2"))
        assert sorted(erp.read_materials(["PRT-1", "PRT-2"])) == ["PRT-1", "PRT-2"]
        # at least one renewal; a slow machine may see the short-lived token expire once more
        assert erp.metrics.snapshot()["events"]["token_fetch"] >= 2


def test_expired_csrf_token_is_refetched_once(erp_sandbox: ERPSandbox) -> None:
    with erp_sandbox.resource().client() as erp:
        erp.create_material(material("PRT-1"))
        assert erp_sandbox.expire("csrf_tokens") == 1
        erp.create_material(material("PRT-2"))
        events = erp.metrics.snapshot()["events"]
    assert events["csrf_fetch"] == 2 and events["csrf_required"] == 1
    assert erp_sandbox.stats()["calls"][CSRF_FETCH] == 2


def test_outage_raises_retryable_error_within_budget(erp_sandbox: ERPSandbox) -> None:
    erp_sandbox.faults(outage=True)
    with erp_sandbox.resource(auth_mode="basic", max_attempts=3, total_budget_s=5).client() as erp:
        with pytest.raises(ServiceUnavailableError) as caught:
            erp.read_materials(["PRT-1"])
        assert caught.value.retryable
        with pytest.raises(ServiceUnavailableError):
            erp.batch([[Operation.create_material(material("PRT-1"))]])
        assert erp.metrics.snapshot()["status"]["503"] == 6


def test_connection_check_reports_ok_and_refused_credentials(erp_sandbox: ERPSandbox) -> None:
    assert erp_sandbox.resource().test_connection()["ok"] is True
    refused = erp_sandbox.resource(client_secret="wrong-secret-value").test_connection()
    assert refused["ok"] is False and refused["error"]["type"] == AuthError.__name__
    assert "wrong-secret-value" not in repr(refused)


def test_no_secret_reaches_any_log_line(erp_sandbox: ERPSandbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for mode in ("oauth", "basic"):
        with erp_sandbox.resource(auth_mode=mode).client() as erp:
            erp.create_material(material(f"PRT-{mode}"))
            erp_sandbox.expire("csrf_tokens")  # the batch re-fetches its token: that exchange is logged too
            erp.batch([[Operation.create_material(material(f"PRT-{mode}-2"))]])
    security = erp_sandbox.app.sandbox.security
    secrets = [erp_sandbox.facts["client_secret"], erp_sandbox.facts["password"], *security._tokens]
    for session, (token, _) in security._csrf.items():
        secrets += [session, token]
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert len(secrets) >= 6 and caplog.records
    leaked = [s for s in secrets if s in text]
    assert leaked == []


def test_from_env_uses_env_vars_for_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFG_SYNC_ERP_URL", "http://erp.example:8000")
    monkeypatch.setenv("MFG_SYNC_ERP_CLIENT_SECRET", "s3cr3t-value")
    resource = ERPResource.from_env()
    assert resource.url == "http://erp.example:8000"
    assert "s3cr3t-value" not in repr(resource)
    with resource.client() as erp:  # outside a Dagster run the EnvVar is read from the environment
        assert "s3cr3t-value" not in repr(erp.api)


def test_a_token_endpoint_that_is_down_is_a_retryable_error_not_an_auth_error(erp_sandbox: ERPSandbox) -> None:
    erp_sandbox.faults(outage=True)  # the token endpoint answers 503 like everything else
    with (
        erp_sandbox.resource(max_attempts=2, total_budget_s=3).client() as erp,
        pytest.raises(RetryableError) as caught,
    ):
        erp.read_materials(["PRT-1"])
    assert not isinstance(caught.value, AuthError)
    assert caught.value.retryable
