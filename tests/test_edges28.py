"""Edges 28: leftovers of session 27, each a finding a press office would notice, through the command
line or the library, failing before its fix (session 28)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventlog import TEST_PUBLIC_KEY, post_scope
from office_cli import mailer, office, said
from sqlalchemy import Engine

# -- 1. Dotted dates: refused as "3 April or 4 March" by --at and the embargo, read day first in a list ---------


@pytest.mark.sqlite_only  # dates are read before the log is opened: one database is enough
def test_a_dotted_date_is_read_day_first_everywhere(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A German office writes 3 April as 03.04.2027, and so do its lists ("Einwilligung bis": 03.04.2027 was read
    as 3 April), but `--at "03.04.2027 09:00 Europe/Berlin"` and `embargo: "03.04.2027 10:00 Europe/Berlin"` were
    refused as "3 April written day first, but 4 March written month first": the same date read one way in one
    place and two ways in another. No country writes month.day.year: a date with dots is now read day first in
    all of them (and `date:`); one that is no date day first is refused, never read month first; a date with
    slashes that reads two ways is still refused everywhere, a list's cell naming both readings."""
    folder = office(
        tmp_path,
        standin,
        db_url,
        beat="Email,Einwilligung bis\nana@daily.example,31.12.2099\nben@gazette.example,03/04/2099\n",
    )
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    berlin = datetime.combine(tomorrow.date(), datetime.min.time()).replace(hour=9, tzinfo=ZoneInfo("Europe/Berlin"))
    planned = mailer(
        "send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", f"{tomorrow:%d.%m.%Y} 09:00 Europe/Berlin"
    )
    assert planned.exit_code == 0, planned.output
    assert f"Scheduled: {berlin.astimezone(UTC):%Y-%m-%d %H:%M} UTC" in said(planned), planned.output
    # the list: dots read day first, a slashed date reading two ways refused with both readings named
    assert "ana@daily.example" not in said(planned).split("Skipped")[-1], planned.output
    checked = mailer("lists", "check", "lists/beat.csv")
    assert "row 3: ben@gazette.example: gave no consent to email" in said(checked), checked.output
    assert "it reads two ways, 3 April 2099 or 4 March 2099; write 2099-04-03 or 03.04.2099 for 3 April" in said(checked), checked.output
    assert "a date with dots day first: 05.06.2027 is 5 June" in said(checked), checked.output
    # a dotted date that is no date day first is refused, not read month first (February 13)
    wrong = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run", "--at", "02.13.2027 09:00 Europe/Berlin")
    assert wrong.exit_code == 1, wrong.output
    assert "02.13.2027 is not a date: a date written with dots is read day first (DD.MM.YYYY), and there is no month 13" in said(wrong)
    assert "2027-02-13" not in wrong.output, wrong.output
    # the embargo and the release's date, as --at
    release = folder / "releases" / "example.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(
        text.replace("date: 2026-02-19", 'date: "03.04.2027"\nembargo: "03.04.2027 10:00 Europe/Berlin"'),
        encoding="utf-8",
    )
    previewed = mailer("preview", "releases/example.md", "-o", str(tmp_path / "proof"))
    assert previewed.exit_code == 0, previewed.output
    page = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "proof").glob("*.html"))
    assert "April 3, 2027" in page and "March 4" not in page, page[:2000]
    release.write_text(text.replace("date: 2026-02-19", 'embargo: "31.04.2027 10:00 Europe/Berlin"'), encoding="utf-8")
    refused = mailer("preview", "releases/example.md")
    assert refused.exit_code == 1, refused.output
    assert "31.04.2027 is not a date: a date written with dots is read day first (DD.MM.YYYY), and April has no day 31" in said(refused)
    overview = mailer("report", "--overview", "--since", "01.12.2026", "--until", "31.12.2026", "-o", str(tmp_path / "o.html"))
    assert overview.exit_code == 0, overview.output


# -- 2. An empty "Einwilligung bis" cell: no consent, even where the list's consent column says yes -----------


