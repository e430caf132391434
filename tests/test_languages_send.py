"""One campaign, several languages: each journalist gets the version their language column picks (issue 14)."""

from __future__ import annotations

import csv
import io
import itertools
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from send_fixtures import contact
from sqlalchemy import select

from mailer import compose, config
from mailer.cli import main
from mailer.cli import send as send_cli
from mailer.compose import release
from mailer.config import Config, SenderConfig
from mailer.models import ContactList, Rendered
from mailer.send import plan
from mailer.store import connect
from mailer.store.schema import campaign, message

ROOT = Path(__file__).parent.parent
LANGUAGES = ROOT / "tests" / "data" / "releases" / "languages"
KEY = "SG.standin-key.secret"
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)
# A list mixing fr, fr-CA, de, an unknown language (ja), none, and English written in capitals.
PRESS = (
    "Email,First Name,Outlet,Language\n"
    "claire@example.fr,Claire,Le Monde,fr\n"
    "jean@example.ca,Jean,La Presse,fr-CA\n"
    "hans@example.de,Hans,FAZ,de\n"
    "yuki@example.jp,Yuki,Asahi,ja\n"
    "pat@example.com,Pat,Courier,\n"
    "amy@example.com,Amy,Herald,EN\n"
)
WHO_GETS = {
    "claire@example.fr": "fr",
    "jean@example.ca": "fr",
    "hans@example.de": "de",
    "yuki@example.jp": "en",
    "pat@example.com": "en",
    "amy@example.com": "en",
}
SUBJECTS = {
    "en": "Riverbend Beekeepers count 1.2 million bees",
    "fr": "Les apiculteurs de Riverbend comptent 1,2 million d’abeilles",
    "de": "Imker in Riverbend zählen 1,2 Millionen Bienen",
}


def _versions(tmp_path: Path) -> list[Rendered]:
    """The three-language test release (English, German in its translations block, French beside it)."""
    for name in ("launch.md", "launch.fr.md"):
        shutil.copy(LANGUAGES / name, tmp_path / name)
    cfg = Config(sender=SenderConfig(postal_address="1 Hive Lane"))
    return list(compose.render_versions(release.load(tmp_path / "launch.md"), config=cfg, now=BEFORE).values())


def _people(rows: str = PRESS) -> ContactList:
    found = []
    for number, line in enumerate(rows.strip().splitlines()[1:], 2):
        email, first, outlet, language = line.split(",")
        fields = {"first_name": first, "outlet": outlet} | ({"language": language} if language else {})
        found.append(contact(email, number, **fields))
    return ContactList(tuple(found), (), ())


def test_plan_each_journalist_gets_their_version(tmp_path: Path) -> None:
    """fr and fr-CA get French, de German, an unknown language, none and "EN" the main (English) version."""
    english, german, french = _versions(tmp_path)
    built = plan.build(english, _people(), versions=[german, french])
    got = {m.email: built.rendered_of(i).language for i, m in enumerate(built.messages) if m.request_no is not None}
    assert got == WHO_GETS
    assert built.version_counts() == {"en": 3, "de": 1, "fr": 2}
    jean = next(m for m in built.recipients if m.email == "jean@example.ca")
    filled = compose.personalize(french, jean.fields)
    greeting, first = filled.text.split("\n\n")[3:5]
    assert greeting == "Bonjour Jean," and first.startswith("Riverbend – 19 février 2026 – ")


