"""Review 18h: a hostile review of the list manager against contact exports as press offices get
them (Mailchimp, Google Contacts, Outlook, Salesforce, HubSpot, media databases), each built here
as the tool writes its bytes. Every test is a finding a press officer would notice, through the
command line; each failed before its fix (session 18)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from office_cli import mailed, mailer, office

from mailer.cli import main


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def written(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def cleaned(tmp_path: Path, name: str, data: bytes, *more: str) -> list[dict[str, str]]:
    """The rows `lists clean` writes of a list file ``name`` holding ``data`` (``more``: options)."""
    path = written(tmp_path / name, data)
    out = tmp_path / "clean.csv"
    result = invoke("lists", "clean", path, "-o", str(out), *more)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


# -- 1. Mailchimp's unsubscribed and cleaned members' files are mailed --------------------------

# Mailchimp's audience export is a zip of three files, each with the audience's columns and its own
# status columns: subscribed_members_export_*.csv, unsubscribed_members_export_*.csv (UNSUB_TIME,
# UNSUB_CAMPAIGN_TITLE, ... UNSUB_REASON_OTHER) and cleaned_members_export_*.csv (CLEAN_TIME,
# CLEAN_CAMPAIGN_TITLE, CLEAN_CAMPAIGN_ID: addresses that bounced).
MAILCHIMP = '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION'
UNSUBSCRIBED = (
    MAILCHIMP + ",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS\n"
    'gina@paper.example,Gina,Gone,1,,,"2024-03-01 10:01:00",,,,,,,US,,"2025-06-01 10:00:00","June release",abc123,'
    '"I no longer want to receive these emails",,125,abe,,\n'
)
CLEANED = (
    MAILCHIMP + ",CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS\n"
    'bo@paper.example,Bo,Unced,1,,,,,,,,,,US,,"2025-06-01 10:00:00","June release",abc123,126,abf,,\n'
)


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("unsubscribed_members_export_3f2a.csv", UNSUBSCRIBED, "unsubscribed"),
        ("cleaned_members_export_3f2a.csv", CLEANED, "cleaned"),
    ],
)
def test_mailchimp_unsubscribed_and_cleaned_exports_are_not_mailed(
    tmp_path: Path, standin: Any, db_url: str, name: str, text: str, said: str
) -> None:
    """An office leaving Mailchimp unzips its audience export into lists/ and sends to it. Its
    unsubscribed members' file was read as a press list like any other, and every journalist who
    had unsubscribed was mailed (the cleaned file: every address that had bounced for good), with
    no word from `lists check` ("recipients: 1"). Such a file is refused, saying what it is and
    which file to use."""
    office(tmp_path, standin, db_url, beat=text, list_name=name)
    result = mailer("send", "releases/example.md", "--list", f"lists/{name}", "--yes", "--no-test-ok")
    assert result.exit_code == 1, result.output
    assert mailed(standin) == []
    text_said = " ".join(result.output.split())
    assert f"this is Mailchimp's export of {said} contacts" in text_said, text_said
    assert 'its name starts with "subscribed_"' in text_said
    check = mailer("lists", "check", f"lists/{name}")
    assert check.exit_code == 1
    assert f"Mailchimp's export of {said} contacts" in " ".join(check.output.split())


# -- 2. Google Contacts' cells of several addresses (" ::: ") --------------------------------------

# Google Contacts' export (2024 on; its older "Google CSV" alike) puts the addresses of one kind in
# one cell, joined with " ::: ", and its labels ("* myContacts ::: Press") the same way.
GOOGLE = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,Phonetic Last Name,Name Prefix,Name Suffix,"
    "Nickname,File As,Organization Name,Organization Title,Organization Department,Birthday,Notes,Photo,Labels,"
    "E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value\r\n"
    "Jane,,Doe,,,,Dr.,,,,The Daily Example,Health Reporter,,,,,* myContacts ::: Press ::: Health,* Work,"
    "jane@daily.example ::: jane.doe@daily.example,Home,jane@home.example,Mobile,+1 555 0100\r\n"
    "Bob,,Stone,,,,Mr.,,,,Gazette,Editor,,,,,* myContacts ::: Press,Work,bob@gazette.example,,,,\r\n"
)


def test_google_contacts_cell_of_several_addresses_sends_to_the_first(tmp_path: Path) -> None:
    """A journalist with two work addresses in Google Contacts is exported as "jane@daily.example
    ::: jane.doe@daily.example": she was rejected as "two addresses in one cell: give each
    journalist's address its own row", though the export has one row per contact and the office
    cannot change how Google writes it. The first address is the one mailed (one email, never
    one to each), and `lists check` names the row and the addresses left unmailed."""
    path = written(tmp_path / "contacts.csv", GOOGLE.encode("utf-8"))
    check = json.loads(invoke("lists", "check", path, "--json").stdout)
    assert (check["valid"], check["rejected"]) == (2, [])
    notes = " ".join(check["files"][0]["notes"])
    assert "row 2: jane@daily.example is used, not jane.doe@daily.example" in notes, notes
    said = " ".join(invoke("lists", "check", path).output.split())
    assert '"E-mail 1 - Value" holds several addresses in 1 row' in said, said
    rows = cleaned(tmp_path, "contacts.csv", GOOGLE.encode("utf-8"))
    assert [row["email"] for row in rows] == ["jane@daily.example", "bob@gazette.example"]


def test_google_contacts_name_prefix_is_the_honorific(tmp_path: Path) -> None:
    """Google Contacts' "Name Prefix" (Dr., Ms.) was a column of the list's own, name_prefix: a
    release greeting "Dear {{ contact.honorific }} {{ contact.last_name }}" (the field the README
    names, as Outlook's Title and "Dr. Jane Doe" give it) read "Dear  Doe". It is the honorific."""
    rows = cleaned(tmp_path, "contacts.csv", GOOGLE.encode("utf-8"))
    assert [(row["honorific"], row["last_name"]) for row in rows] == [("Dr.", "Doe"), ("Mr.", "Stone")]
    assert "name_prefix" not in rows[0]


def test_tags_of_contact_exports_filter_a_send(tmp_path: Path, standin: Any, db_url: str) -> None:
    """The office sends to the journalists it tagged Health, with --tag Health. Google Contacts'
    labels ("* myContacts ::: Press ::: Health") and Outlook's categories ("Press;Health") were
    columns of the list's own, and Mailchimp's TAGS ("Press","Health", each in quotes) kept its
    quotes: every journalist was left out as "not tagged Health", and nothing was sent."""
    outlook = (
        '"First Name","Middle Name","Last Name","Title","Suffix","E-mail Address","E-mail 2 Address","Company","Job Title","Categories"\r\n'
        '"Amara","","Okafor","Ms.","","amara@daily.example","","The Daily Example","Health Correspondent","Press;Health"\r\n'
        '"Rui","","Costa","Mr.","","rui@gazette.example","","Gazette","Editor","Press"\r\n'
    )
    mailchimp = (
        '"Email Address","First Name","Last Name",MEMBER_RATING,OPTIN_TIME,LAST_CHANGED,LEID,EUID,NOTES,TAGS\n'
        'li.wei@science.example,Li,Wei,4,,"2025-01-01 00:00:00",124,abd,,"""Press"",""Health"""\n'
        'ana@radio.example,Ana,Lima,2,,"2025-01-01 00:00:00",125,abe,,"""Press"""\n'
    )
    office(tmp_path, standin, db_url, beat=GOOGLE, list_name="google.csv")
    (tmp_path / "lists" / "outlook.csv").write_bytes(outlook.encode("cp1252"))
    (tmp_path / "lists" / "subscribed_members_export_3f2a.csv").write_bytes(mailchimp.encode("utf-8"))
    for name, chosen in (
        ("google.csv", "jane@daily.example"),
        ("outlook.csv", "amara@daily.example"),
        ("subscribed_members_export_3f2a.csv", "li.wei@science.example"),
    ):
        result = mailer("send", "releases/example.md", "--list", f"lists/{name}", "--tag", "Health", "--dry-run")
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())
        assert "Recipients: 1 " in text, (name, text)
        outbox = Path(text.split("Outbox: ")[1].split()[0])
        assert chosen in "".join(path.read_text(encoding="utf-8") for path in outbox.glob("*.json")), name
    rows = cleaned(tmp_path, "mailchimp.csv", mailchimp.encode("utf-8"))
    assert [row["tags"] for row in rows] == ["Press; Health", "Press"]


