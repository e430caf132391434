"""One report written to a file: CSV, XLSX, JSON or the HTML page (``mailer report -o``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from mailer.errors import ReportError
from mailer.reports import formats, page
from mailer.reports.figures import Table, summarize, table
from mailer.reports.kinds import FORMATS


def export(engine: Engine, campaign_id: str, *, kind: str, fmt: str, path: Path) -> Table | None:
    """Write one report to ``path`` in ``fmt`` (csv, xlsx, json, html); returns its table, if any.

    Raises ReportError for an unknown campaign, kind or format.
    """
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