@pytest.mark.sqlite_only  # the list is read before the log is opened
def test_an_empty_consent_until_cell_gives_no_end(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A German office's list records consent ("Einwilligung": ja) and, for some journalists, the day it ends
    ("Einwilligung bis"); a journalist who consented without an end has that cell empty. Such rows were
    turned away as "no consent" though the list's consent column said ja. An empty cell there now gives no end:
    the consent column decides, and `lists check` says what it did with such rows. Where the consent-until
    column is the list's only consent column, an empty cell still records no consent (silence is not consent),
    and the row's reason says so plainly."""
    office(
        tmp_path,
        standin,
        db_url,
        beat="Email,Einwilligung,Einwilligung bis\nana@daily.example,ja,\nben@gazette.example,nein,\ncy@post.example,ja,31.12.2099\n",
    )
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    words = said(checked)
    assert "recipients: 2" in words, checked.output
    assert "ana@daily.example" not in words, checked.output
    assert 'row 3: ben@gazette.example: gave no consent to email ("Einwilligung": nein)' in words, checked.output
    assert '2 rows leave "Einwilligung bis" empty: read as consent with no end date, which "Einwilligung" gives or refuses' in words, (
        checked.output
    )
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert planned.exit_code == 0 and "Recipients: 2" in said(planned), planned.output
    (tmp_path / "lists" / "only.csv").write_text(
        "Email,Einwilligung bis\nana@daily.example,\ncy@post.example,31.12.2099\n", encoding="utf-8"
    )
    alone = said(mailer("lists", "check", "lists/only.csv"))
    assert (
        'row 2: ana@daily.example: no consent to email ("Einwilligung bis" is empty, and no other column of the list gives consent)'
        in alone
    ), alone
    assert "an empty cell records no consent, as no other column of the list gives it" in alone, alone


# -- 3. Control characters (C0) named by the file's line, every other report by the row --------------------------


def test_control_characters_are_named_by_row(tmp_path: Path) -> None:
    """FileMaker writes a vertical tab for a line break in a cell. `lists check` said where it took them out by the
    file's line ("the first on line 4"), while every other report names the spreadsheet row: a cell running over
    two lines above it put the line one past the row, and the press officer looked at the wrong journalist. The
    note now names each row that held one (as the C1 note does), and the file's line only when it differs."""
    from mailer import contacts

    listed = tmp_path / "filemaker.csv"
    listed.write_bytes(
        b'Email,First Name,Notes\r\nana@daily.example,Ana,"Call after 10\r\nnot before"\r\n'
        b"ben@gazette.example,Be\x0bn,x\r\ncy@post.example,Cy,\x01late\r\n"
    )
    notes = contacts.check([listed]).files[0].summary.notes
    said_first = "2 control characters (0x01, 0x0B) taken out of the cells of rows 3 and 4, the first on line 4 of the file "
    assert notes == (said_first + "(vertical tabs and form feeds became spaces).",), notes
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"Email,First Name\nana@daily.example,An\x0ba\n")
    loaded = contacts.load([plain])
    assert loaded.files[0].notes == (
        "1 control character (0x0B) taken out of the cells of row 2 (vertical tabs and form feeds became spaces).",
    ), loaded.files[0].notes
    assert [c.fields["first_name"] for c in loaded.contacts] == ["An a"]


# -- 4. The webhook read 10 MB before refusing a request with no signature, and stored junk value by value ----------


def _post(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, length: int) -> tuple[int, int, dict[str, Any]]:
    """(status, receive calls, answer) of ``app`` on a POST whose sender sends ``chunks`` of a ``length``-byte
    body, then nothing more when they are not all of it (a slow sender, or one holding the connection)."""
    import asyncio
    import json

    scope = post_scope("/sendgrid/events", host=b"127.0.0.1:8080", length=length, client=("127.0.0.1", 50000), server=("127.0.0.1", 8080))
    scope["headers"] = [*scope["headers"], *headers]
    calls, sent, whole = 0, [], sum(map(len, chunks))

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks) or whole < length}
        await asyncio.sleep(3600)  # the rest never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await asyncio.wait_for(app(scope, receive, send), timeout=60)

    asyncio.run(run())
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], calls, json.loads(answer)


