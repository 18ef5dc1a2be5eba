"""Canonical records survive a trip through a DataFrame and a Parquet file unchanged."""

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd

from sync.frames import frame_to_records, records_to_frame
from sync.records import BomLine, Part


def test_parts_and_lines_round_trip_through_parquet(tmp_path):
    parts = [
        Part(
            "ASM-1",
            "Pump skid",
            "B",
            "EA",
            "Assembly",
            "MAKE",
            guid="g1",
            attributes={"weight_kg": "12.5"},
            effective_at=datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        ),
        Part("PRT-2", "Hose", "A", "mm", "Hose", "BUY"),
    ]
    lines = [
        BomLine("ASM-1", "B", 10, "PRT-2", "A", Decimal("1250.5"), "mm", ref_des="H1", level=1, path=("ASM-1",)),
        BomLine("ASM-1", "B", 20, "PRT-3", "C", Decimal("0.001"), "kg", level=1, path=("ASM-1",)),
    ]
    for records, cls in ((parts, Part), (lines, BomLine)):
        path = tmp_path / f"{cls.__name__}.parquet"
        records_to_frame(records, cls).to_parquet(path, index=False)
        assert frame_to_records(pd.read_parquet(path), cls) == records


def test_an_empty_extract_still_has_every_column():
    frame = records_to_frame([], BomLine)
    assert "quantity" in frame.columns and len(frame) == 0