def test_plan_requests_never_mix_versions(tmp_path: Path) -> None:
    """Requests are cut per version (main first, then each other version): each holds one content."""
    english, german, french = _versions(tmp_path)
    people = _people(PRESS + "".join(f"f{i}@example.fr,F{i},X,fr\ne{i}@example.com,E{i},X,\n" for i in range(5)))
    built = plan.build(english, people, batch_size=3, versions=[german, french])
    requests = [(number, list(group)) for number, group in itertools.groupby(built.recipients, key=lambda m: m.request_no)]
    numbers = [number for number, _ in requests]
    assert numbers == sorted(numbers) == list(range(1, len(numbers) + 1))
    assert built.request_count == len(numbers)
    index = {c.email: i for i, c in enumerate(people.contacts)}
    languages = []
    for _, group in requests:
        versions = {built.rendered_of(index[m.email]).language for m in group}
        assert len(versions) == 1 and len(group) <= 3
        languages.append(versions.pop())
    assert languages == ["en", "en", "en", "de", "fr", "fr", "fr"]  # 8 English, 1 German, 7 French


def test_plan_one_language_unchanged(tmp_path: Path) -> None:
    """A release without versions plans exactly as before: no versions, one hash, the same request numbers."""
    english = _versions(tmp_path)[0]
    built = plan.build(english, _people(), batch_size=2)
    assert built.versions == () and built.version_of == ()
    assert built.content_hash == english.content_hash
    assert list(built.request_of) == [1, 1, 2, 2, 3, 3]
    assert built.version_counts() == {"en": 6}


@pytest.fixture
def project(tmp_path: Path, db_url: str, standin: Any) -> Path:
    """A press office's folder with the three-language release, the mixed list and the stand-in."""
    (tmp_path / "releases").mkdir()
    shutil.copy(LANGUAGES / "launch.md", tmp_path / "releases")
    shutil.copy(LANGUAGES / "launch.fr.md", tmp_path / "releases")
    (tmp_path / "press.csv").write_text(PRESS, encoding="utf-8")
    (tmp_path / "staff.csv").write_text("Email,Name\ndana@example.org,Dana Fields\n", encoding="utf-8")
    (tmp_path / "mailer.toml").write_text(
        f'[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{standin.url}"\nbatch_size = 10\n\n[lists]\nstaff = "staff.csv"\n\n'
        f'[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    return tmp_path


def mailer(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"SENDGRID_API_KEY": KEY}, input=input)


SEND = ("send", "releases/launch.md", "--list", "press.csv", "--force-embargo")


def test_cli_send_each_journalist_their_version(project: Path, standin: Any) -> None:
    """One live campaign: the plan says how many get each version, each request carries one version,
    every journalist is mailed once, in their language; `mailer show` rebuilds each one's version."""
    sent = mailer(*SEND, "--yes")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 6\nLanguages:  3 en (main version: no or other language), 1 de, 2 fr\n" in sent.stdout
    got = {}
    for request in standin.mail_sends:
        body = request.body
        language = next(k for k, v in SUBJECTS.items() if v == body["subject"])
        for personalization in body["personalizations"]:
            got[personalization["to"][0]["email"]] = language
        html = body["content"][1]["value"]
        assert f'lang="{language}"' in html
    assert got == WHO_GETS
    assert len(standin.mail_sends) == 3
    assert max(standin.accepted_addresses().values()) == 1
    with connect(config.from_environment().database.url).connect() as connection:
        rows = list(connection.execute(select(campaign.c.id, campaign.c.mode)))
        logged = dict(connection.execute(select(message.c.email, message.c.language)).all())
    assert [mode for _, mode in rows] == ["live"]
    assert logged == WHO_GETS  # the log says which version each journalist got (reports, `mailer contact`)
    shown = mailer("show", "latest", "--contact", "jean@example.ca", "-o", "jean.eml")
    assert shown.exit_code == 0, shown.output
    assert f"Subject:   {SUBJECTS['fr']}" in shown.stdout
    assert "Bonjour Jean," in (project / "jean.eml").read_bytes().decode("utf-8").replace("=\n", "")
    shown = mailer("show", "latest", "--contact", "yuki@example.jp", "-o", "yuki.eml")
    assert f"Subject:   {SUBJECTS['en']}" in shown.stdout
    again = mailer(*SEND, "--yes")  # the same versions again: everyone already received them (promise 8)
    assert again.exit_code == 1
    assert "all 6 journalists already received this exact release" in again.output


