"""The HTML report: one self-contained file a press officer can email to their boss.

Inline CSS, an inline SVG chart of opens and clicks over time, the summary and the outlet
table; no script, font, image or stylesheet is fetched from anywhere. Every value from the
log (names, outlets, reasons, subject) is escaped by Jinja2's autoescape; in a table's cells, the
control characters the terminal shows as escapes (a bidirectional override) are shown so too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from jinja2 import Environment
from markupsafe import Markup, escape
from sqlalchemy import Engine

from mailer.controls import one_line
from mailer.counting import counted
from mailer.models import CampaignStatus, shown_status, shown_subject
from mailer.reports.figures import ALL_BOUNCED, Summary, Table, in_zone, page_figures, percent, shown_text, table
from mailer.store import clock
from mailer.store.campaigns import Campaign

BUCKETS = (900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
MAX_BARS = 60

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933; margin: 0; background: #f5f7fa; }
main { max-width: 960px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 2px solid #e4e7eb; padding-bottom: 4px; }
.meta { color: #616e7c; margin: 0 0 16px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px; }
.card { border: 1px solid #e4e7eb; border-radius: 8px; padding: 12px; }
.card .n { font-size: 26px; font-weight: 700; } .card .l { color: #616e7c; font-size: 13px; } .card .r { color: #3e4c59; font-size: 13px; }
.scroll { overflow-x: auto; border: 1px solid #e4e7eb; border-radius: 6px; }
.scroll table { width: max-content; min-width: 100%; } .scroll td, .scroll th { white-space: nowrap; }
.scroll td.long { white-space: normal; min-width: 16em; max-width: 28em; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f5f7fa; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.alert td { background: #f8d7da; color: #611a15; font-weight: 600; }
.badge { display: inline-block; background: #b42318; color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; }
.chart { width: 100%; height: auto; display: block; } .chart.narrow { display: none; }
.legend span { display: inline-block; margin-right: 16px; font-size: 13px; }
.sw { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.note { color: #616e7c; font-size: 12px; } td.sub { padding-left: 24px; color: #3e4c59; } td.sub2 { padding-left: 44px; color: #616e7c; }
td.head { font-weight: 600; }
@media (max-width: 600px) {
  main { padding: 12px; } h1 { font-size: 20px; } .cards { gap: 8px; } .card { padding: 8px; } .card .n { font-size: 22px; }
  .chart.wide { display: none; } .chart.narrow { display: block; }
  th, td { padding: 5px 6px; } td.sub { padding-left: 16px; } td.sub2 { padding-left: 28px; }
}
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Report: {{ subject }}</title>
<style>{{ style }}</style>
</head>
<body>
<main>
<h1>{{ subject }}</h1>
<p class="meta">Campaign {{ summary.campaign.id }} · {{ sent }} · report made {{ made }} · times in {{ zone }}</p>
{% if summary.cancelled_note %}<p><span class="badge">Cancelled</span> {{ shown(summary.cancelled_note) }}</p>
{% endif %}{% for note in notes if note != summary.cancelled_note %}<p><span class="badge">Note</span> {{ shown(note) }}</p>
{% endfor %}{% if summary.reach %}{% for line in summary.reach.lines() %}<p class="meta">{{ shown(line) }}</p>
{% endfor %}{% endif %}<div class="cards">
{% for label, count, rate in cards %}<div class="card"><div class="n">{{ "{:,}".format(count) }}</div><div class="l">{{ label }}</div><div class="r">{{ rate }}</div></div>
{% endfor %}</div>
<h2>Opens and clicks over time</h2>
{{ chart }}
<p class="note">The chart counts journalists, not opens: each journalist who opened is counted once, when they first opened, so the blue bars add up to "opened by people". Opens by people leave out the automatic opens of Apple Mail Privacy Protection, which loads every email's images whether or not it is read. A journalist who clicked counts as having opened (a person had it open, even when Apple's pre-fetch was the only open recorded), at their first click when no open by them came before. Clicks are every click.</p>
<h2>Summary</h2>
<table>
<tr><th>figure</th><th class="num">count</th><th class="num">rate</th></tr>
{% for key, label, count, rate in summary.figures() %}<tr><td{{ depth(label) }}>{{ shown(label.strip()) }}</td><td class="num">{{ "{:,}".format(count) }}</td><td class="num">{{ pct(rate) }}</td></tr>
{% endfor %}</table>
<p class="note">Bounced counts every email not delivered because it was refused, for good (hard bounce) or for now (blocked), or dropped by SendGrid; the same count appears in every table.{% if summary.bounced_after_opening %} A journalist who opened or clicked the email, marked it as spam or unsubscribed from it counts as delivered even when SendGrid reported a bounce for it (each shows it got there): the line under Delivered counts them, and the bounces report lists them; the bounce still keeps the address from being mailed again.{% endif %} Opened, clicked, spam and unsubscribe rates are shares of delivered emails; delivered and bounce rates are shares of emails SendGrid accepted. A journalist who resubscribed to the group they left is not counted as unsubscribed.</p>
<h2>Outlets and domains</h2>
{% if outlet_table.flagged %}<p><span class="badge">Attention</span> {{ all_bounced_note(outlet_table) }}</p>{% endif %}
{{ render(outlet_table) }}
{% if detail %}<h2>{{ detail_title }}</h2>
{{ render(detail) }}{% endif %}
</main>
</body>
</html>
"""

