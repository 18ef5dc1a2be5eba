"""Tryton's JSON value encodings and error answers, as the client turns them into Python and typed errors."""

from datetime import date, datetime
from decimal import Decimal

from resources.erp.tryton.rpc import chunked, decode, encode, error_for
from resources.transport import AuthError, ClientError, ConflictError, ValidationError
from resources.transport.errors import ServiceUnavailableError, error_class_for


def test_decimals_and_dates_travel_as_tagged_objects_and_come_back_equal():
    values = [Decimal("1.5"), date(2026, 12, 1), datetime(2026, 12, 1, 8, 30, 5), {"q": [Decimal("0.25")]}]

    assert encode(values)[0] == {"__class__": "Decimal", "decimal": "1.5"}
    assert encode(values)[1] == {"__class__": "date", "year": 2026, "month": 12, "day": 1}
    assert decode(encode(values)) == values


def test_a_user_error_is_a_fatal_validation_error_with_trytons_message():
    err = error_for(
        "model.production.bom.input.create",
        ["UserError", ['The number of digits in the value "2.5" for field "Quantity" exceeds', "", None]],
    )

    assert isinstance(err, ValidationError) and not err.retryable
    assert err.code == "UserError" and "Quantity" in err.message and err.route == "model.production.bom.input.create"


def test_other_error_answers_have_their_own_kinds():
    assert isinstance(error_for("m", ["ConcurrencyException", ["changed meanwhile"]]), ConflictError)
    assert isinstance(error_for("m", ["LoginException", ["bad password"]]), AuthError)
    unknown = error_for("model.nosuch.read", ["'nosuch'", ""])
    assert isinstance(unknown, ClientError) and unknown.code == "ServerException" and unknown.message == "nosuch"


def test_a_busy_server_answering_503_is_retryable():
    assert error_class_for(503) is ServiceUnavailableError and ServiceUnavailableError.retryable


def test_creates_are_split_into_calls_of_at_most_80_records_never_splitting_one_bom():
    boms = [5, 50, 40, 90, 1]  # records per BOM (header + lines)

    runs = chunked(boms, 80, weight=lambda n: n)

    assert runs == [[5, 50], [40], [90], [1]]