def test_cli_send_dry_run_and_resume_keep_versions(project: Path, standin: Any) -> None:
    """A live send stopped before its requests resumes with each journalist's own version."""
    toml = project / "mailer.toml"  # stopped at SendGrid's first 503, not after four waits of up to 8 s
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=100)
    stopped = mailer(*SEND, "--yes")
    assert stopped.exit_code != 0
    standin.reset()
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 0, resumed.output
    got = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert got == {email: SUBJECTS[language] for email, language in WHO_GETS.items()}


def test_cli_test_send_sends_staff_every_version(project: Path, standin: Any) -> None:
    """mailer test sends staff each version (one test campaign each); --language fr only the French one."""
    tested = mailer("test", "releases/launch.md")
    assert tested.exit_code == 0, tested.output
    assert [r.body["subject"] for r in standin.mail_sends] == [f"[TEST] {SUBJECTS[k]}" for k in ("en", "de", "fr")]
    assert "Language:   en (main version)\n" in tested.stdout and "\nLanguage:   fr\n" in tested.stdout
    standin.reset()
    one = mailer("test", "releases/launch.md", "--language", "fr-CA")
    assert one.exit_code == 0, one.output
    assert [r.body["subject"] for r in standin.mail_sends] == [f"[TEST] {SUBJECTS['fr']}"]
    missing = mailer("test", "releases/launch.md", "--language", "es")
    assert missing.exit_code == 1
    assert 'releases/launch.md has no "es" version.' in missing.output
    sent = mailer(*SEND, "--yes")  # every version was test-sent: no warning
    assert "never test-sent" not in sent.stderr


def test_cli_reports_show_the_version_each_journalist_got(project: Path, standin: Any) -> None:
    """The recipients report has a language column, and the outlets table rows per language version,
    for a campaign sent in several languages (3 en, 1 de, 2 fr: WHO_GETS)."""
    assert mailer(*SEND, "--yes").exit_code == 0
    listed = mailer("report", "latest", "--kind", "recipients", "--format", "csv", "-o", "recipients.csv")
    assert listed.exit_code == 0, listed.output
    rows = list(csv.DictReader(io.StringIO((project / "recipients.csv").read_text(encoding="utf-8-sig"))))
    assert {row["email"]: row["language"] for row in rows} == WHO_GETS
    rolled = mailer("report", "latest", "--kind", "outlets", "--format", "csv", "-o", "outlets.csv")
    assert rolled.exit_code == 0, rolled.output
    outlets = list(csv.reader(io.StringIO((project / "outlets.csv").read_text(encoding="utf-8-sig"))))
    by_language = {row[1]: int(row[2]) for row in outlets[1:] if row[0] == "language"}
    assert by_language == {"en": 3, "de": 1, "fr": 2}