@pytest.mark.sqlite_only  # nothing is stored
def test_the_webhook_refuses_an_unsigned_request_before_its_body(store: Engine) -> None:
    """With a verification key, a request without SendGrid's signature headers (or with one that is no signature
    at all) was refused only once its whole body had arrived: a 10 MB body from a slow sender held the connection
    for up to [webhook] body_timeout and was then answered 408, not 403. It is now refused before a byte of the
    body is read, and told to close the connection."""
    from mailer.config import Config, WebhookConfig
    from mailer.events import signature, webhook

    app = webhook.create_app(config=Config(webhook=WebhookConfig(verification_key=TEST_PUBLIC_KEY, body_timeout=2)), engine=store)
    status, calls, answer = _post(app, [], [b"[" + b" " * 1000], length=10_000_000)
    assert (status, calls) == (403, 0), (status, calls, answer)
    assert answer == {"error": "The request carries no SendGrid signature."}
    forged = [(signature.SIGNATURE_HEADER.lower().encode(), b"bm90IGEgc2lnbmF0dXJl"), (signature.TIMESTAMP_HEADER.lower().encode(), b"1")]
    status, calls, answer = _post(app, forged, [b"[" + b" " * 1000], length=10_000_000)
    assert (status, calls) == (403, 0), (status, calls, answer)


@pytest.mark.sqlite_only  # one quarantine entry
def test_the_unsigned_webhook_keeps_a_body_of_junk_whole(store: Engine) -> None:
    """Without a verification key (a webhook on 127.0.0.1), a 10 MB body of five million numbers was quarantined
    value by value: five million rows, written for ten minutes while every other request waited. A body with more
    than 1,000 values that are not events (SendGrid sends none) is now quarantined whole, once, as a body that is
    not JSON is, and answered at once."""
    import time

    from mailer.config import Config, WebhookConfig
    from mailer.events import webhook
    from mailer.store import quarantine

    app = webhook.create_app(config=Config(webhook=WebhookConfig()), engine=store)
    junk = b'[{"event": "open", "email": "ana@daily.example", "timestamp": 1771495200, "sg_event_id": "e1"},' + b"1," * 4_900_000 + b"1]"
    started = time.perf_counter()
    status, _, answer = _post(app, [], [junk], length=len(junk))
    assert status == 200 and (answer["quarantined"], answer["added"]) == (1, 0), answer
    assert time.perf_counter() - started < 30
    with store.connect() as connection:
        (entry,) = quarantine.latest(connection)
    assert entry.origin == "body", entry
    assert entry.reason.startswith("More than 1,000 of the body's 4,900,002 values are not events (event 2: expected an event"), (
        entry.reason
    )
    assert entry.reason.endswith("if it is one of yours, fix it and load it with mailer events import)."), entry.reason


# -- 5. "| safe" in a template: a journalist's HTML in the reference render, escaped in the email ------------------


