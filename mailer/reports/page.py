"""The HTML report: one self-contained file a press officer can email to their boss.

Inline CSS, an inline SVG chart of opens and clicks over time, the summary and the outlet
table; no script, font, image or stylesheet is fetched from anywhere. Every value from the
log (names, outlets, reasons, subject) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from jinja2 import Environment
from markupsafe import Markup, escape
from sqlalchemy import Engine

from mailer.reports.figures import Summary, Table, page_figures, percent, rows_of
from mailer.store import event_reports as event_store

BUCKETS = (900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
MAX_BARS = 60

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Report: {{ summary.campaign.subject }}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933; margin: 0; background: #f5f7fa; }
main { max-width: 960px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 2px solid #e4e7eb; padding-bottom: 4px; }
.meta { color: #616e7c; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 140px; border: 1px solid #e4e7eb; border-radius: 8px; padding: 12px; }
.card .n { font-size: 26px; font-weight: 700; } .card .l { color: #616e7c; font-size: 13px; } .card .r { color: #3e4c59; font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f5f7fa; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.alert td { background: #f8d7da; color: #611a15; font-weight: 600; }
.badge { display: inline-block; background: #b42318; color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; }
.chart { width: 100%; height: auto; } .legend span { display: inline-block; margin-right: 16px; font-size: 13px; }
.sw { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.note { color: #616e7c; font-size: 12px; } td.sub { padding-left: 28px; color: #3e4c59; }
</style>
</head>
<body>
<main>
<h1>{{ summary.campaign.subject }}</h1>
<p class="meta">Campaign {{ summary.campaign.id }} · sent {{ sent }} · report made {{ made }} · times in UTC</p>
<div class="cards">
{% for label, count, rate in cards %}<div class="card"><div class="n">{{ count }}</div><div class="l">{{ label }}</div><div class="r">{{ rate }}</div></div>
{% endfor %}</div>
<h2>Opens and clicks over time</h2>
{{ chart }}
<p class="note">Opens by people leave out the automatic opens of Apple Mail Privacy Protection, which loads every email's images whether or not it is read.</p>
<h2>Summary</h2>
<table>
<tr><th>figure</th><th class="num">count</th><th class="num">rate</th></tr>
{% for key, label, count, rate in summary.figures() %}<tr><td{% if label.startswith(" ") %} class="sub"{% endif %}>{{ label }}</td><td class="num">{{ count }}</td><td class="num">{{ pct(rate) }}</td></tr>
{% endfor %}</table>
<p class="note">Opened, clicked, spam and unsubscribe rates are shares of delivered emails; delivered and bounce rates are shares of emails SendGrid accepted.</p>
<h2>Outlets and domains</h2>
{% if outlet_table.flagged %}<p><span class="badge">Attention</span> Every address bounced at {{ outlet_table.flagged|length }} outlet(s) or domain(s), highlighted below. Check those addresses before the next release.</p>{% endif %}
{{ render(outlet_table) }}
{% if detail %}<h2>{{ detail_title }}</h2>
{{ render(detail) }}{% endif %}
</main>
</body>
</html>
"""

TABLE_TEMPLATE = """<table>
<tr>{% for label in t.labels %}<th{% if numeric[loop.index0] %} class="num"{% endif %}>{{ label }}</th>{% endfor %}</tr>
{% for row in t.rows %}<tr{% if loop.index0 in t.flagged %} class="alert"{% endif %}>{% for cell in row %}<td{% if numeric[loop.index0] %} class="num"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>
"""

DETAIL_TITLES = {"recipients": "Every journalist", "opens": "Who opened", "clicks": "Who clicked", "bounces": "Bounces"}

_environment = Environment(autoescape=True, trim_blocks=False)
_page = _environment.from_string(TEMPLATE)
_table = _environment.from_string(TABLE_TEMPLATE)


def render(engine: Engine, campaign_id: str, kind: str, *, now: datetime | None = None) -> str:
    """The whole HTML page for a campaign; per-journalist kinds add their table below the outlets."""
    summary, outlet_table, fine = page_figures(engine, campaign_id)
    detail = None
    if kind in DETAIL_TITLES:
        with engine.connect() as connection:
            detail = rows_of(summary.campaign, event_store.activity(connection, campaign_id, kinds=[kind]), kind)
    bucket, points = merge_timeline(fine)
    return _page.render(
        summary=summary,
        sent=summary.campaign.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
        made=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M"),
        cards=_cards(summary),
        chart=chart(points, bucket),
        outlet_table=outlet_table,
        detail=detail,
        detail_title=DETAIL_TITLES.get(kind, ""),
        render=_render_table,
        pct=percent,
    )