def test_cli_reports_of_one_language_have_no_language_column(project: Path, standin: Any, tmp_path: Path) -> None:
    """A release in one language keeps the reports as they were: no language column, no language rows."""
    (project / "one.csv").write_text("Email,First Name,Outlet\nann@example.org,Ann,Daily\nbob@example.org,Bob,Weekly\n", encoding="utf-8")
    sent = mailer("send", "releases/launch.md", "--list", "one.csv", "--force-embargo", "--yes")
    assert sent.exit_code == 0, sent.output
    mailer("report", "latest", "--kind", "recipients", "--format", "csv", "-o", "one-recipients.csv")
    header = (project / "one-recipients.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "language" not in header.split(",")


def test_cli_show_a_language_version(project: Path, standin: Any) -> None:
    """`mailer show CAMPAIGN --language fr-CA` shows the French version as its first recipient got it;
    a language the campaign has no version of is a clear error naming the versions."""
    assert mailer(*SEND, "--yes").exit_code == 0
    shown = mailer("show", "latest", "--language", "fr-CA", "-o", "fr.eml")
    assert shown.exit_code == 0, shown.output
    assert f"Subject:   {SUBJECTS['fr']}" in shown.stdout
    assert "claire@example.fr" in shown.stdout  # the first journalist who got the French version
    missing = mailer("show", "latest", "--language", "es")
    assert missing.exit_code == 1
    assert "has no es version." in missing.output and "Its versions: en, de, fr." in missing.output


def test_cli_show_a_journalist_in_a_version_they_did_not_get(project: Path, standin: Any) -> None:
    """--contact with --language of another version says which version that journalist got."""
    assert mailer(*SEND, "--yes").exit_code == 0
    wrong = mailer("show", "latest", "--contact", "hans@example.de", "--language", "fr")
    assert wrong.exit_code == 1
    assert "hans@example.de received the de version of" in wrong.output and "not fr." in wrong.output
    right = mailer("show", "latest", "--contact", "hans@example.de", "--language", "de", "-o", "hans.eml")
    assert right.exit_code == 0, right.output
    assert f"Subject:   {SUBJECTS['de']}" in right.stdout


def test_languages_each_version_checks_the_fields_of_its_own_journalists(tmp_path: Path) -> None:
    """A field only the French version uses without a default must be filled for the French
    journalists alone; the same words for a list read column by column and for Contacts."""
    from mailer import contacts
    from mailer.errors import TemplateError
    from mailer.send import prepare

    (tmp_path / "launch.md").write_text('---\nsubject: "Bees"\ndate: 2026-02-19\n---\nHello.\n', encoding="utf-8")
    (tmp_path / "launch.fr.md").write_text('---\nsubject: "Abeilles"\n---\nBonjour {{ contact.first_name }}.\n', encoding="utf-8")
    cfg = Config(sender=SenderConfig(postal_address="1 Hive Lane"))
    versions = list(compose.render_versions(release.load(tmp_path / "launch.md"), config=cfg, now=BEFORE).values())
    path = tmp_path / "press.csv"
    path.write_text("Email,First Name,Language\nen@x.org,,en\nfr@x.org,,fr-CA\nok@x.org,Luc,fr\n", encoding="utf-8")
    loaded = contacts.load([path])
    for people in (loaded.contacts, tuple(loaded.contacts)):
        with pytest.raises(TemplateError) as caught:
            prepare._check_fields(versions, people)
        assert caught.value.message.endswith('"first_name" is empty for 1 contact: fr@x.org')


def test_cli_test_send_says_a_versions_note_once(project: Path) -> None:
    """nc9: a version without texts of its own (it borrows the main file's) was noted under the main
    version's test campaign and again under its own: once is enough."""
    (project / "releases" / "bees.md").write_text(
        '---\nsubject: "Bee census"\nsubheadline: "Up 18%"\n---\nThe census counted 1.2 million bees.\n', encoding="utf-8"
    )
    (project / "releases" / "bees.fr.md").write_text(
        '---\nsubject: "Recensement des abeilles"\n---\nLe recensement a compté 1,2 million d’abeilles.\n', encoding="utf-8"
    )
    tested = mailer("test", "releases/bees.md", "--dry-run", "--to", "desk@example.org")
    assert tested.exit_code == 0, tested.output
    notes = [line for line in tested.stderr.splitlines() if "has no subheadline" in line]
    assert len(notes) == 1, tested.stderr


# A French media database's export (nc9 #20): UTF-8 with BOM, ";", French headers, and the
# language written out in words as often as a tag.
LANGUES = (
    "\ufeffCourriel;Prénom;Nom;Langue\n"
    "marie@example.fr;Marie;Durand;Français\n"
    "luc@example.fr;Luc;Petit;FR\n"
    "hans@example.de;Hans;Weber;Deutsch\n"
    "anne@example.fr;Anne;Dupont;french\n"
    "jean@example.ca;Jean;Roy;fr_CA\n"
    "paul@example.fr;Paul;Martin;française\n"
    "zoe@example.fr;Zoé;Blanc;française\n"
    "rita@example.es;Rita;Gil;Español\n"
    "ned@example.com;Ned;Ray;n/a\n"
    "pat@example.com;Pat;Lee;\n"
)


def test_cli_send_reads_language_names_and_warns_of_the_others(project: Path, standin: Any) -> None:
    """A Language column that names the language ("Français", "french", "Deutsch") picks that
    version; cells that name no language ("française", "n/a") get the main version, and the plan
    says which cells, how many journalists, and which version (nc9 #20: silently English)."""
    (project / "langues.csv").write_bytes(LANGUES.encode("utf-8"))
    sent = mailer("send", "releases/launch.md", "--list", "langues.csv", "--force-embargo", "--yes")
    assert sent.exit_code == 0, sent.output
    assert "Recipients: 10\nLanguages:  5 en (main version: no or other language), 1 de, 4 fr\n" in sent.stdout
    assert (
        'Warning: 3 journalists have a language mailer does not know ("française" 2, "n/a" 1): they get the main version (en). '
        "Write a language tag (fr, de, fr-CA) or a language's name (French, Français) in the list's language column."
    ) in " ".join(sent.stderr.split())
    got = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert got == {
        "marie@example.fr": SUBJECTS["fr"],
        "luc@example.fr": SUBJECTS["fr"],
        "hans@example.de": SUBJECTS["de"],
        "anne@example.fr": SUBJECTS["fr"],
        "jean@example.ca": SUBJECTS["fr"],
        "paul@example.fr": SUBJECTS["en"],
        "zoe@example.fr": SUBJECTS["en"],
        "rita@example.es": SUBJECTS["en"],  # a known language the release has no version for: no warning
        "ned@example.com": SUBJECTS["en"],
        "pat@example.com": SUBJECTS["en"],  # no language: no warning
    }
    with connect(config.from_environment().database.url).connect() as connection:
        logged = dict(connection.execute(select(message.c.email, message.c.language)).all())
    assert {email: logged[email] for email in ("marie@example.fr", "anne@example.fr", "hans@example.de", "paul@example.fr")} == {
        "marie@example.fr": "fr",
        "anne@example.fr": "fr",
        "hans@example.de": "de",
        "paul@example.fr": "en",
    }


def test_cli_resume_gives_a_named_language_its_version(project: Path, standin: Any) -> None:
    """A send stopped before its requests resumes from the log's rows with the same versions the
    plan picked from language names."""
    (project / "langues.csv").write_bytes(LANGUES.encode("utf-8"))
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=100)
    stopped = mailer("send", "releases/launch.md", "--list", "langues.csv", "--force-embargo", "--yes")
    assert stopped.exit_code != 0
    standin.reset()
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 0, resumed.output
    got = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert (got["marie@example.fr"], got["hans@example.de"], got["paul@example.fr"]) == (SUBJECTS["fr"], SUBJECTS["de"], SUBJECTS["en"])