def test_plural_outlet_headers_are_the_outlet(tmp_path: Path) -> None:
    """A media database's list heads a journalist's outlets "Outlets" (or "Publications"), as it
    heads the beats "Beats" (#5): the outlet was empty ("for your readers at "). The first plural
    column is the outlet, as a singular one is."""
    for header in ("Outlets", "Publications"):
        rows = cleaned(
            tmp_path,
            "list.csv",
            f'Full Name,Email,{header},Beats\nJane Doe,jane@daily.example,"The Daily Example, Health Weekly",Health\n'.encode(),
        )
        assert [(row["outlet"], row["beat"]) for row in rows] == [("The Daily Example, Health Weekly", "Health")], header


@pytest.mark.parametrize(
    ("tool", "text", "outlet", "beat"),
    [
        (
            "Salesforce contact report",
            (
                '"Salutation","First Name","Last Name","Title","Account Name","Email","Phone","Mailing Country"\n'
                '"Dr.","Jane","Doe","Science Editor","The Daily Example","jane@daily.example","555 0100","United States"\n'
            ),
            "The Daily Example",
            "",
        ),
        (
            "HubSpot contacts export",
            (
                '"Record ID","First Name","Last Name","Email","Phone Number","Company Name","Job Title","Lifecycle Stage"\n'
                '"101","Jane","Doe","jane@daily.example","","The Daily Example","Science Editor","Subscriber"\n'
            ),
            "The Daily Example",
            "",
        ),
        (
            "media database export",
            "Name,Email,Outlet Name,Job Title,Beats,Country\nJane Doe,jane@daily.example,The Daily Example,Science Editor,Science,US\n",
            "The Daily Example",
            "Science",
        ),
    ],
)
def test_outlet_and_beat_of_crm_and_media_database_exports(tmp_path: Path, tool: str, text: str, outlet: str, beat: str) -> None:
    """A release saying "for your readers at {{ contact.outlet }}" went out as "for your readers
    at " to every journalist of a Salesforce report (Account Name), a HubSpot export (Company Name)
    or a media database's list (Outlet Name), and --where beat=science chose nobody of a list
    heading its beats "Beats": those were columns of the list's own. They are the outlet and the beat."""
    rows = cleaned(tmp_path, "export.csv", text.encode("utf-8"))
    assert [(row["outlet"], row["beat"]) for row in rows] == [(outlet, beat)], tool