OVERVIEW_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Campaigns {{ period }}</title>
<style>{{ style }}</style>
</head>
<body>
<main>
<h1>Campaigns {{ period }}</h1>
<p class="meta">{{ campaigns|length }} live campaign{{ "" if campaigns|length == 1 else "s" }}{% if cancelled %} · {{ cancelled|length }} cancelled before it went out, listed apart{% endif %}{% if held %} · {{ held|length }} scheduled for later, not gone out yet, listed apart{% endif %}{% if late %} · {{ late|length }} cancelled late, no event says it went out, listed apart{% endif %}{% if rehearsed %} · {{ rehearsed|length }} sandbox rehearsal{{ "" if rehearsed|length == 1 else "s" }}, listed apart{% endif %} · report made {{ made }} · times in {{ zone }}</p>
{% if campaigns %}<div class="cards">
{% for label, count, rate in cards %}<div class="card"><div class="n">{{ "{:,}".format(count) }}</div><div class="l">{{ label }}</div><div class="r">{{ rate }}</div></div>
{% endfor %}</div>
<h2>Trend</h2>
{{ chart }}
<h2>Every campaign</h2>
{{ render(table) }}
{% for s in campaigns if s.stopped_note %}<p><span class="badge">Not finished</span> {{ s.campaign.id }}: {{ s.stopped_note }}</p>
{% endfor %}{% for s in campaigns if s.called_off_note %}<p><span class="badge">Called off</span> {{ s.campaign.id }}: {{ s.called_off_note }}</p>
{% endfor %}<p class="note">Delivered and bounced are shares of the emails SendGrid accepted; opened by people, clicked and unsubscribed are shares of delivered emails. Bounced counts hard bounces, blocks and drops. Opens by people leave out Apple Mail's automatic opens; a journalist who clicked counts as having opened.</p>
{% else %}<p>No live campaign was sent in this period.</p>{% endif %}
{% if held %}<h2>Scheduled for later</h2>
<p class="note">SendGrid holds these emails until the time shown ({{ zone }}): nothing has gone out yet, and they count in no figure above. The next overview made after that time counts them.{% if held|sum(attribute="unknown") + held|sum(attribute="in_flight") %} Emails whose request got no answer (fate unknown, or in flight when the send stopped) may already be with SendGrid, held until the time shown: mailer status says how to settle them.{% endif %}</p>
{{ render(held_table) }}
{% for s in held if s.stopped_note %}<p><span class="badge">Not finished</span> {{ s.campaign.id }}: {{ s.stopped_note }}</p>
{% endfor %}{% endif %}
{% if cancelled %}<h2>Cancelled before they went out</h2>
<p class="note">SendGrid discarded these emails (or they were never sent): no journalist received them, and they count in no figure above.</p>
{{ render(cancelled_table) }}{% endif %}
{% if late %}<h2>Cancel asked late</h2>
<p class="note">What is known of each is what mailer status says of it. They count in no figure above; a later overview counts one whose events show it went out.</p>
{{ render(late_table) }}{% endif %}
{% if rehearsed %}<h2>Sandbox rehearsals</h2>
<p class="note">Sent with [sendgrid] sandbox = true: SendGrid checked these emails and delivered them to nobody. They count in no figure above.</p>
{{ render(rehearsed_table) }}{% endif %}
</main>
</body>
</html>
"""

DETAIL_TITLES = {"recipients": "Every journalist", "opens": "Who opened", "clicks": "Who clicked", "bounces": "Bounces"}

_environment = Environment(autoescape=True, trim_blocks=False)


def render(
    engine: Engine, campaign_id: str, kind: str, *, now: datetime | None = None, everyone: bool = False, time_zone: str | None = None
) -> str:
    """The whole HTML page for a campaign; per-journalist kinds add their table below the outlets.

    The recipients table leaves out the journalists the send's --where excluded unless ``everyone``.
    ``time_zone`` ([reports] time_zone): the page's times on the office's clock, as the CSV and XLSX show
    them (newcomer 23 #14: a release sent at 10:00 Brussels time read "sent 09:00 ... times in UTC" to the
    director, an embargo broken by an hour); UTC without one.
    """
    summary, outlet_table, fine = page_figures(engine, campaign_id)
    summary = summary.on_clock(time_zone)  # the notes' times on the office's clock too
    detail = None
    if kind in DETAIL_TITLES:
        detail = in_zone(table(engine, campaign_id, kind, everyone=everyone, now=now, time_zone=time_zone), time_zone)
    tz = ZoneInfo(time_zone) if time_zone and time_zone != "UTC" else UTC
    bucket, points = merge_timeline(fine, zone=tz)
    return _environment.from_string(TEMPLATE).render(
        style=Markup(STYLE),
        summary=summary,
        notes=summary.notes(now or clock.now(engine)),
        # As the preview shows it, no SendGrid token; its control characters as the cells show them (review 21 #3).
        subject=one_line(shown_subject(summary.campaign.subject)),
        sent=_sent(summary.campaign, now or clock.now(engine), finished=not (summary.not_sent or summary.in_flight), zone=tz),
        made=(now or clock.now(engine)).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        zone="UTC" if tz is UTC else time_zone,
        cards=_cards(summary),
        chart=charts(points, bucket, zone=tz),
        outlet_table=outlet_table,
        detail=detail,
        detail_title=DETAIL_TITLES.get(kind, ""),
        render=_render_table,
        all_bounced_note=all_bounced_note,
        depth=_depth,
        pct=percent,
        # A summary row by bounce classification, a note, are an event's or a list's text too: their
        # control characters shown as the tables' cells show them (review 24k #8).
        shown=one_line,
    )


# How the attention line names each kind of row of the outlet table (its "by" column).
FLAGGED_WORDS = {"outlet": ("outlet", "outlets"), "domain": ("domain", "domains"), "language": ("language version", "language versions")}


def all_bounced_note(outlets: Table) -> str:
    """The warning above an outlet table with flagged rows (every address bounced, or every one
    mailed when some were not): the outlets, domains and language versions flagged, each kind
    counted apart. A journalist is in an outlet's row and in her domain's: one bounce at one paper
    read "at 2 outlets or domains" (session 21's leftover #1)."""
    by = outlets.keys.index("by")
    kinds = Counter(outlets.rows[index][by] for index in outlets.flagged)
    named = [counted(kinds[kind], *words) for kind, words in FLAGGED_WORDS.items() if kinds[kind]]
    where = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    bounced = "Every address mailed bounced" if outlet_partly_mailed(outlets) else "Every address bounced"
    return f"{bounced} at {where}, highlighted below. Check those addresses before the next release."


def outlet_partly_mailed(outlets: Table) -> bool:
    """Whether a flagged row of the outlet table had addresses that were never mailed."""
    note = outlets.keys.index("note")
    return any(outlets.rows[index][note] != ALL_BOUNCED for index in outlets.flagged)


def _sent(campaign: Campaign, now: datetime, *, finished: bool = True, zone: tzinfo = UTC) -> str:
    """When the campaign went out, for the page's meta line: a scheduled send at its scheduled time
    (SendGrid holds it until then), not when it was planned (newcomer 13 #5: "sent 22:46" for an
    embargoed release that went out at 09:00 read as a broken embargo). A send not ``finished``
    (stopped half-way, or still going) was started, not sent (newcomer 16 #8: "sent" over a send
    that had mailed nobody); its note under the title says how many are left. A cancelled send
    was started and cancelled, its note says none went out (review 16r #2)."""
    at = campaign.scheduled_at
    if at is None:
        started = f"{campaign.created_at.astimezone(zone):%Y-%m-%d %H:%M}"
        if campaign.status is CampaignStatus.CANCELLED:  # nothing went out (review 16r #2: it read "sent")
            return f"started {started}, cancelled"
        return f"sent {started}" if finished else f"started {started}, not finished"
    due = f"{at.astimezone(zone):%Y-%m-%d %H:%M}"
    if campaign.status is CampaignStatus.CANCELLED:
        return f"was due {due}, cancelled"
    if at > now:  # that nothing has gone out yet, the note under the title says (Summary.held_note): once is enough
        return f"scheduled for {due}"
    if not finished:
        return f"was due {due}, not finished"
    if campaign.late_cancel is not None:  # whether it went out: the note under the title says (newcomer 15 #10)
        return f"was due {due}, cancel asked late"
    return f"sent {due} (scheduled)"


OVERVIEW_KEYS = (
    "sent",
    "subject",
    "delivered",
    "delivered_rate",
    "opened_human",
    "opened_human_rate",
    "clicked",
    "clicked_rate",
    "bounced",
    "bounced_rate",
    "unsubscribed",
    "recipients",
    "campaign",
)
OVERVIEW_LABELS = (
    "sent (UTC)",
    "subject",
    "delivered",
    "%",
    "opened by people",
    "%",
    "clicked",
    "%",
    "bounced",
    "%",
    "unsubscribed",
    "recipients",
    "campaign",
)


def overview_table(summaries: Sequence[Summary]) -> Table:
    """One row per campaign, newest first: when it went out (a scheduled send at its time), the
    headline figures with their rates (floats).

    ``summaries`` oldest first and not empty (the table's campaign is the newest). The
    figures come right after the subject, so a phone shows them before it has to scroll.
    """
    rows = []
    for s in reversed(summaries):
        rows.append(
            (
                s.campaign.goes_out.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                shown_subject(s.campaign.subject),
                s.delivered,
                s.rate(s.delivered, over=s.accepted),
                s.opened_human,
                s.rate(s.opened_human),
                s.clicked,
                s.rate(s.clicked),
                s.bounced_all,
                s.rate(s.bounced_all, over=s.accepted),
                s.unsubscribed,
                s.planned,
                s.campaign.id,
            )
        )
    return Table("overview", summaries[-1].campaign, OVERVIEW_KEYS, OVERVIEW_LABELS, rows)


def render_overview(
    summaries: Sequence[Summary],
    *,
    period: str,
    now: datetime | None = None,
    driven: Collection[str] = frozenset(),
    time_zone: str | None = None,
) -> str:
    """The campaigns overview page: totals, a trend chart of rates per campaign, and a row per campaign.

    ``summaries`` oldest first (as ``figures.period`` gives them); ``period`` is shown in the title.
    ``driven``: the ids of campaigns a process is sending right now (``store.campaigns.driven``);
    a held send stored as "sending" that none drives reads "paused", as ``mailer campaigns`` says.
    Cancelled campaigns count in no total, trend or row: a table of their own lists them apart
    (newcomer review 9: a cancelled send counted as a campaign that went out, with 0 delivered);
    so do sandbox rehearsals, which SendGrid delivered to nobody (review 13 #6), and sends whose
    scheduled time is still ahead at ``now``, which SendGrid holds (review 14 #2: a held send
    counted as a campaign that went out, halving the delivered rate). A send that has not
    finished (stopped half-way) keeps its row, and its report's note stands under the table
    (newcomer 16 #4: the page never said some of its journalists were not mailed).
    """
    moment = now or next((s.read_at for s in summaries if s.read_at is not None), None) or datetime.now(UTC)
    # ``time_zone`` ([reports] time_zone): every time and day on the office's clock, as its campaign
    # pages show them (they read "times in UTC": a Sydney office's Monday-morning release was dated Sunday).
    tz: tzinfo = ZoneInfo(time_zone) if time_zone and time_zone != "UTC" else UTC
    zone = "UTC" if tz is UTC else str(time_zone)
    cancelled = [s for s in summaries if s.is_cancelled]
    rehearsed = [s for s in summaries if s.is_rehearsal]
    held = [s for s in summaries if s.is_held(moment)]
    late = [s for s in summaries if s.is_late_cancelled(moment)]  # most likely nobody got it (newcomer 15 #10)
    summaries = [
        s for s in summaries if not s.is_cancelled and not s.is_rehearsal and not s.is_held(moment) and not s.is_late_cancelled(moment)
    ]
    accepted = sum(s.accepted for s in summaries)
    delivered = sum(s.delivered for s in summaries)

    def share(count: int, over: int, of: str) -> str:
        return f"{percent(count / over)} of {of}" if over else ""

    opened = sum(s.opened_human for s in summaries)
    clicked = sum(s.clicked for s in summaries)
    bounced = sum(s.bounced_all for s in summaries)
    cards = [
        ("campaign" if len(summaries) == 1 else "campaigns", len(summaries), ""),
        ("delivered", delivered, share(delivered, accepted, "accepted")),
        ("opened by people", opened, share(opened, delivered, "delivered")),
        ("clicked", clicked, share(clicked, delivered, "delivered")),
        ("bounced (not delivered)", bounced, share(bounced, accepted, "accepted")),
    ]
    return _environment.from_string(OVERVIEW_TEMPLATE).render(
        style=Markup(STYLE),
        period=period,
        made=moment.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        zone=zone,
        campaigns=summaries,
        cards=cards,
        chart=trend_charts(summaries, zone=tz) if summaries else Markup(""),
        table=_on_clock(overview_table(summaries), tz, zone) if summaries else None,
        held=held,
        held_table=_on_clock(held_table(held, now=moment, driven=driven), tz, zone) if held else None,
        cancelled=cancelled,
        cancelled_table=_on_clock(cancelled_table(cancelled), tz, zone) if cancelled else None,
        rehearsed=rehearsed,
        rehearsed_table=_on_clock(rehearsal_table(rehearsed), tz, zone) if rehearsed else None,
        late=late,
        late_table=_on_clock(late_cancel_table(late, now=moment), tz, zone) if late else None,
        render=_render_table,
    )


def _on_clock(table: Table, tz: tzinfo, zone: str) -> Table:
    """An overview table whose first column is a time in UTC ("sent (UTC)", "2026-12-01 21:00") on
    ``tz``'s clock, its label naming ``zone``; unchanged for UTC."""
    if tz is UTC:
        return table
    labels = (table.labels[0].replace("(UTC)", f"({zone})"), *table.labels[1:])

    def local(text: str) -> str:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    return replace(table, labels=labels, rows=[(local(row[0]), *row[1:]) for row in table.rows])


def held_table(summaries: Sequence[Summary], *, now: datetime, driven: Collection[str] = frozenset()) -> Table:
    """The overview's sends still held for later, soonest last (newest first, as the other tables):
    when each goes out, subject, recipients, emails SendGrid holds (it accepted them), those it may
    hold too (their request got no answer: unknown, or in flight when the send stopped; fix16b #1:
    they were left out, though they may go out at that time), status as ``mailer campaigns``
    shows it ("paused": some still to hand over, ``mailer status`` says how; a send stored as
    "sending" whose process was killed is paused too unless its id is in ``driven``: newcomer 16 #1), id."""
    rows = [
        (
            s.campaign.goes_out.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            shown_subject(s.campaign.subject),
            s.planned,
            s.accepted,
            # their request got no answer: SendGrid may hold them too, as `mailer status` says (fix16b #1)
            s.unknown + s.in_flight,
            # as `mailer campaigns` shows it, with a late cancel named (newcomer 15 #10)
            shown_status(s.campaign.status, s.campaign.scheduled_at, now=now, driven=s.campaign.id in driven)
            + (", cancel asked late" if s.campaign.late_cancel else ""),
            s.campaign.id,
        )
        for s in reversed(summaries)
    ]
    keys = ("goes_out", "subject", "recipients", "held", "maybe_held", "status", "campaign")
    labels = (
        "goes out (UTC)",
        "subject",
        "recipients",
        "emails SendGrid holds",
        "may already be with SendGrid (no answer logged)",
        "status",
        "campaign",
    )
    return Table("held", summaries[-1].campaign, keys, labels, rows)


def late_cancel_table(summaries: Sequence[Summary], *, now: datetime) -> Table:
    """The overview's sends whose cancel came late and whose events show none went out, newest
    first: when they were due, subject, recipients, what is known (``Summary.late_cancel_note``), id."""
    rows = [
        (
            s.campaign.goes_out.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            shown_subject(s.campaign.subject),
            s.planned,
            s.late_cancel_note(now) or "",
            s.campaign.id,
        )
        for s in reversed(summaries)
    ]
    keys = ("due", "subject", "recipients", "known", "campaign")
    labels = ("was due (UTC)", "subject", "recipients", "what is known", "campaign")
    return Table("late_cancel", summaries[-1].campaign, keys, labels, rows)


def cancelled_table(summaries: Sequence[Summary]) -> Table:
    """The overview's cancelled campaigns, newest first: when they were to go out, subject, emails not sent, id."""
    rows = [
        (
            s.campaign.goes_out.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            shown_subject(s.campaign.subject),
            s.cancelled,
            s.campaign.id,
        )
        for s in reversed(summaries)
    ]
    keys = ("due", "subject", "cancelled", "campaign")
    labels = ("was due (UTC)", "subject", "emails not sent", "campaign")
    return Table("cancelled", summaries[-1].campaign, keys, labels, rows)


def rehearsal_table(summaries: Sequence[Summary]) -> Table:
    """The overview's sandbox rehearsals, newest first: when, subject, emails SendGrid checked, id."""
    rows = [
        (s.campaign.goes_out.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), shown_subject(s.campaign.subject), s.accepted, s.campaign.id)
        for s in reversed(summaries)
    ]
    keys = ("sent", "subject", "checked", "campaign")
    labels = ("sent (UTC)", "subject", "emails checked, none delivered", "campaign")
    return Table("rehearsals", summaries[-1].campaign, keys, labels, rows)