def test_plan_unknown_languages_counted_from_columns_as_from_rows(tmp_path: Path) -> None:
    """The cells that name no language are counted on the list's distinct cells (a list read column
    by column) as on its rows, and only among the journalists the plan mails."""
    english, german, french = _versions(tmp_path)
    path = tmp_path / "press.csv"
    cells = ["Français", "n/a", "", "german", "française", "??", "fr"]
    path.write_text("Email,Language\n" + "".join(f"p{i}@example.org,{cells[i % 7]}\n" for i in range(700)), encoding="utf-8")
    from mailer import contacts

    loaded = contacts.load([path])
    by_columns = plan.build(english, loaded, versions=[german, french])
    rows = ContactList(tuple(loaded.contacts), (), ())
    by_rows = plan.build(english, rows, versions=[german, french])
    assert list(by_columns.version_of) == list(by_rows.version_of)
    assert plan.unknown_languages(by_columns) == plan.unknown_languages(by_rows) == {"??": 100, "française": 100, "n/a": 100}
    fewer, _ = plan.skip_received(by_columns, {f"p{i}@example.org": "earlier" for i in range(1, 700, 7)})  # the n/a ones
    assert plan.unknown_languages(fewer) == {"??": 100, "française": 100}
    assert plan.unknown_languages(plan.build(english, loaded)) == {}  # one language: the column picks nothing


