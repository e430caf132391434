"""Reports on a campaign from the delivery log: who got the release, opened it, clicked, bounced.

    summary      headline figures with rates (figures.summarize)
    recipients   one row per journalist: state, delivery, first/last event, opens, clicks, bounce
    opens        journalists who opened, with opens by people apart from Apple's pre-fetch
    clicks       journalists who clicked, with the links
    bounces      bounced, blocked and dropped journalists with classification and reason
    outlets      the same rolled up by outlet and by address domain

Written as a terminal table, CSV (UTF-8 with BOM, spreadsheet-safe), XLSX, JSON, or one
self-contained HTML page. ``overview`` (campaigns with their headline figures) feeds `mailer campaigns`;
contact.py gives one journalist's history across campaigns (`mailer contact`); ``period`` and
``export_overview`` give the campaigns overview page of a period.

In: the delivery log (Engine) and a campaign id. Out: ``Summary`` and ``Table`` values, and
files. figures.py computes, formats.py writes CSV/XLSX/JSON, page.py the HTML page, exports.py
writes one report (or the overview page) to a file; kinds.py names the kinds and formats (for the command line's
choices, without loading SQLAlchemy).

Never imports: contacts, compose, send, transport, events, cli, sendgrid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailer import lazy
from mailer.reports.kinds import FORMATS, KINDS

if TYPE_CHECKING:
    from mailer.reports.exports import export, export_overview
    from mailer.reports.figures import Summary, Table, headline_figures, overview, period, summarize, table

__all__ = [
    "FORMATS",
    "KINDS",
    "Summary",
    "Table",
    "export",
    "export_overview",
    "headline_figures",
    "overview",
    "period",
    "summarize",
    "table",
]

# Imported on first use: figures need SQLAlchemy, the page Jinja, XLSX rustpy-xlsxwriter or XlsxWriter.
__getattr__ = lazy.exports(
    __name__,
    {
        **dict.fromkeys(("export", "export_overview"), "mailer.reports.exports"),
        **dict.fromkeys(("Summary", "Table", "headline_figures", "overview", "period", "summarize", "table"), "mailer.reports.figures"),
    },
)
