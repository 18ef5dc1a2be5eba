"""Reports a person opens in a browser: the PLM-vs-ERP reconciliation as one self-contained HTML file."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f0f0f0}.ok{color:#17692b}
.drift{color:#a4161a}td.num{text-align:right}"""


def _table(table_id: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if isinstance(c, int) else f"<td>{html.escape(str(c))}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def reconciliation_html(
    frame: pd.DataFrame,
    by_kind: Mapping[str, int],
    by_assembly: Mapping[str, Mapping[str, int]],
    scope: Sequence[str],
    generated_at: datetime,
    run_id: str,
) -> str:
    """The report: verdict, counts by kind, counts by assembly and kind, then every difference."""
    total = sum(by_kind.values())
    kinds = list(by_kind)
    verdict = (
        f'<p id="verdict" class="ok">PLM and ERP agree for {len(scope)} assemblies.</p>'
        if total == 0
        else f'<p id="verdict" class="drift">{total} difference(s) between PLM and ERP.</p>'
    )
    per_assembly = [[a, *(counts.get(k, 0) for k in kinds), sum(counts.values())] for a, counts in by_assembly.items()]
    columns = list(frame.columns)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            "<title>mfg-sync reconciliation</title>",
            f"<style>{STYLE}</style></head><body>",
            "<h1>PLM vs ERP reconciliation</h1>",
            f"<p>Generated {html.escape(generated_at.isoformat(timespec='seconds'))} by run "
            f"{html.escape(run_id)}; assemblies: {html.escape(', '.join(scope) or '-')}.</p>",
            verdict,
            "<h2>Summary by kind</h2>",
            _table("summary", ["kind", "differences"], [[k, n] for k, n in by_kind.items()]),
            "<h2>Summary by assembly</h2>",
            _table("by-assembly", ["assembly", *kinds, "total"], per_assembly),
            "<h2>Differences</h2>",
            (
                _table("differences", columns, frame.astype(str).values.tolist())
                if len(frame)
                else '<p id="no-differences" class="ok">No differences.</p>'
            ),
            "</body></html>",
        ]
    )


def write_reconciliation_report(
    frame: pd.DataFrame,
    by_kind: Mapping[str, int],
    by_assembly: Mapping[str, Mapping[str, int]],
    scope: Sequence[str],
    generated_at: datetime,
    run_id: str,
    directory: Path,
) -> Path:
    """Write the report as `reconciliation-<UTC time>-<run>.html` (and `reconciliation-latest.html`)."""
    target = directory
    target.mkdir(parents=True, exist_ok=True)
    text = reconciliation_html(frame, by_kind, by_assembly, scope, generated_at, run_id)
    path = target / f"reconciliation-{generated_at.strftime('%Y%m%dT%H%M%SZ')}-{run_id[:8]}.html"
    path.write_text(text, encoding="utf-8")
    (target / "reconciliation-latest.html").write_text(text, encoding="utf-8")
    return path