def test_cli_resume_sends_the_version_the_log_recorded(project: Path, standin: Any, db_url: str) -> None:
    """A resume sends each journalist the version its plan chose, as the log records it, even where
    the Language cell would now be read otherwise (a campaign planned by an older press-mailer, which
    gave "Français" the main version): a stopped campaign never changes version half-way."""
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=100)
    assert mailer(*SEND, "--yes").exit_code != 0
    from sqlalchemy import update

    from mailer.store import connect
    from mailer.store.schema import message

    engine = connect(db_url)
    with engine.begin() as connection:  # as an older version logged it: claire's plan chose English
        connection.execute(update(message).where(message.c.email_key == "claire@example.fr").values(language="en"))
    engine.dispose()
    standin.reset()
    resumed = mailer("resume", "latest", "--yes")
    assert resumed.exit_code == 0, resumed.output
    got = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert got["claire@example.fr"] == SUBJECTS["en"]
    assert {email: subject for email, subject in got.items() if email != "claire@example.fr"} == {
        email: SUBJECTS[language] for email, language in WHO_GETS.items() if email != "claire@example.fr"
    }


def test_cli_correcting_one_version_resends_that_version_only(project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """nc9 #17: a figure corrected in the English text only. The French and German journalists
    already received exactly what they would get: skipped as already received, not mailed twice;
    the question names the corrected version and counts only its journalists."""
    assert mailer(*SEND, "--yes").exit_code == 0
    main_file = project / "releases" / "launch.md"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace("412 volunteers", "413 volunteers"), encoding="utf-8")
    standin.reset()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    asked = mailer(*SEND, input="y\nn\n")  # yes to the send, no to the correction: nothing goes out
    assert asked.exit_code == 0
    said = " ".join(asked.output.split())
    assert "3 of these journalists already received an earlier version of this release" in said
    assert "Send the current English version to those 3 journalists too?" in said
    assert "Recipients: 3" in said and "Languages: 3 en" in said
    assert standin.mail_sends == []
    corrected = mailer(*SEND, "--yes")
    assert corrected.exit_code == 0, corrected.output
    got = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert got == {email: SUBJECTS["en"] for email, language in WHO_GETS.items() if language == "en"}
    assert "413 volunteers" in " ".join(standin.mail_sends[0].body["content"][0]["value"].split())
    with connect(config.from_environment().database.url).connect() as connection:
        latest = connection.scalars(select(campaign.c.id).order_by(campaign.c.created_at.desc())).first()
        skipped = dict(
            connection.execute(
                select(message.c.email, message.c.error).where(message.c.campaign_id == latest, message.c.skip_reason.is_not(None))
            ).all()
        )
    assert set(skipped) == {email for email, language in WHO_GETS.items() if language != "en"}
    assert all(detail.startswith("already received in ") for detail in skipped.values())


