"""Review 27a: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from office_cli import KEY, mailed, mailer, office

SEND = ("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")

# -- 1. an address let through by name was mailed after another spelling of its Gmail inbox said no mid-send -------

GMAIL_FOUR = (
    "Email,First Name,Last Name\n"
    "ana@daily.example,Ana,Lima\n"
    "jane.doe@gmail.com,Jane,Doe\n"
    "Jo.Bloggs@googlemail.com,Jo,Bloggs\n"
    "ben@gazette.example,Ben,Okafor\n"
)


OVERRIDES = ("--override-suppression", "jane.doe@gmail.com", "--override-suppression", "jo.bloggs@googlemail.com")


def test_an_address_let_through_by_name_is_stopped_by_another_spelling_of_its_gmail_inbox_mid_send(
    project: Path, standin: Any, db_url: str
) -> None:
    """Jane once bounced as jane.doe@gmail.com; the press officer lets that address through by name
    (--override-suppression jane.doe@gmail.com). While the send's first request is with SendGrid she
    unsubscribes as janedoe@gmail.com, the same inbox. The override named the old suppression of that
    one address, not every later "no" from her inbox: the check before her request skipped the whole
    Gmail rule for her and she was mailed. Now she is skipped as suppressed; Jo, let through by name
    and saying nothing new, is still mailed."""
    from send_fixtures import send_running
    from test_review26r import campaign_of_output

    office(project, standin, db_url, beat=GMAIL_FOUR, batch_size=1, sendgrid="concurrency = 1\ntimeout = 300\n")
    added = mailer("suppressions", "add", "jane.doe@gmail.com", "jo.bloggs@googlemail.com", "--reason", "bounced")
    assert added.exit_code == 0, added.output
    first = standin.hold(longest=240)
    with send_running(project, standin, KEY, (*SEND, *OVERRIDES)) as process:
        again = mailer("suppressions", "add", "janedoe@gmail.com", "--reason", "unsubscribed")
        assert again.exit_code == 0, again.output
        first.set()
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, out + err
    # Jo, let through by name too and saying nothing new, is mailed
    assert mailed(standin) == ["ana@daily.example", "jo.bloggs@googlemail.com", "ben@gazette.example"], out
    status = mailer("status", campaign_of_output(out))
    assert "Recipients: 3 accepted\nSkipped:   1 suppressed\n" in status.output, status.output


# -- 2. `kill PID` while the live send's question waited read as "no": exit 0, as if the officer had answered -------


def test_sigterm_while_the_send_question_waits_stops_the_command(tmp_path: Path, standin: Any, db_url: str, database: str) -> None:
    """The live send asks "Send ...? [y/N]"; the computer shuts down (SIGTERM) before anyone answers.
    Click heard it as Ctrl-D: "Nothing was sent." and exit 0, as if the press officer had said no,
    and a script or service manager could not tell. Now it ends as any stopped command does:
    "Stopped.", exit 143; nothing is sent or logged."""
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    if database != "sqlite":
        pytest.skip("the same on either log: one is enough")
    office(tmp_path, standin, db_url)
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mailer", *(a for a in SEND if a != "--yes")],
        cwd=tmp_path,
        env={**os.environ, "SENDGRID_API_KEY": KEY},
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(follower)
    try:
        assert process.stdout is not None
        shown = b""
        deadline = time.monotonic() + 60
        readable = select.poll()  # not select.select: a worker late in the suite holds descriptors past 1024
        readable.register(process.stdout, select.POLLIN)
        while b"[y/N]" not in shown:
            assert time.monotonic() < deadline and process.poll() is None, shown
            if readable.poll(200):
                shown += os.read(process.stdout.fileno(), 65536)
        # Python runs its handler once a blocking read returns: a signal landing between the prompt's
        # write and input()'s read (microseconds; here the moment the prompt shows) is heard by the next.
        for _ in range(30):
            process.send_signal(signal.SIGTERM)
            try:
                out, err = process.communicate(timeout=2)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            pytest.fail(f"still running a minute after SIGTERM: {shown!r}")
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
    words = (shown + out).decode() + err.decode()
    assert process.returncode == 143, words
    assert "Stopped." in err.decode(), words
    assert "Traceback" not in words, words
    assert standin.mail_sends == []
    listed = mailer("campaigns", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [], listed.output  # nothing logged


# -- 3. the library's reference render kept a list cell's javascript: address as a whole link ----------------------


def test_render_for_keeps_a_cells_whole_link_to_web_mail_and_phone_addresses(project: Path) -> None:
    """`compose.render_for` (one journalist's email rendered directly, the library's reference) put a
    cell "javascript:alert(document.domain)" as it was in [your page]({{ contact.website }}), in a
    default's address and in the template's links, where the send (``personalize``) has "#": a script
    run by a click for anyone using the library's render for a proof. Now both give the same email."""
    import re

    from mailer import compose
    from mailer.compose import release
    from mailer.config import ComposeConfig, Config

    template = project / "templates" / "release.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "</body>",
            '<svg><a xlink:href="{{ contact.website }}"><text>Site</text></a>'
            '<animate attributeName="href" values="https://example.org/;{{ contact.website }}"/></svg>'
            '<p><a href="{{ contact.website }}/about">About</a> <a href="{{ contact.website | upper }}">Up</a>'
            ' <a href="https://example.org/?w={{ contact.website }}">Query</a> <a href="{{ contact.site }}">Site</a></p>\n</body>',
        ),
        encoding="utf-8",
    )
    path = project / "releases" / "links.md"
    path.write_text(
        '---\nsubject: "News"\ndate: 2026-02-19\n---\n'
        'See [your page]({{ contact.website }}), [blog]({{ contact.blog | default("javascript:alert(2)") }}) and '
        "[more]({{ contact.website }}/x); {{ contact.website }}.\n",
        encoding="utf-8",
    )
    config = Config(compose=ComposeConfig(templates=project / "templates"))
    loaded = release.load(path)
    fields = {"email": "j@example.org", "website": "javascript:alert(document.domain)", "site": "https://example.org/jo"}
    fast = compose.personalize(compose.render(loaded, config=config), fields)
    slow = compose.render_for(loaded, fields, config=config)
    assert slow.html == fast.html
    addresses = [a for tag in re.findall(r"<[^<>]*>", slow.html) for a in re.findall(r'(?:href|values)="([^"]*)"', tag)]
    assert not [a for a in addresses if "javascript:" in a.lower()], addresses
    assert "https://example.org/jo" in addresses and "#/about" in addresses, addresses
    assert "javascript:alert(document.domain)." in slow.text  # as text, it is shown as written