WRAPPED = frozenset(
    {"bounce_reason", "reason", "links_clicked", "subject", "bounce_classification", "classification", "known"}
)  # long free text: wraps in its column; the rest stays on one line


def _depth(label: str) -> Markup:
    indent = len(label) - len(label.lstrip(" "))
    return Markup(' class="sub2"' if indent >= 4 else ' class="sub"' if indent else "")


def _render_table(t: Table) -> Markup:
    """A table in its scrolling box; built in Python, as a template calling a function per cell
    costs more than the rest of the page (the outlet table alone has thousands of cells).

    A cell's text is escaped, and its control characters shown as the terminal shows them
    (``controls.one_line``: "\\u202e", "\\x1b", a line break as "\\n"): a name's right-to-left
    override no longer reorders its cell (session 21's leftover #2)."""
    sample = t.rows[:50]
    columns = range(len(t.labels))
    numeric = [bool(sample) and all(type(row[i]) in (int, float) or row[i] is None for row in sample) for i in columns]
    opening = ['<td class="num">' if numeric[i] else '<td class="long">' if t.keys[i] in WRAPPED else "<td>" for i in columns]
    head = "".join(
        f'<th class="num">{escape(label)}</th>' if numeric[i] else f"<th>{escape(label)}</th>" for i, label in enumerate(t.labels)
    )
    parts = ['<div class="scroll"><table>\n<tr>', head, "</tr>\n"]
    flagged = t.flagged
    for index, row in enumerate(t.rows):
        parts.append('<tr class="alert">' if index in flagged else "<tr>")
        for i, cell in enumerate(row):
            text = one_line(cell) if type(cell) is str else shown_text(cell)
            parts.append(f"{opening[i]}{escape(text)}</td>")
        parts.append("</tr>\n")
    parts.append("</table></div>\n")
    return Markup("".join(parts))