def _render_table(t: Table) -> Markup:
    numeric = [bool(t.rows) and all(isinstance(row[i], (int, float)) for row in t.rows[:50]) for i in range(len(t.labels))]
    return Markup(_table.render(t=t, numeric=numeric))


def _cards(summary: Summary) -> list[tuple[str, int, str]]:
    def share(count: int, over: int | None = None) -> str:
        rate = summary.rate(count, over=over)
        return "" if rate is None else f"{percent(rate)} of {'accepted' if over is not None else 'delivered'}"

    bounced = summary.bounced + summary.blocked + summary.dropped
    return [
        ("delivered", summary.delivered, share(summary.delivered, summary.accepted)),
        ("opened by people", summary.opened_human, share(summary.opened_human)),
        ("clicked", summary.clicked, share(summary.clicked)),
        ("bounced, blocked or dropped", bounced, share(bounced, summary.accepted)),
        ("unsubscribed", summary.unsubscribed, share(summary.unsubscribed)),
    ]


def merge_timeline(fine: Mapping[int, tuple[int, int]]) -> tuple[int, list[tuple[int, int, int]]]:
    """15-minute buckets merged into the bar width that keeps the chart under MAX_BARS bars.

    Returns (bar width in seconds, [(bar start, opens by people, clicks), ...] oldest first).
    """
    if not fine:
        return BUCKETS[0], []
    bucket = _bucket_size(min(fine), max(fine))
    merged: dict[int, list[int]] = {}
    for start, (opens, clicks) in fine.items():
        bar = merged.setdefault(start // bucket * bucket, [0, 0])
        bar[0] += opens
        bar[1] += clicks
    return bucket, [(start, opens, clicks) for start, (opens, clicks) in sorted(merged.items())]


def _bucket_size(first: int | None, last: int | None) -> int:
    """The smallest bar width that keeps the chart under MAX_BARS bars."""
    span = (last or 0) - (first or 0)
    return next((size for size in BUCKETS if span // size < MAX_BARS), BUCKETS[-1])


def chart(points: Sequence[tuple[int, int, int]], bucket: int, *, width: int = 880, height: int = 260) -> Markup:
    """An inline SVG bar chart: opens by people and clicks per time bucket."""
    if not points:
        return Markup('<p class="note">No opens or clicks recorded yet.</p>')
    by_bucket = {start: (opens, clicks) for start, opens, clicks in points}
    starts = list(range(points[0][0], points[-1][0] + bucket, bucket))
    peak = max(max(o, c) for o, c in by_bucket.values())
    top = max(2, peak + peak % 2)  # even, so the half-way gridline is a whole number
    left, right, upper, lower = 48, 12, 12, 40
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / len(starts)
    bar = max(1.0, slot * 0.4)
    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-label="Opens by people and clicks per {_bucket_label(bucket)}">'
        ),
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{width - right}" y2="{upper + plot_h}" stroke="#9aa5b1"/>',
    ]
    for fraction in (0.5, 1.0):
        y = upper + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#616e7c">{int(top * fraction)}</text>')
    for index, start in enumerate(starts):
        opens, clicks = by_bucket.get(start, (0, 0))
        x = left + index * slot + (slot - 2 * bar) / 2
        for offset, value, colour, name in ((0.0, opens, "#2f6fde", "opens"), (bar, clicks, "#e8833a", "clicks")):
            if value:
                h = plot_h * value / top
                parts.append(
                    f'<rect x="{x + offset:.1f}" y="{upper + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                    f"<title>{escape(_label(start, bucket))}: {value} {name}</title></rect>"
                )
    last = len(starts) - 1
    for index in sorted({0, last // 2, last}):
        x = left + index * slot + slot / 2
        anchor = "start" if index == 0 and last else "end" if index == last and last else "middle"
        x = left if anchor == "start" else width - right if anchor == "end" else x
        parts.append(
            f'<text x="{x:.1f}" y="{height - 20}" text-anchor="{anchor}" font-size="11" fill="#616e7c">'
            f"{escape(_label(starts[index], bucket))}</text>"
        )
    parts.append("</svg>")
    legend = (
        '<p class="legend"><span><i class="sw" style="background:#2f6fde"></i>opens by people</span>'
        f'<span><i class="sw" style="background:#e8833a"></i>clicks</span><span class="note">one pair of bars per {_bucket_label(bucket)}</span></p>'
    )
    return Markup("".join(parts) + legend)


def _label(start: int, bucket: int) -> str:
    moment = datetime.fromtimestamp(start, UTC)
    return moment.strftime("%d %b") if bucket >= 86400 else moment.strftime("%d %b %H:%M")


def _bucket_label(bucket: int) -> str:
    return {900: "15 minutes", 3600: "hour", 86400: "day", 7 * 86400: "week"}.get(bucket, f"{bucket // 3600} hours")