def test_a_template_marking_a_contact_field_safe_renders_as_the_email(tmp_path: Path) -> None:
    """An office's own template wrote `{{ ("Dear " ~ contact.first_name) | safe }}` (and `| string | safe`,
    `| format | safe`, `{% autoescape false %}`): `compose.render_for`, the library's one-journalist render,
    put a cell's "<b>Jo</b>" in the HTML as markup, while the email SendGrid sends (and every proof, which
    `compose.personalize` makes) escapes it. The direct render now reads as the email, byte for byte: a
    journalist's value is text wherever it lands, and a link's value is escaped as the send escapes it."""
    import shutil

    from conftest import example

    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config, SenderConfig

    shutil.copytree(example("releases"), tmp_path / "releases")
    shutil.copytree(example("templates"), tmp_path / "templates")
    templates = tmp_path / "templates"
    own = (templates / "release.html.j2").read_text(encoding="utf-8")
    greeting = (
        '<p class="greet">{{ ("Dear " ~ contact.first_name) | safe }} / {{ contact.outlet | string | safe }} / '
        "{% autoescape false %}{{ contact.first_name }}{% endautoescape %} / "
        '<a href="https://example.org/?who={{ contact.first_name | string | safe }}" title="{{ contact.outlet | string | safe }}">x</a></p>'
    )
    (templates / "own.html.j2").write_text(own.replace('<p class="media-contact-label">', greeting + '<p class="media-contact-label">', 1))
    for suffix in (".txt.j2", ".css"):
        shutil.copy(templates / f"release{suffix}", templates / f"own{suffix}")
    path = tmp_path / "releases" / "own.md"
    path.write_text((tmp_path / "releases" / "example.md").read_text(encoding="utf-8").replace("---\n", "---\ntemplate: own\n", 1))
    config = Config(sender=SenderConfig(postal_address="1 Example Street"))
    loaded = release.load(path)
    fields = {"email": "jo@daily.example", "first_name": "<b>Jo</b> & Co", "outlet": 'The "Bee" <i>Daily</i>'}
    email = compose.personalize(compose.render(loaded, config=config), fields)
    direct = compose.render_for(loaded, fields, config=config)
    assert 'Dear &lt;b&gt;Jo&lt;/b&gt; &amp; Co / The "Bee" &lt;i&gt;Daily&lt;/i&gt; / &lt;b&gt;Jo&lt;/b&gt; &amp; Co' in email.html, (
        email.html
    )
    assert "<b>Jo</b>" not in direct.html and "<i>Daily</i>" not in direct.html, direct.html
    assert direct.html == email.html


# -- 6. "Dear  ," : a greeting of fields with empty defaults left its spaces -------------------------------------


def test_a_greeting_of_empty_fields_reads_clean(tmp_path: Path) -> None:
    """`Dear {{ contact.honorific | default("") }} {{ contact.last_name | default("") }},` read "Dear  ," for a
    journalist with neither (two spaces before the comma), "Dear  Smith," with no honorific, in the HTML and the
    text part alike. The space before a field that may be empty now goes with its value: "Dear," "Dear Smith,"
    "Dear Dr. Smith," as a person would write them, in the email (``personalize``) and the direct render alike."""
    import re
    import shutil

    from conftest import example

    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config, SenderConfig

    shutil.copytree(example("releases"), tmp_path / "releases")
    path = tmp_path / "releases" / "greet.md"
    source = (tmp_path / "releases" / "example.md").read_text(encoding="utf-8")
    greeting = 'Dear {{ contact.honorific | default("") }} {{ contact.last_name | default("") | upper }},\n\n'
    source = source.replace("The Riverbend Beekeepers Association today", greeting + "The Riverbend Beekeepers Association today", 1)
    preheader = "preheader: \"News for {{ contact.honorific | default('') }} you\""
    path.write_text(source.replace('preheader: "Census results, maps and interviews with the volunteers who counted"', preheader, 1))
    config = Config(sender=SenderConfig(postal_address="1 Example Street"))
    loaded = release.load(path)
    rendered = compose.render(loaded, config=config)
    for fields, greeted in (
        ({}, "Dear,"),
        ({"last_name": "Smith"}, "Dear SMITH,"),
        ({"honorific": "Dr.", "last_name": "Smith"}, "Dear Dr. SMITH,"),
        ({"honorific": "Dr."}, "Dear Dr.,"),
    ):
        fields = {"email": "jo@daily.example", **fields}
        email = compose.personalize(rendered, fields)
        assert re.search(r"^Dear[^\n]*,$", email.text, re.MULTILINE)[0] == greeted, email.text[:600]  # type: ignore[index]
        assert re.search(r">(Dear[^<]*,)</p>", email.html)[1] == greeted, email.html  # type: ignore[index]
        assert compose.preheader_for(rendered, fields) == ("News for Dr. you" if "honorific" in fields else "News for you")
        direct = compose.render_for(loaded, fields, config=config)
        assert (direct.html, direct.text) == (email.html, email.text)
