"""Reports on a campaign from the delivery log: who got the release, opened it, clicked, bounced.

    summary      headline figures with rates (figures.summarize)
    recipients   one row per journalist: state, delivery, first/last event, opens, clicks, bounce
    opens        journalists who opened, with opens by people apart from Apple's pre-fetch
    clicks       journalists who clicked, with the links
    bounces      bounced, blocked and dropped journalists with classification and reason
    outlets      the same rolled up by outlet and by address domain

Written as a terminal table, CSV (UTF-8 with BOM, spreadsheet-safe), XLSX, JSON, or one
self-contained HTML page. ``overview`` (campaigns with their headline figures) feeds `mailer campaigns`;
contact.py gives one journalist's history across campaigns (`mailer contact`).

In: the delivery log (Engine) and a campaign id. Out: ``Summary`` and ``Table`` values, and
files. figures.py computes, formats.py writes CSV/XLSX/JSON, page.py the HTML page.

Never imports: contacts, compose, send, transport, events, cli, sendgrid.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from mailer.errors import ReportError
from mailer.reports import formats, page
from mailer.reports.figures import (
    KINDS,
    Summary,
    Table,
    headline_figures,
    overview,
    summarize,
    table,
)

__all__ = ["FORMATS", "KINDS", "Summary", "Table", "export", "headline_figures", "overview", "summarize", "table"]

FORMATS = ("table", "csv", "xlsx", "json", "html")


def export(engine: Engine, campaign_id: str, *, kind: str, fmt: str, path: Path) -> Table | None:
    """Write one report to ``path`` in ``fmt`` (csv, xlsx, json, html); returns its table, if any."""
    if fmt == "html":
        formats.write_text(page.render(engine, campaign_id, kind), path)
        return None
    report = table(engine, campaign_id, kind)
    if fmt == "csv":
        formats.write_csv(report, path)
    elif fmt == "xlsx":
        formats.write_xlsx(report, path)
    elif fmt == "json":
        summary = summarize(engine, campaign_id) if kind == "summary" else None
        formats.write_text(formats.to_json(report, summary), path)
    else:
        raise ReportError(f'Unknown format "{fmt}".', hint=f"Choose one of: {', '.join(FORMATS)}.")
    return report
