"""Reports written to a file: one campaign's CSV, XLSX, JSON or HTML page (``mailer report -o``),
and the campaigns overview page of a period (``mailer report --overview``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from mailer.errors import ReportError
from mailer.reports import formats, page
from mailer.reports.figures import Table, period, summarize, summary_table, table
from mailer.reports.kinds import FORMATS


def export(
    engine: Engine, campaign_id: str, *, kind: str, fmt: str, path: Path, everyone: bool = False, delimiter: str = ","
) -> Table | None:
    """Write one report to ``path`` in ``fmt`` (csv, xlsx, json, html); returns its table, if any.

    ``everyone``: the recipients report lists the journalists the send's --where excluded too.
    ``delimiter``: the CSV's (comma, semicolon or tab).
    Raises ReportError for an unknown campaign, kind or format, or a file that cannot be written.
    """
    if fmt == "html":
        formats.write_text(page.render(engine, campaign_id, kind, everyone=everyone), path)
        return None
    summary = summarize(engine, campaign_id) if kind == "summary" else None  # figures counted once, for the rows and the JSON
    report = summary_table(summary) if summary is not None else table(engine, campaign_id, kind, everyone=everyone)
    if fmt == "csv":
        formats.write_csv(report, path, delimiter=delimiter)
    elif fmt == "xlsx":
        formats.write_xlsx(report, path)
    elif fmt == "json":
        formats.write_text(formats.to_json(report, summary), path)
    else:
        raise ReportError(f'Unknown format "{fmt}".', hint=f"Choose one of: {', '.join(FORMATS)}.")
    return report


def export_overview(
    engine: Engine, path: Path, *, since: datetime | None = None, until: datetime | None = None, now: datetime | None = None
) -> tuple[int, int, int, int]:
    """Write the campaigns overview page of [since, until) (UTC) to ``path``.

    Returns (campaigns in its totals, then those it lists apart: cancelled campaigns, sandbox
    rehearsals, and sends scheduled for later whose time is still ahead at ``now``).
    """
    moment = now or datetime.now(UTC)
    summaries = period(engine, since=since, until=until)
    formats.write_text(page.render_overview(summaries, period=period_label(since, until), now=moment), path)
    cancelled = sum(s.is_cancelled for s in summaries)
    rehearsed = sum(s.is_rehearsal for s in summaries)
    held = sum(s.is_held(moment) for s in summaries)
    return len(summaries) - cancelled - rehearsed - held, cancelled, rehearsed, held


def period_label(since: datetime | None, until: datetime | None) -> str:
    """ "from 2026-01-01 to 2026-03-31" (until is exclusive, the day before is shown), "since ...", "until ...", or "(all time)"."""
    first = since.strftime("%Y-%m-%d") if since else None
    last = (until - timedelta(days=1)).strftime("%Y-%m-%d") if until else None
    if first and last:
        return f"from {first} to {last}"
    if first:
        return f"since {first}"
    return f"until {last}" if last else "(all time)"