def _cards(summary: Summary) -> list[tuple[str, int, str]]:
    def share(count: int, over: int | None = None) -> str:
        rate = summary.rate(count, over=over)
        return "" if rate is None else f"{percent(rate)} of {'accepted' if over is not None else 'delivered'}"

    bounced = summary.bounced_all
    return [
        ("delivered", summary.delivered, share(summary.delivered, summary.accepted)),
        ("opened by people", summary.opened_human, share(summary.opened_human)),
        ("clicked", summary.clicked, share(summary.clicked)),
        ("bounced (not delivered)", bounced, share(bounced, summary.accepted)),
        ("unsubscribed", summary.unsubscribed, share(summary.unsubscribed)),
    ]


def merge_timeline(
    fine: Mapping[int, tuple[int, int]], bucket: int | None = None, *, zone: tzinfo = UTC
) -> tuple[int, list[tuple[int, int, int]]]:
    """15-minute buckets merged into bars ``bucket`` seconds wide (a multiple of 900; default:
    the narrowest of BUCKETS that keeps the chart under MAX_BARS bars).

    Returns (bar width in seconds, [(bar start, journalists who first opened, by a person, then; clicks), ...] oldest first).
    A bar under a day runs from a multiple of its width up to the next; a day's or a week's bar
    from midnight (of a Monday) on ``zone``'s clock (``_bar_of``).
    """
    if not fine:
        return bucket or BUCKETS[0], []
    bucket = bucket or _bucket_size(min(fine), max(fine))
    merged: dict[int, list[int]] = {}
    for start, (opens, clicks) in fine.items():
        bar = merged.setdefault(_bar_of(start, bucket, zone), [0, 0])
        bar[0] += opens
        bar[1] += clicks
    return bucket, [(start, opens, clicks) for start, (opens, clicks) in sorted(merged.items())]


