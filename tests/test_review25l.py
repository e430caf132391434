"""Review 25l: a hostile review of the list manager, each finding a test that failed before its fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from office_cli import GREETING, greeted_as, mailed, mailer, office, said, texts_sent

from mailer import contacts
from mailer.errors import ListError

# -- 1. one list named twice counted each of its rows twice, each a "duplicate of" itself ------------

BEAT = "Email,Name\nana@daily.example,Ana Lima\nben@gazette.example,Ben Okafor\nbad-address,Cy Moe\n"


def test_a_list_named_twice_is_refused_not_counted_twice(logged: Path) -> None:
    """`mailer lists check lists/beat.csv lists/*.csv` (or ./beat.csv beside beat.csv) read the file
    twice: "Total: 6 rows read", every row of its second reading "duplicate of lists/beat.csv row 2"
    (itself), and a send's plan "Skipped: 4 (2 duplicate, 2 invalid)" of a list of three rows. The
    same file named twice, by another path or a link to it, is refused now, saying which."""
    (logged / "lists" / "beat.csv").write_text(BEAT, encoding="utf-8")
    os.symlink("beat.csv", logged / "lists" / "current.csv")
    for names, told in (
        (("lists/beat.csv", "./lists/beat.csv"), "lists/beat.csv is named twice"),
        (("lists/beat.csv", "lists/../lists/beat.csv"), "lists/beat.csv and lists/../lists/beat.csv are the same file"),
        (("lists/beat.csv", "lists/current.csv"), "lists/beat.csv and lists/current.csv are the same file"),
    ):
        checked = mailer("lists", "check", *names)
        assert checked.exit_code == 1, checked.output
        assert f"{told}: each of its rows would be counted twice" in said(checked), checked.output
        assert "Rejected rows" not in checked.output
        sent = mailer("send", "releases/example.md", "--list", names[0], "--list", names[1], "--dry-run")
        assert sent.exit_code == 1, sent.output
        assert "each of its rows would be counted twice" in said(sent), sent.output  # named as the log names lists
        assert "Skipped" not in sent.output
        cleaned = mailer("lists", "clean", *names, "-o", "out/clean.csv")
        assert cleaned.exit_code == 1 and told in said(cleaned), cleaned.output
    with pytest.raises(ListError, match="are the same file|is named twice"):
        contacts.load([logged / "lists" / "beat.csv", "lists/beat.csv"])
    # two lists with the same rows are two lists: their repeats are duplicates, as before
    (logged / "lists" / "copy.csv").write_text(BEAT, encoding="utf-8")
    checked = mailer("lists", "check", "lists/beat.csv", "lists/copy.csv")
    assert checked.exit_code == 0, checked.output
    assert "lists/copy.csv row 2: ana@daily.example: duplicate of lists/beat.csv row 2" in checked.output


# -- 2. an Austrian or Czech academic title before the name was greeted as the first name -----------

ACADEMIC = [
    ("Mag. Anna Gruber", "anna@kurier.example", "Anna"),
    ("Mag.a Eva Wolf", "eva@standard.example", "Eva"),
    ("Dipl.-Ing. Karl Huber", "karl@presse.example", "Karl"),
    ("Univ.-Prof. Dr. Eva Bauer", "bauer@uni.example", "Eva"),
    ("Mgr. Petra Nováková", "petra@idnes.example", "Petra"),
    ("JUDr. Jan Novák", "jan@lidovky.example", "Jan"),
    ("Bc. Jana Malá", "jana@denik.example", "Jana"),
    ("Doc. Ing. Tomáš Dvořák", "tomas@ihned.example", "Tomáš"),
    ("Dkfm. Otto Graf", "otto@wienerzeitung.example", "Otto"),
    ("Priv.-Doz. Dr. Max Weber", "max@faz.example", "Max"),
    ("Magnus Carlsen", "magnus@vg.example", "Magnus"),  # a first name starting like a title is still one
    ("Doc Rivers", "doc@espn.example", "Doc"),  # a nickname without the title's full stop too
]


def test_an_academic_title_before_the_name_is_not_the_first_name(project: Path, standin: object, db_url: str) -> None:
    """Austrian, German and Czech press lists put the academic degree before the name ("Mag. Anna
    Gruber", "Dipl.-Ing. Karl Huber", "Mgr. Petra Nováková", "JUDr. Jan Novák"), and "Dr. med." was
    read as an honorific, but these were not: each journalist was greeted "Dear Mag.,", "Dear
    Dipl.-Ing.,", "Dear Mgr.,", and `lists clean` wrote the degree as the first name. The degree is
    the honorific now, and the name after it the first name."""
    greeted_as(project, standin, db_url, ACADEMIC)
    (project / "lists" / "titles.csv").write_text(
        "Name,Email\n" + "".join(f"{name},{email}\n" for name, email, _ in ACADEMIC), encoding="utf-8"
    )
    recipients = {contact.email: contact.fields for contact in contacts.load("lists/titles.csv").contacts}
    assert recipients["anna@kurier.example"]["honorific"] == "Mag."
    assert recipients["anna@kurier.example"]["last_name"] == "Gruber"
    assert recipients["petra@idnes.example"]["honorific"] == "Mgr."
    assert recipients["bauer@uni.example"]["honorific"] == "Univ.-Prof. Dr."
    assert recipients["bauer@uni.example"]["last_name"] == "Bauer"


# -- 3. a Chinese, Japanese or Korean name (family name first) was greeted by the family name --------

FAMILY_FIRST = [
    ("王 小明", "wang@xinhua.example", "小明"),
    ("田中 太郎", "tanaka@nhk.example", "太郎"),
    ("佐藤\u3000花子", "sato@asahi.example", "花子"),  # the ideographic space a Japanese keyboard types
    ("김 민수", "kim@yonhap.example", "민수"),
    ("王小明", "wangxm@xinhua.example", "王小明"),  # no space: not split, the whole name rather than a guess
    ("ジョン スミス", "john@nikkei.example", "ジョン"),  # a foreigner's name in katakana keeps its order
]


def test_a_cjk_name_is_read_family_name_first(project: Path, standin: object, db_url: str) -> None:
    """A Name cell in Chinese, Japanese or Korean writes the family name first ("王 小明", "田中 太郎",
    "김 민수"), as Google Contacts' Given Name and Family Name columns say: the family name was read
    as the first name, so the journalist was greeted "Dear 王," and `lists clean` wrote first_name 王,
    last_name 小明 (and "佐藤　花子", with the ideographic space, was not split at all). The name after
    the space is the first name now."""
    greeted_as(project, standin, db_url, FAMILY_FIRST)
    (project / "lists" / "cjk.csv").write_text(
        "Name,Email\n" + "".join(f"{name},{email}\n" for name, email, _ in FAMILY_FIRST), encoding="utf-8"
    )
    recipients = {contact.email: contact.fields for contact in contacts.load("lists/cjk.csv").contacts}
    assert (recipients["wang@xinhua.example"]["first_name"], recipients["wang@xinhua.example"]["last_name"]) == ("小明", "王")
    assert (recipients["sato@asahi.example"]["first_name"], recipients["sato@asahi.example"]["last_name"]) == ("花子", "佐藤")
    assert (recipients["kim@yonhap.example"]["first_name"], recipients["kim@yonhap.example"]["last_name"]) == ("민수", "김")


# -- 4. a space after each comma, before the quotes, put the quotes in the journalist's name --------

SPACED = (
    '"Email", "Name", "Outlet"\r\n'
    '"ana@daily.example", "Ana Lima", "Daily News, Lisbon"\r\n'
    '"ben@gazette.example", "Ben Okafor", "The Gazette"\r\n'
    '"not-an-address", "Cy Moe", "Radio ""Five"", London"\r\n'
)


def test_a_space_after_the_comma_before_a_quoted_cell_is_read_as_a_spreadsheet_does(project: Path, standin: object, db_url: str) -> None:
    """A list written by a script or a web tool as '"ana@daily.example", "Ana Lima", "BBC"' (a space
    after each comma) was read with the quotes inside the cells: Ana was greeted 'Dear "Ana,', her
    outlet was '"BBC"', and a quoted cell with a comma in it refused the whole list ('row 2 has 4
    cells but the header has 3 ... a cell that contains a comma must be in double quotes', which it
    was). The space before an opening quote is skipped now, as Excel and Python's csv module
    (skipinitialspace) read such a file."""
    office(project, standin, db_url, beat=SPACED)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "first_name + last_name (Name), outlet (Outlet)" in checked.output
    assert "row 4: not-an-address:" in checked.output
    recipients = {contact.email: contact.fields for contact in contacts.load("lists/beat.csv").contacts}
    assert recipients["ana@daily.example"]["first_name"] == "Ana"
    assert recipients["ana@daily.example"]["last_name"] == "Lima"
    assert recipients["ana@daily.example"]["outlet"] == "Daily News, Lisbon"
    assert recipients["ben@gazette.example"]["outlet"] == "The Gazette"
    (project / "releases" / "greet.md").write_text(GREETING, encoding="utf-8")
    sent = mailer("send", "releases/greet.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert "Dear Ana," in texts_sent(standin)["ana@daily.example"]
    rejects = mailer("lists", "clean", "lists/beat.csv", "-o", "out/clean.csv", "--rejects", "out/rejects.csv")
    assert rejects.exit_code == 0, rejects.output
    assert 'Radio ""Five"", London' in (project / "out" / "rejects.csv").read_text(encoding="utf-8-sig")


# -- 5. a list separated by "|" (or ":") was told to rename its address column -----------------------


@pytest.mark.parametrize("separator", ["|", ":"])
def test_a_list_with_another_separator_says_which(logged: Path, separator: str) -> None:
    """A list exported with "|" between its cells (a database's or LibreOffice's "other" separator) was
    read as one column and refused with 'no email address column. Columns found: "Email|Name|Outlet".
    Name the column of addresses one of: Email, ...': it has one. The error says the cells are
    separated by a character mailer does not read, and how to save the list so it does."""
    (logged / "lists" / "piped.csv").write_text(
        separator.join(["Email", "Name", "Outlet"]) + "\n" + separator.join(["ana@daily.example", "Ana Lima", "Daily"]) + "\n",
        encoding="utf-8",
    )
    checked = mailer("lists", "check", "lists/piped.csv")
    assert checked.exit_code == 1, checked.output
    assert f'the cells are separated by "{separator}"' in said(checked), checked.output
    assert "Name the column of addresses" not in checked.output


# -- 6. a PDF of a media list was called "not a text file ... UTF-16 text without a byte-order mark" ---

PDF = b"%PDF-1.5\n%\xd0\xd4\xc5\xd8\n1 0 obj\n<< /Length 9 /Filter /FlateDecode >>\nstream\nx\x9c\x00\x01\x02\nendstream\nendobj\n"


@pytest.mark.parametrize("body", [PDF, PDF.replace(b"\x00", b"\x01")])
def test_a_pdf_is_named_as_one(logged: Path, body: bytes) -> None:
    """Cision, Meltwater and Muck Rack export a media list as PDF too, and a colleague sends that: named
    press.csv, or given as it is, it got 'this is not a text file (it contains NUL bytes): a binary
    file, or UTF-16 text without a byte-order mark. In your spreadsheet, use "Save As"...' (or, without
    NUL bytes, 'no email address column. Columns found: "%PDF-1.5"'). It is named a PDF now, with what to do."""
    for name in ("media-list.pdf", "press.csv"):
        (logged / "lists" / name).write_bytes(body)
        checked = mailer("lists", "check", f"lists/{name}")
        assert checked.exit_code == 1, checked.output
        assert f"lists/{name}: this is a PDF document, not a CSV file." in said(checked), checked.output
        assert "export the list again as CSV" in said(checked), checked.output


# -- 7. a Hungarian or Vietnamese journalist's full name, family name first, was greeted by it ------

LANGUAGE_ORDER = [
    ("Nagy Éva", "hu", "eva@hvg.example", "Éva"),
    ("Kovács László Péter", "hu-HU", "laszlo@index.example", "László Péter"),
    ("Dr. Szabó Anna", "Hungarian", "anna@telex.example", "Anna"),
    ("Nguyễn Văn An", "vi", "an@tuoitre.example", "An"),
    ("Trần Thị Mai", "Vietnamese", "mai@vnexpress.example", "Mai"),
    ("Éva Nagy", "en", "enagy@bbc.example", "Éva"),  # a journalist writing in English keeps the order given
    ("Nagy, Éva", "hu", "nagy@nepszava.example", "Éva"),  # a comma says which is which already
    ("Szerkesztőség Press Office", "hu", "desk@mr.example", "colleague"),  # a desk's row: no first name, as before
]


def test_a_hungarian_or_vietnamese_name_is_read_family_name_first(project: Path, standin: object, db_url: str) -> None:
    """Hungarian and Vietnamese write the family name first ("Nagy Éva", "Nguyễn Văn An"): a row whose
    language column says so had its family name as the first name, greeted "Dear Nagy," and "Dear
    Nguyễn," (two in five Vietnamese are Nguyễn). The language column (hu, vi, Hungarian, Vietnamese)
    is the journalist's own now: the given name is the first name ("Éva", "An"); other rows as before."""
    office(
        project,
        standin,
        db_url,
        beat="Name,Language,Email\n" + "".join(f'"{name}",{language},{email}\n' for name, language, email, _ in LANGUAGE_ORDER),
    )
    (project / "releases" / "greet.md").write_text(GREETING, encoding="utf-8")
    sent = mailer("send", "releases/greet.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    texts = texts_sent(standin)
    for name, _, email, greeting in LANGUAGE_ORDER:
        assert f"Dear {greeting}," in texts[email], (name, texts[email])
    recipients = {contact.email: contact.fields for contact in contacts.load("lists/beat.csv").contacts}
    assert (recipients["eva@hvg.example"]["first_name"], recipients["eva@hvg.example"]["last_name"]) == ("Éva", "Nagy")
    assert (recipients["an@tuoitre.example"]["first_name"], recipients["an@tuoitre.example"]["last_name"]) == ("An", "Nguyễn Văn")
    assert recipients["anna@telex.example"]["honorific"] == "Dr."


# -- 8. one Gmail mailbox spelt two ways got the release twice -----------------------------------------

GMAIL = (
    "Email,Name\n"
    "jane.doe@gmail.com,Jane Doe\n"
    "janedoe@gmail.com,Jane Doe\n"
    "Jane.Doe+press@googlemail.com,Jane Doe\n"
    "jan.ek@example.org,Jan Ek\n"
    "janek@example.org,Janek Nowak\n"
)


def test_one_gmail_mailbox_spelt_two_ways_is_mailed_once(project: Path, standin: object, db_url: str) -> None:
    """Gmail ignores the dots of an address and what follows a +, and googlemail.com is gmail.com
    (German freelancers' addresses are often @googlemail.com): jane.doe@gmail.com from a media database
    and janedoe@gmail.com typed by a colleague are one inbox, and Jane got the release twice (three
    times with Jane.Doe+press@googlemail.com). Repeats of a Gmail mailbox are duplicates now, saying
    why; other domains' dots still make other addresses."""
    office(project, standin, db_url, beat=GMAIL)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "recipients:  3" in checked.output
    assert "row 3: janedoe@gmail.com: duplicate of row 2 (the same Gmail mailbox as jane.doe@gmail.com" in checked.output
    assert "row 4: Jane.Doe+press@googlemail.com: duplicate of row 2" in checked.output
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == ["jan.ek@example.org", "jane.doe@gmail.com", "janek@example.org"]


def test_a_suppressed_gmail_mailbox_is_not_mailed_under_another_spelling(project: Path, standin: object, db_url: str) -> None:
    """jane.doe@gmail.com unsubscribed (or bounced, or was added by hand); the next list spells her
    janedoe@gmail.com or Jane.Doe+press@googlemail.com, one inbox, and she was mailed again (promise
    3: suppressed addresses are never mailed). A Gmail suppression keeps out every spelling of its inbox
    now, in a send, its dry run and `lists prune`; the log keeps the address as it was suppressed."""
    office(project, standin, db_url, beat="Email,Name\njanedoe@gmail.com,Jane Doe\nben@gazette.example,Ben Okafor\n")
    (project / "lists" / "other.csv").write_text("Email,Name\nJane.Doe+press@googlemail.com,Jane Doe\n", encoding="utf-8")
    added = mailer("suppressions", "add", "jane.doe@gmail.com", "--reason", "asked by phone to stop")
    assert added.exit_code == 0, added.output
    planned = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert "Recipients: 1" in planned.output and "1 suppressed" in planned.output, planned.output
    pruned = mailer("lists", "prune", "lists/beat.csv", "-o", "out/pruned.csv")
    assert pruned.exit_code == 0, pruned.output
    assert "janedoe" not in (project / "out" / "pruned.csv").read_text(encoding="utf-8-sig")
    sent = mailer("send", "releases/example.md", "--list", "lists/beat.csv", "--list", "lists/other.csv", "--yes", "--no-test-ok")
    assert sent.exit_code == 0, sent.output
    assert mailed(standin) == ["ben@gazette.example"]


# -- 10. a rejects file of a list without rejected rows could not be read back as a list ----------------


def test_an_empty_rejects_file_reads_back_as_a_list(logged: Path) -> None:
    """README's routine is `lists clean ... -o clean.csv --rejects rejects.csv`, fix the rejects, then
    `mailer send ... --list clean.csv --list rejects.csv`. A list without rejected rows gave a rejects
    file headed only "file,row,reason,detail": the send (and `lists check` of the two) stopped with
    'rejects.csv: no email address column. Columns found: "file", "row", "reason", "detail"'. The
    rejects file has the list's columns now, as it does with rows, and reads back as an empty list."""
    (logged / "lists" / "beat.csv").write_text(
        "E-mail,First Name,Last Name,Outlet,Twitter\nana@daily.example,Ana,Lima,Daily,@ana\n", encoding="utf-8"
    )
    cleaned = mailer("lists", "clean", "lists/beat.csv", "-o", "out/clean.csv", "--rejects", "out/rejects.csv")
    assert cleaned.exit_code == 0, cleaned.output
    assert "Wrote 0 rejected rows" in cleaned.output
    header = (logged / "out" / "rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert header == ["E-mail,First Name,Last Name,Outlet,Twitter,file,row,reason,detail"]
    checked = mailer("lists", "check", "out/clean.csv", "out/rejects.csv")
    assert checked.exit_code == 0, checked.output
    sent = mailer("send", "releases/example.md", "--list", "out/clean.csv", "--list", "out/rejects.csv", "--dry-run")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 1" in sent.output


# -- 11. a name cell holding an address or a placeholder was the greeting --------------------------------

PLACEHOLDERS = [
    ("jane@bbc.example", "jane@bbc.example"),  # a CRM's full name when it has none: the address
    ("N/A", "na@itv.example"),
    ("-", "dash@sky.example"),
    ("?", "q@ft.example"),
    ("Unknown", "unknown@times.example"),
    ("n.a.", "nv@zeit.example"),
    ("k.A.", "ka@faz.example"),  # German "keine Angabe"
    ("TBD", "tbd@lemonde.example"),
]


def test_a_name_that_is_an_address_or_a_placeholder_greets_with_the_default(project: Path, standin: object, db_url: str) -> None:
    """A media database or a CRM writes "N/A", "-", "Unknown" (German "k.A.") where it has no name,
    and puts the address itself in a full-name column: the journalist was greeted "Dear N/A,", "Dear -,",
    "Dear jane@bbc.example,". Such a cell is no name now, so the release's default greets them
    ("Dear colleague,"), in a Name column and in First Name alike; a real name is kept."""
    greeted_as(
        project, standin, db_url, [(name, email, "colleague") for name, email in PLACEHOLDERS] + [("Ana Lima", "ana@daily.example", "Ana")]
    )
    standin.reset()  # type: ignore[attr-defined]
    (project / "lists" / "beat.csv").write_text(
        "Email,First Name,Last Name\n"
        + "".join(f"{email},{name},{name}\n" for name, email in PLACEHOLDERS)
        + "ben@gazette.example,Ben,-\n",
        encoding="utf-8",
    )
    sent = mailer("send", "releases/greet.md", "--list", "lists/beat.csv", "--yes", "--no-test-ok", "--include-previous")
    assert sent.exit_code == 0, sent.output
    texts = texts_sent(standin)
    for name, email in PLACEHOLDERS:
        assert "Dear colleague," in texts[email], (name, texts[email])
    assert "Dear Ben," in texts["ben@gazette.example"]
    recipients = {contact.email: contact.fields for contact in contacts.load("lists/beat.csv").contacts}
    assert recipients["na@itv.example"]["first_name"] == "" and recipients["ben@gazette.example"]["last_name"] == ""


# -- 12. a first name written in capitals was the greeting in capitals ------------------------------------

SHOUTED = [
    ("JANE DOE", "jane@bbc.example", "Jane"),
    ("JEAN-PIERRE MARTIN", "jp@lesoir.example", "Jean-Pierre"),
    ('"DOE, JOHN"', "john@itv.example", "John"),  # quoted for the CSV greeted_as writes
    ("ÉVA NAGY", "eva@hvg.example", "Éva"),
    ("JP Morgan", "jpm@ft.example", "JP"),  # initials stay as written
    ("DUBOIS François", "francois@rtbf.example", "François"),
]


def test_a_first_name_in_capitals_greets_in_ordinary_letters(project: Path, standin: object, db_url: str) -> None:
    """Lists from older CRMs and official registers write names in capitals ("JANE DOE", "DOE, JOHN"):
    the journalist was greeted "Dear JANE,", as if shouted at. A first name written all in capitals
    (three letters or more, so not initials such as JP) is written with a capital only at the start of
    each part now ("Jane", "Jean-Pierre"), in a Name or a First Name column."""
    greeted_as(project, standin, db_url, SHOUTED)
    (project / "lists" / "first.csv").write_text("Email,First Name,Last Name\nana@daily.example,ANA,LIMA\n", encoding="utf-8")
    recipients = {contact.email: contact.fields for contact in contacts.load("lists/first.csv").contacts}
    assert recipients["ana@daily.example"]["first_name"] == "Ana"


def test_a_campaign_that_named_one_list_twice_still_resumes(tmp_path: Path) -> None:
    """Review 25l #1, continued: a campaign logged before it, its list named twice (lists/beat.csv and a
    link to it, lists/current.csv), or a follow-up whose original and itself name one file two ways: the
    check of who its lists keep out now (a resume's, a follow-up's) read both names, was refused "the same
    file", and stopped the resume with that error. Each file is read once."""
    from types import SimpleNamespace
    from typing import cast

    from mailer.send.prepare import kept_out_now
    from mailer.store import campaigns

    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "beat.csv").write_text(
        "Email,Name,Unsubscribed\nana@daily.example,Ana Lima,yes\nben@gazette.example,Ben Okafor,\n", encoding="utf-8"
    )
    os.symlink("beat.csv", tmp_path / "lists" / "current.csv")
    original = cast(campaigns.Campaign, SimpleNamespace(lists=("lists/beat.csv", "lists/current.csv"), follow_up_of=None))
    kept_out, unread, broken, _ = kept_out_now(original, office=tmp_path)
    assert kept_out == {"ana@daily.example": "opted out"}
    assert not unread and not broken
