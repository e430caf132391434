"""Review 18y: a hostile review of the fixes merged on the day of session 18 (reviews 18h, 18p,
18r, 18s), as a press officer or an attacker would meet them. Each test is a finding, through the
command line, and failed before its fix (session 18)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from conftest import without_log_line
from eventlog import T0, add_campaign, add_message, sg_event
from office_cli import SEND, campaign_of, cancel_cut_off, mailed, mailer, office, scheduled_stopped_half_way
from sqlalchemy import Engine, update

from mailer.cli import main
from mailer.store.schema import campaign


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# -- 1. A list with two opt-out columns read only the first ---------------------------------------


def test_every_opt_out_column_is_honoured(tmp_path: Path) -> None:
    """A Salesforce report kept with a column of the office's own ("Do Not Email") beside Salesforce's
    "Email Opt Out": Ana, who opted out in Salesforce (1) and is blank in the office's column, stayed
    a recipient, as only the first opt-out column was read. Any opt-out column saying so counts."""
    text = (
        "Email,Name,Do Not Email,Email Opt Out\n"
        "ana@radio.example,Ana Lima,,1\n"
        "rui@gazette.example,Rui Costa,no,0\n"
        "li@science.example,Li Wei,yes,0\n"
    )
    result = invoke("lists", "check", written(tmp_path / "list.csv", text.encode("utf-8")), "--json")
    check = json.loads(result.stdout)
    assert (check["valid"], check["opted_out"]) == (1, 2), check
    said = invoke("lists", "check", str(tmp_path / "list.csv")).output
    assert 'row 2: ana@radio.example: opted out of email ("Email Opt Out": 1)' in said, said
    assert 'row 4: li@science.example: opted out of email ("Do Not Email": yes)' in said, said


# -- 2. mailer contact --json counted a journalist who only clicked as not having opened -----------


def test_mailer_contact_counts_a_click_as_an_open(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Ben's mail shows no images: he clicked through to the release, with no open event. The
    report counts him as opened by a person, and a `--who not-opened` follow-up leaves him out;
    `mailer contact ben@... --json` said "opened": 0 of his one campaign, "clicked": 1. It says 1."""
    beat = "Email,First Name,Last Name,Outlet\nben@paper.example,Ben,Doe,Paper\n"
    office(tmp_path, standin, db_url, beat=beat)
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    campaign_id = campaign_of(sent)
    key = standin.mail_sends[0].body["personalizations"][0]["custom_args"]["message"]
    events = [
        sg_event("delivered", "ben@paper.example", key=key, campaign_id=campaign_id, at=T0 + 5),
        sg_event("click", "ben@paper.example", key=key, campaign_id=campaign_id, at=T0 + 600, url="https://www.example.org/census-2026"),
    ]
    Path("events.json").write_text(json.dumps(events), encoding="utf-8")
    assert mailer("events", "import", "events.json").exit_code == 0
    figures = json.loads(mailer("report", campaign_id, "--format", "json").stdout)["figures"]
    assert figures["opened_human"]["count"] == 1, figures
    found = mailer("contact", "ben@paper.example", "--json")
    assert found.exit_code == 0, found.output
    totals = json.loads(found.stdout)["totals"]
    assert (totals["opened"], totals["clicked"]) == (1, 1), totals


# -- 3. the report of a send whose cancel got no answer blamed the webhook for its silence ---------


def test_report_of_a_send_whose_cancel_got_no_answer_names_the_cancel(store: Engine) -> None:
    """A scheduled send; `mailer cancel` got no answer from SendGrid (Ctrl-C, killed, no answer:
    review 18s #5 keeps it on record). SendGrid took it and discarded the emails at their time, so
    no event ever came. A day later her report said "SendGrid has reported nothing about this send
    yet ... check that [mailer webhook] is running and that SendGrid's Event Webhook points at it",
    and she went looking for a broken webhook; nothing said a cancel may have been taken. The note
    names the cancel first, as status does."""
    add_campaign(store, "2026-02-19-held")
    with store.begin() as connection:
        connection.execute(
            update(campaign)
            .where(campaign.c.id == "2026-02-19-held")
            .values(
                scheduled_at=datetime.fromtimestamp(T0 + 3600, UTC),
                sendgrid_batch_id="batch-1",
                filters={"cancel_sent": datetime.fromtimestamp(T0 + 600, UTC).isoformat()},
            )
        )
    for i in range(3):
        add_message(store, "2026-02-19-held", f"j{i}@paper.example")
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    shown = CliRunner().invoke(main, ["report", "2026-02-19-held"])
    assert shown.exit_code == 0, shown.output
    said = " ".join(without_log_line(shown.output).split())
    assert "a cancel of 2026-02-19-held was sent to SendGrid at 2026-02-19 10:10 UTC" in said, said
    assert "SendGrid may have discarded these emails at 2026-02-19 11:00 UTC" in said, said


