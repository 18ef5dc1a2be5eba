"""The EAM-vs-ERP maintenance reconciliation as one self-contained HTML file a person opens in a browser."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from sync.reconcile_report import STYLE, _table

REPORT_NAME = "maintenance-reconciliation"


def maintenance_html(
    frame: pd.DataFrame,
    by_kind: Mapping[str, int],
    by_area: Mapping[str, int],
    scope: Mapping[str, int],
    generated_at: datetime,
    run_id: str,
) -> str:
    """Verdict, what was compared, counts by area and kind, then every difference."""
    total = sum(by_kind.values())
    verdict = (
        '<p id="verdict" class="ok">EAM and ERP agree.</p>'
        if total == 0
        else f'<p id="verdict" class="drift">{total} difference(s) between EAM and ERP.</p>'
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            "<title>mfg-sync maintenance reconciliation</title>",
            f"<style>{STYLE}</style></head><body>",
            "<h1>EAM vs ERP maintenance reconciliation</h1>",
            f"<p>Generated {html.escape(generated_at.isoformat(timespec='seconds'))} by run {html.escape(run_id)}.</p>",
            verdict,
            "<h2>Compared</h2>",
            _table("compared", ["what", "count"], [[k, int(n)] for k, n in scope.items()]),
            "<h2>Summary by area</h2>",
            _table("by-area", ["area", "differences"], [[k, n] for k, n in by_area.items()]),
            "<h2>Summary by kind</h2>",
            _table("summary", ["kind", "differences"], [[k, n] for k, n in by_kind.items()]),
            "<h2>Differences</h2>",
            (
                _table("differences", list(frame.columns), frame.astype(str).values.tolist())
                if len(frame)
                else '<p id="no-differences" class="ok">No differences.</p>'
            ),
            "</body></html>",
        ]
    )


def write_maintenance_report(
    frame: pd.DataFrame,
    by_kind: Mapping[str, int],
    by_area: Mapping[str, int],
    scope: Mapping[str, int],
    generated_at: datetime,
    run_id: str,
    directory: Path,
) -> Path:
    """`maintenance-reconciliation-<UTC time>-<run>.html`, and the same as `maintenance-reconciliation-latest.html`."""
    directory.mkdir(parents=True, exist_ok=True)
    text = maintenance_html(frame, by_kind, by_area, scope, generated_at, run_id)
    path = directory / f"{REPORT_NAME}-{generated_at.strftime('%Y%m%dT%H%M%SZ')}-{run_id[:8]}.html"
    path.write_text(text, encoding="utf-8")
    (directory / f"{REPORT_NAME}-latest.html").write_text(text, encoding="utf-8")
    return path
