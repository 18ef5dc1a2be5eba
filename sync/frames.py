"""Canonical records <-> pandas frames, in a form Parquet stores faithfully.

Dict fields (e.g. `Part.attributes`) travel as JSON text, because Parquet cannot store an empty struct
and a struct's fields would differ from part to part; tuples travel as lists; Decimals stay Decimals
(pyarrow writes them as exact decimal columns, never floats).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, get_type_hints

import pandas as pd

from sync.records import Record

R = TypeVar("R", bound=Record)


def _dict_fields(cls: type) -> set[str]:
    hints = get_type_hints(cls)
    return {f.name for f in dataclasses.fields(cls) if str(hints[f.name]).startswith("dict")}


def records_to_frame(records: Iterable[Record], cls: type[Record]) -> pd.DataFrame:
    columns = [f.name for f in dataclasses.fields(cls)]
    as_json = _dict_fields(cls)
    rows = []
    for record in records:
        row = record.to_row()
        for name in as_json:
            row[name] = json.dumps(row[name] or {}, sort_keys=True)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns).astype({name: object for name in columns})


def frame_to_records(frame: pd.DataFrame, cls: type[R]) -> list[R]:
    as_json = _dict_fields(cls)
    records = []
    for row in frame.to_dict(orient="records"):
        row = {key: _plain(value) for key, value in row.items()}
        for name in as_json:
            if isinstance(row.get(name), str):
                row[name] = json.loads(row[name])
        records.append(cls.from_row(row))
    return records


def _plain(value: Any) -> Any:
    """Undo what pandas/pyarrow do to values: NaN/NaT -> None, numpy scalars/arrays -> Python."""
    if value is None or isinstance(value, (str, Decimal, bool)):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime):
        return value
    if hasattr(value, "tolist"):  # numpy arrays (list columns) and numpy scalars
        return value.tolist()
    return value