# -- 4. mailer suppressions import of an opt-out export suppressed nobody -------------------------


def test_suppressions_import_takes_opted_out_rows_and_mailchimp_unsubscribes(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office exports its HubSpot contacts who unsubscribed ("Unsubscribed from all email":
    true on every row) and imports them as suppressions: `Suppressed 0 addresses`, as every row
    was now rejected as opted out and only recipients were imported; a send from the office's
    other list (without that column) then mailed them. Mailchimp's unsubscribed members' file was
    refused outright, its hint saying to add each address by hand. Both are imported whole, and
    the other list's send skips them."""
    office(
        tmp_path, standin, db_url, beat="Email,Name\nana@radio.example,Ana Lima\nrui@gazette.example,Rui Costa\nli@science.example,Li Wei\n"
    )
    Path("hubspot.csv").write_text("Email,First Name,Unsubscribed from all email\nana@radio.example,Ana,true\n", encoding="utf-8")
    mailchimp = (
        '"Email Address","First Name",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n'
        'rui@gazette.example,Rui,"2025-06-01 10:00:00","June release","I no longer want to receive these emails"\n'
    )
    Path("unsubscribed_members_export_3f2a.csv").write_text(mailchimp, encoding="utf-8")
    refused = mailer("send", "releases/example.md", "--list", "unsubscribed_members_export_3f2a.csv", "--dry-run")
    assert refused.exit_code != 0 and "mailer suppressions import unsubscribed_members_export_3f2a.csv" in refused.output, refused.output
    imported = mailer("suppressions", "import", "hubspot.csv", "unsubscribed_members_export_3f2a.csv", "--reason", "CRM opt-outs")
    assert imported.exit_code == 0, imported.output
    assert "Suppressed 2 addresses" in imported.output, imported.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["li@science.example"]


# -- 5. a colleague's resume went ahead while a cancel of the send had got no answer ----------------


def test_resume_is_refused_while_a_cancel_of_the_send_got_no_answer(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A send scheduled two hours ahead stopped half-way (SendGrid answered 503 for Ben's request):
    Ana's email is held, Ben's still planned. The press officer calls it off; SendGrid is slow to
    answer `mailer cancel` and her laptop dies (the cancel is on record: review 18s #5). A colleague
    sees "1 recipient has not been sent yet" and runs `mailer resume`: Ben's email went to SendGrid,
    in a send the office asked to cancel, under the batch SendGrid may have cancelled. As after a
    late cancel, the resume is refused, and says to run the cancel again."""

    campaign_id, _ = scheduled_stopped_half_way(tmp_path, standin, db_url)
    cancel_cut_off(tmp_path, standin, campaign_id)
    resumed = mailer("resume", campaign_id, "--yes")
    assert "ben@gazette.example" not in mailed(standin), resumed.output
    words = " ".join(resumed.output.split())
    assert resumed.exit_code != 0 and f"run mailer cancel {campaign_id} again" in words, resumed.output
    shown = " ".join(mailer("status", campaign_id).output.split())
    assert (
        "mailer resume" not in shown
        and f"not been sent yet, and no more of this send goes out while its cancel is unsettled: mailer cancel {campaign_id}" in shown
    ), shown
    again = mailer("cancel", campaign_id)
    assert again.exit_code == 0, again.output
    assert "ben@gazette.example" not in mailed(standin)


# -- 6. Excel's FALSE in another language counted as opted out ------------------------------------


def test_excels_false_in_another_language_is_not_an_opt_out(tmp_path: Path) -> None:
    """A Dutch office opens its Salesforce report in Excel and saves it as CSV: Excel writes the
    "Email Opt Out" checkbox as WAAR / ONWAAR. Every ONWAAR journalist was rejected as opted out
    (lists check: 'opted out of email ("Email Opt Out": ONWAAR)') and never mailed. A Swedish
    colleague's FALSKT, a "nee" typed by hand: the same. They are "no"; WAAR still opts out."""
    text = (
        "Email,Name,Email Opt Out\n"
        "ana@radio.example,Ana Lima,ONWAAR\n"
        "rui@gazette.example,Rui Costa,WAAR\n"
        "li@science.example,Li Wei,FALSKT\n"
        "jo@daily.example,Jo Berg,nee\n"
    )
    check = json.loads(invoke("lists", "check", written(tmp_path / "list.csv", text.encode("utf-8")), "--json").stdout)
    assert (check["valid"], check["opted_out"]) == (3, 1), check


# -- 7. beside "Outlet" and "Beat", "Outlets" and "Beats" took their place -------------------------


def test_singular_outlet_and_beat_win_over_plural_ones(tmp_path: Path) -> None:
    """A media database's list heads the journalist's outlet "Outlet" and every outlet she writes
    for "Outlets" (her beat "Beat", all her beats "Beats"). Since "Outlets" and "Beats" read as the
    outlet and the beat (review 18h #5), the first of each won: the release read "for your readers
    at Daily; Weekly Post" where it had read "Daily News", and --where beat=health chose nobody of
    a list whose Beat column says health. The singular column wins; the plural is the list's own."""
    text = 'Email,Name,Outlets,Outlet,Beats,Beat\nana@x.example,Ana Lima,"Daily; Weekly Post",Daily News,"science; health",health\n'
    path = written(tmp_path / "list.csv", text.encode("utf-8"))
    out = tmp_path / "clean.csv"
    assert invoke("lists", "clean", path, "-o", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as file:
        (row,) = list(csv.DictReader(file))
    assert (row["outlet"], row["beat"], row["outlets"], row["beats"]) == (
        "Daily News",
        "health",
        "Daily; Weekly Post",
        "science; health",
    ), row
    alone = written(tmp_path / "alone.csv", b"Email,Name,Outlets,Beats\nana@x.example,Ana Lima,Daily News,health\n")
    assert invoke("lists", "clean", alone, "-o", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as file:
        (row,) = list(csv.DictReader(file))
    assert (row["outlet"], row["beat"]) == ("Daily News", "health"), row


def test_a_tags_column_wins_over_categories_and_labels(tmp_path: Path) -> None:
    """A list with "Categories" (its media types: Newspaper, TV) before "Tags": since Outlook's
    Categories read as the tags (review 18h #4), --tag Health chose nobody, the Tags column being
    the list's own "tags_2". Beside a Tags column, Categories and Labels are the list's own."""
    text = "Email,Name,Categories,Tags\nana@x.example,Ana Lima,Newspaper,Health\nrui@y.example,Rui Costa,TV,Sport\n"
    path = written(tmp_path / "list.csv", text.encode("utf-8"))
    out = tmp_path / "clean.csv"
    result = invoke("lists", "clean", path, "-o", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as file:
        assert [(row["tags"], row["categories"]) for row in csv.DictReader(file)] == [("Health", "Newspaper"), ("Sport", "TV")]


# -- 9. JSON on the terminal passed a bounce reason's bidirectional override as it is -------------


def test_json_on_the_terminal_shows_what_a_terminal_would_act_on(store: Engine, monkeypatch: Any) -> None:
    """A receiving mail server's refusal ended with U+202E (right-to-left override) and U+009B
    (the one-byte form of the escape that recolours a terminal); SendGrid passed it on as the
    bounce's reason. `mailer report CAMPAIGN --kind bounces -o -` on the terminal shows them as
    \\u202e (review 18r #4), but `--format json` printed them as they are, since json.dumps escapes
    only the first 32 control characters: the line read backwards from there. On a terminal the
    JSON now writes them as JSON escapes (the same document once read); a pipe gets it as before."""
    from mailer.cli import output

    add_campaign(store, "2026-02-19-wetlands")
    key = add_message(store, "2026-02-19-wetlands", "cleo@gazette.example", outlet="The Gazette")
    reason = "550 no such user \u202elive.example \u009b31mred"
    Path("events.json").write_text(
        json.dumps(
            [
                sg_event(
                    "bounce", "cleo@gazette.example", key=key, campaign_id="2026-02-19-wetlands", at=T0 + 9, type="bounce", reason=reason
                )
            ]
        ),
        encoding="utf-8",
    )
    Path("mailer.toml").write_text(f'[database]\nurl = "{store.url.render_as_string(hide_password=False)}"\n', encoding="utf-8")
    assert CliRunner().invoke(main, ["events", "import", "events.json"]).exit_code == 0
    piped = CliRunner().invoke(main, ["report", "2026-02-19-wetlands", "--kind", "bounces", "--format", "json"])
    assert piped.exit_code == 0 and reason in piped.stdout, piped.output
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True, raising=False)
    for args in (["report", "2026-02-19-wetlands", "--kind", "bounces", "--format", "json"], ["contact", "cleo@gazette.example", "--json"]):
        shown = CliRunner().invoke(main, args)
        assert shown.exit_code == 0, shown.output
        assert "\u202e" not in shown.stdout and "\u009b" not in shown.stdout, repr(shown.stdout)
        assert "\\u202elive.example \\u009b31mred" in shown.stdout, shown.stdout
    assert json.loads(shown.stdout)["campaigns"][0]["bounce"]["reason"] == reason


# -- 10. --at "... IST" from Dublin was answered with India's zone, ready to paste ----------------


def test_an_abbreviation_of_several_countries_names_each_zone() -> None:
    """An Irish office writes its summer times "IST" (Irish Standard Time): --at "2026-07-02 09:00
    IST" was refused with 'Write the zone of the clocks you mean, ..., for example --at "2026-07-02
    09:00 Asia/Kolkata"'. Pasted, the release went out at 04:30 Dublin time, four and a half
    hours before the embargo. A Beijing office's CST was given America/Chicago (14 hours off).
    The hint names each place that writes the abbreviation, with its zone."""
    from mailer.errors import SendError
    from mailer.send.schedule import parse_at

    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    for zone, wanted in (("IST", "Europe/Dublin"), ("CST", "Asia/Shanghai"), ("BST", "Asia/Dhaka")):
        try:
            parse_at(f"2026-07-02 09:00 {zone}", now=now)
        except SendError as refused:
            hint = refused.hint or ""
        else:
            raise AssertionError(f"{zone} was taken")
        assert f'--at "2026-07-02 09:00 {wanted}"' in hint and "for example" not in hint, hint


# -- 11. mailer contact: "Suppressed: no" above "skipped: suppressed" --------------------------------


def test_mailer_contact_says_a_journalist_was_skipped_as_opted_out_in_the_list(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Rui's row of the HubSpot export says he unsubscribed ("Do Not Email": yes), so the send left
    him out. `mailer contact rui@...` read "Suppressed: no" and, under the campaign, "Outcome:
    skipped: suppressed": the press officer looked for him on the suppression list, found nothing,
    and took it for a mistake. The outcome says what the list said."""
    office(tmp_path, standin, db_url, beat="Email,Name,Do Not Email\nana@radio.example,Ana Lima,\nrui@gazette.example,Rui Costa,yes\n")
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ana@radio.example"]
    shown = mailer("contact", "rui@gazette.example")
    assert shown.exit_code == 0, shown.output
    assert 'Outcome:  skipped: opted out of email ("Do Not Email": yes)' in shown.output, shown.output


# -- 12. "Do Not Email (Y/N)" was a column of the list's own -------------------------------------


def test_an_opt_out_column_with_a_note_in_brackets_is_honoured(tmp_path: Path) -> None:
    """A colleague's list heads its opt-out column "Do Not Email (Y/N)", as hand-kept lists say
    what to type: it was read as a column of the list's own (do_not_email_y_n), and Rui, marked Y,
    was a recipient. The bracketed note is left aside; "Email Unsubscribed" counts too."""
    for header in ("Do Not Email (Y/N)", "Opt-out [yes/no]", "Email Unsubscribed"):
        text = f"Email,Name,{header}\nana@radio.example,Ana Lima,N\nrui@gazette.example,Rui Costa,Y\n"
        check = json.loads(invoke("lists", "check", written(tmp_path / "list.csv", text.encode("utf-8")), "--json").stdout)
        assert (check["valid"], check["opted_out"]) == (1, 1), (header, check)


# -- 13. an embargo line written as --at takes it was refused ----------------------------------------


def test_embargo_reads_times_as_at_does(tmp_path: Path) -> None:
    """A UK release's embargo line reads as UK press releases write it, "00:01 GMT": `embargo:
    "2026-12-02 00:01 GMT"` was refused, 'is not a date and time I can read. Write it with its time
    zone', though it has one and --at "2026-12-02 00:01 GMT" schedules the send; so were a zone
    in lower case and an hour without its leading zero, which --at reads since review 18s #2."""
    from mailer.compose import release

    source = (Path(__file__).parent.parent / "releases" / "example.md").read_text(encoding="utf-8")
    for line, meant in (
        ("2026-12-02 00:01 GMT", datetime(2026, 12, 2, 0, 1, tzinfo=UTC)),
        ("2026-12-02 9:00 europe/london", datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),
        ("2026-07-02 9:00 Europe/London", datetime(2026, 7, 2, 8, 0, tzinfo=UTC)),
    ):
        path = tmp_path / "release.md"
        path.write_text(source.replace("date: 2026-02-19\n", f'date: 2026-02-19\nembargo: "{line}"\n', 1), encoding="utf-8")
        embargo = release.load(path).embargo
        assert embargo is not None and embargo.astimezone(UTC) == meant, (line, embargo)
    assert release.load(path).embargo is not None
    path.write_text(source.replace("date: 2026-02-19\n", 'date: 2026-02-19\nembargo: "2026-12-02 00:01 GMT"\n', 1), encoding="utf-8")
    from mailer.compose import labels

    line = labels.load(tmp_path).labels("en").release_line(release.load(path).embargo)
    assert line == "EMBARGOED UNTIL December 2, 2026, 12:01 AM GMT", line