DAY, WEEK = 86400, 7 * 86400


def _bar_of(start: int, bucket: int, zone: tzinfo) -> int:
    """The start of the bar a moment (Unix seconds) falls in: a multiple of ``bucket`` for bars
    under a day; for days and weeks, midnight of its day (of that week's Monday) on ``zone``'s clock,
    so the bar labelled 02 Dec holds the opens of 2 December as the office lived it (review 24r #2:
    bars ran from midnight UTC, so in New York the opens of a release sent at 09:00 on 2 December
    were drawn under "01 Dec", and in Europe a bar held an hour of the next day). Every zone's
    offset is a whole number of quarter hours, so no 15-minute bucket straddles two bars."""
    if bucket < DAY:
        return start // bucket * bucket
    day = datetime.fromtimestamp(start, UTC).astimezone(zone).date()
    if bucket >= WEEK:
        day -= timedelta(days=day.weekday())
    return _midnight(day, zone)


def _midnight(day: date, zone: tzinfo) -> int:
    """When ``day`` begins on ``zone``'s clock, in Unix seconds (its first moment where a clock change skips midnight)."""
    moment = datetime.combine(day, time(), tzinfo=zone)
    return int(moment.timestamp())


def _bar_starts(first: int, last: int, bucket: int, zone: tzinfo) -> list[int]:
    """The starts of every bar from the one beginning at ``first`` to the one at ``last``, empty ones
    included: ``bucket`` apart, or one a day (a week) on ``zone``'s clock, whose days may run 23 or 25
    hours across a change to or from summer time."""
    if bucket < DAY:
        return list(range(first, last + bucket, bucket))
    step = timedelta(days=7 if bucket >= WEEK else 1)
    day = datetime.fromtimestamp(first, UTC).astimezone(zone).date()
    starts = []
    while (moment := _midnight(day, zone)) <= last:
        starts.append(moment)
        day += step
    return starts