# -- 6. a CRM export's opt-out column ----------------------------------------------------------

HUBSPOT = (
    '"Record ID","First Name","Last Name","Email","Phone Number","Company Name","Job Title","Marketing contact status",'
    '"Unsubscribed from all email","Create Date"\n'
    '"101","Amara","Okafor","amara@daily.example","","The Daily Example","Health Correspondent","Marketing contact","false","2025-01-02 10:00"\n'
    '"102","Li","Wei","li.wei@science.example","","Science Weekly","Science Editor","Non-marketing contact","true","2025-01-02 10:00"\n'
)
SALESFORCE = (
    '"Salutation","First Name","Last Name","Title","Account Name","Email","Email Opt Out"\n'
    '"Ms.","Ana","Lima","Editor","Radio Example","ana@radio.example","0"\n'
    '"Mr.","Rui","Costa","Reporter","Gazette","rui@gazette.example","1"\n'
    '"Mr.","Li","Wei","Editor","Science Weekly","LI.WEI@science.example","0"\n'
)


def test_crm_exports_opt_out_column_is_honoured(tmp_path: Path, standin: Any, db_url: str) -> None:
    """An office exports its press contacts from HubSpot (or a Salesforce report) and sends to the
    file. HubSpot's "Unsubscribed from all email" said true for Li Wei, Salesforce's "Email Opt
    Out" 1 for Rui Costa: both were mailed, the column read as one of the list's own, and `lists
    check` said "rejected: none". A row whose opt-out cell says so is not mailed, nor any other row
    of that address (Li, repeated in the second list with "0"), and `lists check` names the row and
    the column."""
    office(tmp_path, standin, db_url, beat=HUBSPOT, list_name="hubspot.csv")
    (tmp_path / "lists" / "salesforce.csv").write_text(SALESFORCE, encoding="utf-8")
    result = mailer("send", "releases/example.md", "--list", "lists/hubspot.csv", "--list", "lists/salesforce.csv", "--yes", "--no-test-ok")
    assert result.exit_code == 0, result.output
    assert sorted(mailed(standin)) == ["amara@daily.example", "ana@radio.example"]
    check = mailer("lists", "check", "lists/hubspot.csv", "lists/salesforce.csv")
    text = " ".join(check.output.split())
    assert "rejected: 1 (1 opted out)" in text, text
    assert 'lists/hubspot.csv row 3: li.wei@science.example: opted out of email ("Unsubscribed from all email": true)' in text, text
    assert 'lists/salesforce.csv row 3: rui@gazette.example: opted out of email ("Email Opt Out": 1)' in text, text
    assert "lists/salesforce.csv row 4: LI.WEI@science.example: opted out of email (lists/hubspot.csv row 3 says so)" in text, text
    counts = json.loads(mailer("lists", "check", "lists/hubspot.csv", "lists/salesforce.csv", "--json").stdout)
    assert (counts["valid"], counts["opted_out"], counts["duplicates"]) == (2, 3, 0)


