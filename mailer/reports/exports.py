"""Reports written to a file: one campaign's CSV, XLSX, JSON or HTML page (``mailer report -o``),
and the campaigns overview page of a period (``mailer report --overview``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from mailer.errors import ReportError
from mailer.models import CampaignStatus
from mailer.reports import formats, page
from mailer.reports.figures import Table, in_zone, named, period, summarize, summary_sentences, summary_table, table
from mailer.reports.kinds import FORMATS
from mailer.store import campaigns as campaign_store
from mailer.store import clock
from mailer.store.failures import in_words

# A progress bar: called with a description and a total, gives a function to advance it (as send.campaign.Progress).
Progress = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]
# The bar of a report file counts to 100: half for reading the log into rows, half for writing them.
STEPS = 100
READ = STEPS // 2


@in_words
def export(
    engine: Engine,
    campaign_id: str,
    *,
    kind: str,
    fmt: str,
    path: Path | str,
    everyone: bool = False,
    delimiter: str = ",",
    progress: Progress | None = None,
    time_zone: str | None = None,
) -> Table | None:
    """Write one report to ``path`` in ``fmt`` (csv, xlsx, json, html); returns its table, if any.

    ``everyone``: the recipients report lists the journalists the send's --where excluded too.
    ``delimiter``: the CSV's (comma, semicolon or tab).
    ``time_zone``: the CSV and XLSX show times in this zone (``[reports] time_zone``; ``figures.in_zone``),
    the JSON in UTC always.
    ``progress``: a bar to show, counting to STEPS: half once the log is read into rows, the rest
    as they are written (newcomer 14 #4: a 60,000-row report took 6 s in silence).
    Raises ReportError for an unknown campaign, kind or format, or a file that cannot be written.
    """
    path = Path(path)
    if fmt not in ("csv", "xlsx", "json", "html"):
        written = [name for name in FORMATS if name != "table"]  # "table" is the terminal's, no file
        if fmt == "table":
            raise ReportError(
                'The format "table" is what the terminal shows; a file is one of: ' + ", ".join(written) + ".",
                hint=f'For the rows themselves: reports.table(engine, "{campaign_id}", "{kind}").',
            )
        raise ReportError(f'Unknown format "{fmt}".', hint=f"Choose one of: {', '.join(written)}.")
    with (progress or _no_progress)(f"Writing {path.name}", STEPS) as advance:
        if fmt == "html":
            text = page.render(engine, campaign_id, kind, everyone=everyone, time_zone=time_zone)
            advance(READ)
            formats.write_text(text, path)
            advance(STEPS - READ)
            return None
        summary = (
            summarize(engine, campaign_id).on_clock(time_zone) if kind == "summary" else None
        )  # figures counted once, for the rows and the JSON
        if summary is not None:  # a spreadsheet ends with the sentences the terminal says under the figures
            spreadsheet = fmt in ("csv", "xlsx")
            report = summary_table(summary, sentences=summary_sentences(summary) if spreadsheet else ())
        else:
            report = table(engine, campaign_id, kind, everyone=everyone, time_zone=time_zone)
        advance(READ)
        on_rows = _RowShare(advance, len(report.rows), STEPS - READ)
        if fmt == "csv":
            report = named(in_zone(report, time_zone))
            formats.write_csv(report, path, delimiter=delimiter, on_rows=on_rows)
        elif fmt == "xlsx":
            report = named(in_zone(report, time_zone))
            formats.write_xlsx(report, path, on_rows=on_rows)
        else:
            formats.write_json(report, path, summary, on_rows=on_rows)
        on_rows.finish()
    return report


class _RowShare:
    """Advance ``advance`` by ``steps`` in all as ``rows`` rows are written (called with rows written)."""

    def __init__(self, advance: Callable[[int], None], rows: int, steps: int) -> None:
        self.advance, self.rows, self.steps, self.written, self.done = advance, max(rows, 1), steps, 0, 0

    def __call__(self, rows: int) -> None:
        self.written += rows
        due = min(self.steps, self.written * self.steps // self.rows)
        if due > self.done:
            self.advance(due - self.done)
            self.done = due

    def finish(self) -> None:
        if self.done < self.steps:
            self.advance(self.steps - self.done)
            self.done = self.steps


def _ignore(_amount: int = 1) -> None:
    return None


@contextmanager
def _no_progress(_description: str, _total: int | None) -> Iterator[Callable[[int], None]]:
    yield _ignore


class Overview(NamedTuple):
    """What ``export_overview`` put on the page: campaigns in its totals, then those it lists apart
    (cancelled campaigns, sandbox rehearsals, sends scheduled for later whose time is still ahead,
    sends whose cancel was asked late and whose events show none went out), and of the campaigns in
    its totals or scheduled for later those that have not finished: (campaign id, its report's note
    ``Summary.stopped_note``), as the page's "Not finished" lines give them."""

    shown: int
    cancelled: int
    rehearsed: int
    held: int
    late: int
    unfinished: tuple[tuple[str, str], ...] = ()
    # Of the campaigns in its totals, those whose rest ``mailer cancel`` called off: (campaign id,
    # ``Summary.called_off_note``), as the page's "Called off" lines give them (review 16r #3).
    called_off: tuple[tuple[str, str], ...] = ()


@in_words
def export_overview(
    engine: Engine,
    path: Path | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
    time_zone: str | None = None,
) -> Overview:
    """Write the campaigns overview page of [since, until) to ``path``; what it holds (``Overview``).

    ``since`` and ``until`` are instants (naive ones are UTC); the page's title names their days as
    given (the office's midnights, from the command line). ``time_zone`` ([reports] time_zone): the
    page's times on the office's clock. Raises ReportError for a file that cannot be written."""
    path = Path(path)
    moment = now or clock.now(engine)
    summaries = period(engine, since=_utc(since), until=_utc(until))
    sending = [s.campaign.id for s in summaries if s.campaign.status is CampaignStatus.SENDING]
    with engine.connect() as connection:  # a send whose process was killed reads "paused" (newcomer 16 #1)
        driven = campaign_store.driven(connection, sending, now=moment) if sending else set()
    label = period_label(since, until)
    formats.write_text(page.render_overview(summaries, period=label, now=moment, driven=driven, time_zone=time_zone), path)
    cancelled = sum(s.is_cancelled for s in summaries)
    rehearsed = sum(s.is_rehearsal for s in summaries)
    held = sum(s.is_held(moment) for s in summaries)
    late = sum(s.is_late_cancelled(moment) for s in summaries)
    unfinished = tuple(
        (s.campaign.id, s.stopped_note)
        for s in summaries  # oldest first, as the page gives them
        if s.stopped_note and not s.is_rehearsal and not s.is_late_cancelled(moment)
    )
    called_off = tuple(
        (s.campaign.id, s.called_off_note)
        for s in summaries
        if s.called_off_note and not s.is_cancelled and not s.is_rehearsal and not s.is_held(moment) and not s.is_late_cancelled(moment)
    )
    return Overview(len(summaries) - cancelled - rehearsed - held - late, cancelled, rehearsed, held, late, unfinished, called_off)


def _utc(moment: datetime | None) -> datetime | None:
    """An instant in UTC (a naive one taken as UTC), as the delivery log compares times."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def period_label(since: datetime | None, until: datetime | None) -> str:
    """ "from 2026-01-01 to 2026-03-31" (until is exclusive, the day before is shown), "since ...", "until ...", or "(all time)"."""
    first = since.strftime("%Y-%m-%d") if since else None
    last = (until - timedelta(days=1)).strftime("%Y-%m-%d") if until else None
    if first and last:
        return f"from {first} to {last}"
    if first:
        return f"since {first}"
    return f"until {last}" if last else "(all time)"