def test_cli_correction_of_a_campaign_logged_before_version_hashes_compares_it_whole(
    project: Path, standin: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A campaign in several languages logged before each version's hash was kept: which version
    changed cannot be told, so every journalist who got it counts as having got an earlier version."""
    assert mailer(*SEND, "--yes").exit_code == 0

    from mailer.store.schema import campaign_version

    engine = connect(db_url)
    with engine.begin() as connection:  # as the previous press-mailer logged it: no version rows
        connection.execute(campaign_version.delete())
    engine.dispose()
    main_file = project / "releases" / "launch.md"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace("412 volunteers", "413 volunteers"), encoding="utf-8")
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    asked = mailer(*SEND, input="y\nn\n")
    said = " ".join(asked.output.split())
    assert asked.exit_code == 0
    assert "6 of these journalists already received an earlier version of this release" in said
    assert "Send the corrected version to those 6 journalists too?" in said


def test_cli_translations_added_after_a_send_in_one_language_skip_who_got_the_same_english(project: Path, standin: Any) -> None:
    """The release went out in English only; its translations are added and it is sent again: the
    journalists whose (English) version is unchanged already received it; the others get theirs."""
    main_file = project / "releases" / "launch.md"
    full = main_file.read_text(encoding="utf-8")
    head, _, rest = full.partition("translations:\n")
    english_only = head + "---\n" + rest.split("\n---\n", 1)[1]
    main_file.write_text(english_only, encoding="utf-8")
    french = project / "releases" / "launch.fr.md"
    french.rename(project / "launch.fr.md.later")
    first = mailer(*SEND, "--yes")
    assert first.exit_code == 0, first.output
    assert standin.accepted_addresses().total() == 6
    main_file.write_text(full, encoding="utf-8")
    (project / "launch.fr.md.later").rename(french)
    standin.reset()
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    assert "3 of these journalists already received an earlier version of this release" in " ".join(again.output.split())
    got = {p["to"][0]["email"]: r.body["subject"] for r in standin.mail_sends for p in r.body["personalizations"]}
    assert got == {email: SUBJECTS[language] for email, language in WHO_GETS.items() if language != "en"}


def test_cli_a_journalist_whose_language_changed_is_not_sent_the_unchanged_release_again(project: Path, standin: Any) -> None:
    """Claire got the French version; her Language cell now says German. Nothing changed in the
    release: she already has this news, in a version it still sends (as a whole-release comparison
    said before versions were compared one by one)."""
    assert mailer(*SEND, "--yes").exit_code == 0
    press = project / "press.csv"
    press.write_text(
        press.read_text(encoding="utf-8").replace("claire@example.fr,Claire,Le Monde,fr", "claire@example.fr,Claire,Le Monde,de"),
        encoding="utf-8",
    )
    standin.reset()
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 1
    assert "all 6 journalists already received this exact release" in again.output
    assert standin.mail_sends == []


def test_cli_a_correction_for_one_journalist_asks_in_the_singular(project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The German version corrected: Hans alone got it; the question speaks of him, not "those 1 journalists"."""
    assert mailer(*SEND, "--yes").exit_code == 0
    main_file = project / "releases" / "launch.md"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace("Guten Tag", "Hallo"), encoding="utf-8")
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    asked = mailer(*SEND, input="y\nn\n")
    assert "Send the current German version to that journalist too?" in " ".join(asked.output.split())


def test_cli_no_to_the_correction_sends_to_the_others_only(project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Newcomer 10 #3: "Send the current English version to those 3 journalists too?" answered no
    sent nobody, not even the journalists new to the list. Now "no" leaves out only those 3."""
    assert mailer(*SEND, "--yes").exit_code == 0
    press = project / "press.csv"
    press.write_text(press.read_text(encoding="utf-8") + "new@example.com,Nia,Gazette,\n", encoding="utf-8")
    main_file = project / "releases" / "launch.md"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace("412 volunteers", "413 volunteers"), encoding="utf-8")
    standin.reset()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    answered = mailer(*SEND, "--no-test-ok", input="y\nn\n")
    said = " ".join(answered.output.split())
    assert answered.exit_code == 0, answered.output
    assert "Send the current English version to those 3 journalists too? [y/N]: n Sending to the other 1 journalist only." in said
    assert set(standin.accepted_addresses()) == {"new@example.com"}, answered.output
    with connect(config.from_environment().database.url).connect() as connection:
        latest = connection.scalars(select(campaign.c.id).order_by(campaign.c.created_at.desc())).first()
        details = connection.execute(select(message.c.email, message.c.error).where(message.c.campaign_id == latest)).all()
    left_out = {email for email, detail in details if detail and "not sent the correction" in detail}
    assert left_out == {email for email, language in WHO_GETS.items() if language == "en"}