# -- 4. on a PostgreSQL log of another collation, the check before each request read the whole suppression list ---


def test_the_gmail_check_seeks_the_suppression_list_on_a_postgresql_log_of_any_collation(db_url: str, database: str) -> None:
    """Before each request the send looks for every spelling of its Gmail addresses among the
    suppressions: ranges of the address in code-point order. A PostgreSQL log whose database sorts text
    otherwise (en_US.UTF-8, a managed server's usual) has them as COLLATE "C", which no index served:
    each range read the whole list, 11 seconds a request of 300 Gmail addresses at 100,000
    suppressions (review 27a). An index in that order serves them, in a new log and one upgraded alike."""
    from sqlalchemy import event as sqlalchemy_event

    from mailer.store import connect, inboxes
    from mailer.store.schema import suppression

    if database != "postgresql":
        pytest.skip("SQLite orders text by code point: its address index serves the ranges")

    def seeks(engine: Any) -> bool:
        seen: list[tuple[str, Any]] = []

        def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            if "unnest" in statement:
                seen.append((statement, parameters))

        sqlalchemy_event.listen(engine, "before_cursor_execute", note)
        with engine.begin() as connection:
            connection.info["mailer_code_point_order"] = False  # as on a database of another collation
            inboxes.suppressed_inboxes(connection, ["jane.doe@gmail.com", "jo@googlemail.com"])
            ((statement, parameters),) = seen
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a small list: seek it if it can be sought
            plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
        sqlalchemy_event.remove(engine, "before_cursor_execute", note)
        return any("Index Cond:" in line and "email_key" in line and "r.lo" in line for line in plan.splitlines())

    engine = connect(db_url)
    try:
        with engine.begin() as connection:  # enough of a list that a read of it all costs more than seeking it
            now = datetime.now(UTC)
            connection.execute(
                suppression.insert(),
                [
                    {"email_key": f"j{i}.x@{('gmail.com', 'example.org')[i % 2]}", "reason": "bounce", "source": "sync", "created_at": now}
                    for i in range(5000)
                ],
            )
            connection.exec_driver_sql("ANALYZE suppression")
        assert seeks(engine)
        with engine.begin() as connection:  # the log as the version before made it
            connection.exec_driver_sql("DROP INDEX ix_suppression_key_c")
            connection.exec_driver_sql("UPDATE schema_info SET version = 13")
        assert not seeks(engine)
    finally:
        engine.dispose()
    engine = connect(db_url)  # upgraded
    try:
        assert seeks(engine)
    finally:
        engine.dispose()


# -- 5. on an ICU PostgreSQL database, the check before each request missed names whose third letter is z or 9 -------


def test_the_gmail_check_finds_every_spelling_on_an_icu_postgresql_database(database: str, postgres_admin: Any) -> None:
    """A PostgreSQL 15+ database made with ICU (locale_provider icu, as initdb --locale-provider=icu or a
    managed server may make it) names C.UTF-8 as its collation and sorts text by ICU all the same. The
    check read the name and sought its ranges in the database's order, where "li{" (the end of the names
    starting "liz") sorts before "liz": Lizzy, who unsubscribed as l.izzy@gmail.com, was not found under
    lizzy@gmail.com and was mailed (so was any name whose first letters end in z or 9). The check now asks
    the database's order itself."""
    import uuid

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from mailer.models import SuppressionReason
    from mailer.store import connect, inboxes, suppressions

    if database != "postgresql":
        pytest.skip("SQLite orders text by code point")
    name = f"review27a_icu_{uuid.uuid4().hex[:8]}"
    try:
        with postgres_admin.connect() as admin:
            admin.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    except DBAPIError as exc:  # PostgreSQL before 15, or built without ICU
        pytest.skip(f"no ICU database here: {exc.orig}")
    try:
        engine = connect(make_url(postgres_admin.url).set(database=name).render_as_string(hide_password=False))
        try:
            with engine.begin() as connection:
                listed = ["l.izzy@gmail.com", "a.b9x@gmail.com", "j.a.n.e@gmail.com"]
                suppressions.add(connection, [(a, SuppressionReason.MANUAL, None) for a in listed], source="manual")
            with engine.connect() as connection:
                found = inboxes.suppressed_inboxes(connection, ["lizzy@gmail.com", "ab9x@gmail.com", "jane@gmail.com"])
            assert found == {"lizzy@gmail.com", "ab9x@gmail.com", "jane@gmail.com"}
        finally:
            engine.dispose()
    finally:
        with postgres_admin.connect() as admin:
            admin.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