def _bucket_size(first: int | None, last: int | None) -> int:
    """The smallest bar width that keeps the chart under MAX_BARS bars."""
    span = (last or 0) - (first or 0)
    return next((size for size in BUCKETS if span // size < MAX_BARS), BUCKETS[-1])


def charts(points: Sequence[tuple[int, int, int]], bucket: int, *, zone: tzinfo = UTC) -> Markup:
    """The timeline chart twice, wide (880 units) and narrow (360), the page's CSS showing one.

    An SVG scales its text with its width: drawn once at 880 units, an 11-unit label would be
    under 5 px on a 375 px phone. The narrow one keeps labels at 12 px or more there.
    """
    if not points:
        return Markup('<p class="note">No opens or clicks recorded yet.</p>')
    legend = (
        '<p class="legend"><span><i class="sw" style="background:#2f6fde"></i>opened by people (journalists, each at their first open)</span>'
        f'<span><i class="sw" style="background:#e8833a"></i>clicks</span><span class="note">one pair of bars per {_bucket_label(bucket)}</span></p>'
    )
    wide = chart(points, bucket, width=880, height=260, font=13, variant="wide", zone=zone)
    narrow = chart(points, bucket, width=360, height=220, font=12, variant="narrow", zone=zone)
    return Markup(str(wide) + str(narrow) + legend)


def chart(
    points: Sequence[tuple[int, int, int]],
    bucket: int,
    *,
    width: int = 880,
    height: int = 260,
    font: int = 11,
    variant: str = "wide",
    zone: tzinfo = UTC,
) -> Markup:
    """An inline SVG bar chart: journalists opening (by people, each once: their first open) and clicks per time bucket (``width`` x ``height`` units)."""
    if not points:
        return Markup('<p class="note">No opens or clicks recorded yet.</p>')
    by_bucket = {start: (opens, clicks) for start, opens, clicks in points}
    starts = _bar_starts(points[0][0], points[-1][0], bucket, zone)
    peak = max(max(o, c) for o, c in by_bucket.values())
    top = max(2, peak + peak % 2)  # even, so the half-way gridline is a whole number
    left, right, upper, lower = 8 + font * len(str(top)) * 6 // 10 + 6, 12, 12, 40
    left = max(left, 48) if width > 600 else left
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / len(starts)
    bar = max(1.0, slot * 0.4)
    parts = [
        (
            f'<svg class="chart {variant}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-label="Journalists who opened (by people, at their first open) and clicks per {_bucket_label(bucket)}">'
        ),
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{width - right}" y2="{upper + plot_h}" stroke="#9aa5b1"/>',
    ]
    for fraction in (0.5, 1.0):
        y = upper + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{font}" fill="#616e7c">{int(top * fraction)}</text>'
        )
    for index, start in enumerate(starts):
        opens, clicks = by_bucket.get(start, (0, 0))
        x = left + index * slot + (slot - 2 * bar) / 2
        opened = f"{counted(opens, 'journalist')} first opened"
        for offset, value, colour, said in ((0.0, opens, "#2f6fde", opened), (bar, clicks, "#e8833a", counted(clicks, "click"))):
            if value:
                h = plot_h * value / top
                parts.append(
                    f'<rect x="{x + offset:.1f}" y="{upper + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                    f"<title>{escape(_label(start, bucket, zone))}: {said}</title></rect>"
                )
    last = len(starts) - 1
    for index in sorted({0, last // 2, last} if width > 600 else {0, last}):
        x = left + index * slot + slot / 2
        anchor = "start" if index == 0 and last else "end" if index == last and last else "middle"
        x = left if anchor == "start" else width - right if anchor == "end" else x
        parts.append(
            f'<text x="{x:.1f}" y="{height - 20}" text-anchor="{anchor}" font-size="{font}" fill="#616e7c">'
            f"{escape(_label(starts[index], bucket, zone))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


TREND = (("opened by people", "#2f6fde"), ("clicked", "#e8833a"), ("bounced", "#b42318"))


def trend_charts(summaries: Sequence[Summary], *, zone: tzinfo = UTC) -> Markup:
    """Opened-by-people, clicked and bounce rates per campaign in date order, as lines (wide and narrow).

    A rate with nothing to divide by (no email delivered, or none accepted: a send that mailed
    nobody, or whose events are not in yet) is no point at all, and the line breaks there, as the
    table leaves its cell empty (newcomer 16 #10: it was drawn at 0%, a release nobody opened).
    """
    series = [
        [s.rate(s.opened_human) for s in summaries],
        [s.rate(s.clicked) for s in summaries],
        [s.rate(s.bounced_all, over=s.accepted) for s in summaries],
    ]
    dates = [s.campaign.goes_out.astimezone(zone).strftime("%d %b %Y") for s in summaries]
    names = [s.campaign.id for s in summaries]
    legend = "".join(f'<span><i class="sw" style="background:{colour}"></i>{label} (%)</span>' for label, colour in TREND)
    wide = _trend(series, dates, names, width=880, height=260, font=13, variant="wide")
    narrow = _trend(series, dates, names, width=360, height=220, font=12, variant="narrow")
    return Markup(
        wide
        + narrow
        + f'<p class="legend">{legend}<span class="note">one point per campaign, oldest on the left; none where nothing was delivered to count by</span></p>'
    )


def _trend(
    series: Sequence[Sequence[float | None]],
    dates: Sequence[str],
    names: Sequence[str],
    *,
    width: int,
    height: int,
    font: int,
    variant: str,
) -> str:
    peak = max((value for line in series for value in line if value is not None), default=0.0)
    top = next((step for step in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0) if peak <= step), 1.0)
    left, right, upper, lower = font * 3 + 8, 16, 12, 40
    plot_w, plot_h = width - left - right, height - upper - lower
    count = len(dates)
    step = plot_w / max(count - 1, 1)

    def x_of(index: int) -> float:
        return left + (index * step if count > 1 else plot_w / 2)

    parts = [
        (
            f'<svg class="chart {variant}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img" '
            'aria-label="Opened by people, clicked and bounce rates per campaign">'
        )
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = upper + plot_h * (1 - fraction)
        colour = "#9aa5b1" if fraction == 0 else "#e4e7eb"
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{colour}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{font}" fill="#616e7c">{top * fraction * 100:.0f}%</text>'
        )
    for line, (label, colour) in zip(series, TREND):
        points = [None if value is None else (x_of(i), upper + plot_h * (1 - value / top)) for i, value in enumerate(line)]
        run: list[tuple[float, float]] = []
        for point in [*points, None]:  # a line through each run of known rates; an unknown one breaks it
            if point is not None:
                run.append(point)
                continue
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            run = []
        for point, value, name in zip(points, line, names):
            if point is None or value is None:
                continue
            x, y = point
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(name)}: {percent(value)} {label}</title></circle>'
            )
    last = count - 1
    for index in sorted({0, last // 2, last} if width > 600 else {0, last}):
        anchor = "start" if index == 0 and last else "end" if index == last and last else "middle"
        x = left if anchor == "start" else width - right if anchor == "end" else x_of(index)
        parts.append(
            f'<text x="{x:.1f}" y="{height - 20}" text-anchor="{anchor}" font-size="{font}" fill="#616e7c">{escape(dates[index])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _label(start: int, bucket: int, zone: tzinfo = UTC) -> str:
    moment = datetime.fromtimestamp(start, UTC).astimezone(zone)
    return moment.strftime("%d %b") if bucket >= 86400 else moment.strftime("%d %b %H:%M")


def _bucket_label(bucket: int) -> str:
    return {900: "15 minutes", 3600: "hour", 86400: "day", 7 * 86400: "week"}.get(bucket, f"{bucket // 3600} hours")