def test_where_on_the_name_prefix_header_still_chooses(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Since Google's Name Prefix is the honorific (#3), --where "Name Prefix=Dr." (the header as
    the export heads it, which chose Jane before) said 'Unknown field "name_prefix"'. It filters on
    the honorific, as --where honorific=Dr. does."""
    office(tmp_path, standin, db_url, beat=GOOGLE, list_name="google.csv")
    for where in ("Name Prefix=Dr.", "honorific=Dr."):
        result = mailer("send", "releases/example.md", "--list", "lists/google.csv", "--where", where, "--dry-run")
        assert result.exit_code == 0, result.output
        assert "Recipients: 1 " in " ".join(result.output.split()), result.output


def test_opt_out_column_survives_lists_clean(tmp_path: Path) -> None:
    """A "Do Not Email" cell holding "-" (no) is written spreadsheet-safe by `lists clean` as "'-";
    reading the clean list back turned that journalist away as opted out ("'-"). The cell is read
    as it was written, without the "'"."""
    rows = cleaned(tmp_path, "list.csv", b"Email,Do Not Email\na@x.example,-\nb@x.example,yes\n")
    assert [(row["email"], row["Do Not Email"]) for row in rows] == [("a@x.example", "'-")]  # the heading as the list has it (README)
    again = json.loads(invoke("lists", "check", str(tmp_path / "clean.csv"), "--json").stdout)
    assert (again["valid"], again["opted_out"]) == (1, 0)


def test_a_carriage_return_inside_a_cell_survives_lists_clean(tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with a carriage return alone, and a line break
    typed inside a cell (Notes) is one too. `lists clean` wrote that cell without quotes, so the
    clean list (and Excel opening it) read the cell's second line as a row of its own: 3 rows,
    one "invalid", and a note's second line holding an address would have become a recipient.
    Such a cell is quoted, in the clean list and the rejects file, and reads back whole."""
    mac = 'Email,Name,Notes\rjose@diario.example,José Muñoz,"Prefers phone\rassistant@diario.example"\rzoe@,Zoë Möller,"a\rb"\r'
    path = written(tmp_path / "mac.csv", mac.encode("mac_roman"))
    out, rejects = tmp_path / "clean.csv", tmp_path / "rejects.csv"
    result = invoke("lists", "clean", path, "-o", str(out), "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    again = json.loads(invoke("lists", "check", str(out), "--json").stdout)
    assert (again["rows"], again["valid"]) == (1, 1), again
    with out.open(encoding="utf-8-sig", newline="") as file:
        assert [row["notes"] for row in csv.DictReader(file)] == ["Prefers phone\rassistant@diario.example"]
    with rejects.open(encoding="utf-8-sig", newline="") as file:
        assert [row["Notes"] for row in csv.DictReader(file)] == ["a\rb"]


def test_prune_does_not_count_opted_out_rows_as_the_logs_suppressions(tmp_path: Path, standin: Any, db_url: str) -> None:
    """`lists prune` of a HubSpot export said "left out 1 suppressed address" (the delivery log has
    none) and then "Also left out rows that are not recipients (1 suppressed)": one row, counted
    twice, once as the log's. The log's suppressions are counted as such, the export's own opt-outs
    as opted out."""
    office(tmp_path, standin, db_url, beat=HUBSPOT, list_name="hubspot.csv")
    result = mailer("lists", "prune", "lists/hubspot.csv", "-o", "out/pruned.csv")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Wrote 1 journalist to out/pruned.csv; left out 0 suppressed addresses." in text, text
    assert "Also left out rows that are not recipients (1 opted out)" in text, text


def test_footer_lines_of_a_salesforce_report_are_named(tmp_path: Path) -> None:
    """A Salesforce report exported as CSV ends with lines below the list (its name, a copyright,
    "Confidential Information - Do Not Distribute", who generated it): `lists check` listed five
    rejected rows as "row 5: (empty): no email address", and the office looked for five journalists
    without an address. Each such row says what it holds."""
    report = (
        '"Salutation","First Name","Last Name","Title","Account Name","Email"\n'
        '"Dr.","Jane","Doe","Science Editor","The Daily Example","jane@daily.example"\n'
        '"Ms.","Ann","Lee","Reporter","Gazette",""\n'
        '\n"Press contacts"\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Confidential Information - Do Not Distribute"\n"Generated By:  Pat Press  11/30/2026 10:15 AM"\n'
    )
    path = written(tmp_path / "report.csv", report.encode("utf-8"))
    text = invoke("lists", "check", path).output
    assert "row 3: (empty): no email address\n" in text, text
    assert 'row 7: (empty): no email address; the row holds only "Confidential Information - Do Not Distribute"' in text, text
    assert 'row 8: (empty): no email address; the row holds only "Generated By:  Pat Press  11/30/2026 10:15 AM"' in text, text


def test_where_matches_accents_however_they_are_encoded(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A list whose outlet and tags were pasted from a Mac's file names or a PDF holds "Süddeutsche"
    with the ü as u + a combining diaeresis (Unicode NFD); the office types --where
    "outlet=Süddeutsche" (one ü, NFC). Nobody matched, and the error named the same-looking word:
    "outlet is not Süddeutsche (the lists' outlet: Süddeutsche)". Values compare as the same text."""
    nfd = "Su\u0308ddeutsche"
    office(tmp_path, standin, db_url, beat=f"Email,Name,Outlet,Tags\nanna@sz.example,Anna Müller,{nfd},Rhein-Main; {nfd}\n")
    for option in (["--where", "outlet=S\u00fcddeutsche"], ["--tag", "S\u00fcddeutsche"]):
        result = mailer("send", "releases/example.md", "--list", "lists/beat.csv", *option, "--dry-run")
        assert result.exit_code == 0, result.output
        assert "Recipients: 1 " in " ".join(result.output.split())


def test_excel_for_mac_csv_with_curly_apostrophes_only(tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)" is Mac Roman, and Excel's AutoCorrect types apostrophes and
    quotes curly. A list whose only non-ASCII characters were those (no accented letter) was read as
    Windows-1252: "Dear Sean OÕBrien", "Zoe dÕArcy", outlet "ÒThe PostÓ". It is read as Mac Roman."""
    mac = "Email,First Name,Last Name,Outlet\rsean@times.example,Sean,O’Brien,The Times\rzoe@post.example,Zoe,d’Arcy,“The Post”\r"
    rows = cleaned(tmp_path, "mac.csv", mac.encode("mac_roman"))
    assert [(row["last_name"], row["outlet"]) for row in rows] == [("O’Brien", "The Times"), ("d’Arcy", "“The Post”")]
    one = "Email,Name\rsean@times.example,Sean O’Brien\r"
    assert [row["last_name"] for row in cleaned(tmp_path, "one.csv", one.encode("mac_roman"))] == ["O’Brien"]
    said = invoke("lists", "check", str(tmp_path / "mac.csv")).output
    assert "(Mac Roman, comma-separated)" in said, said


@pytest.mark.parametrize("header", ["Unsubscribed", "Opt-out", "Opted out", "Do not mail"])
def test_a_hand_kept_opt_out_column_is_honoured(tmp_path: Path, header: str) -> None:
    """A colleague's list marks who asked to be left alone in a column of its own ("Unsubscribed:
    yes", "Opt-out: x"): they were recipients like the others. They are rejected as opted out."""
    text = f"Email,Name,{header}\nana@radio.example,Ana Lima,\nrui@gazette.example,Rui Costa,yes\nli@science.example,Li Wei,x\n"
    check = json.loads(invoke("lists", "check", written(tmp_path / "list.csv", text.encode("utf-8")), "--json").stdout)
    assert (check["valid"], check["opted_out"]) == (1, 2), check


def test_a_send_says_which_addresses_of_a_google_cell_it_leaves_out(tmp_path: Path, standin: Any, db_url: str) -> None:
    """Only `lists check` said that Jane's second address (jane@daily.example ::: jane.doe@daily.example)
    is not mailed (#2); an office sending straight to its Google export was told nothing. The send's
    plan says it too, before it asks."""
    office(tmp_path, standin, db_url, beat=GOOGLE, list_name="google.csv")
    result = mailer("send", "releases/example.md", "--list", "lists/google.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert 'Warning: lists/google.csv: "E-mail 1 - Value" holds several addresses in 1 row' in text, text
    assert "row 2: jane@daily.example is used, not jane.doe@daily.example" in text


def test_a_row_whose_address_is_in_another_address_column_says_where(tmp_path: Path) -> None:
    """Outlook's export reads "E-mail Address"; Bob's only address is under "E-mail 2 Address".
    His row said "no email address", as a row with none at all does, and the office looked for an
    address Bob has. It names the column that holds it, and what to do."""
    outlook = (
        '"First Name","Last Name","E-mail Address","E-mail 2 Address","Company","Job Title"\r\n'
        '"Jane","Doe","jane@daily.example","","The Daily Example","Health Reporter"\r\n'
        '"Bob","Stone","","bob@gazette.example","Gazette","Editor"\r\n'
        '"Ann","Lee","","","Radio","Host"\r\n'
    )
    text = invoke("lists", "check", written(tmp_path / "outlook.csv", outlook.encode("cp1252"))).output
    assert (
        'row 3: (empty): no email address under "E-mail Address"; "E-mail 2 Address" holds bob@gazette.example: '
        'move it to "E-mail Address" to mail this journalist' in text
    ), text
    assert "row 4: (empty): no email address\n" in text, text
