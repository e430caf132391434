"""One release in several languages: versions loaded and checked, labels and dates localized, RTL (issue 14)."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from click.testing import CliRunner
from conftest import DATA

from mailer import compose
from mailer.cli import main
from mailer.compose import labels, release
from mailer.config import ComposeConfig, Config, SenderConfig
from mailer.errors import ConfigError, ReleaseError
from mailer.models import Rendered

LANGUAGES = DATA / "releases" / "languages"
CONFIG = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)  # before the embargo: no "in the past" warning


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "release"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(LANGUAGES / name, folder / name)
    return folder / "launch.md"


def _versions(path: Path, cfg: Config = CONFIG) -> dict[str, Rendered]:
    return compose.render_versions(release.load(path), config=cfg, now=BEFORE)


def _doc(rendered: Rendered) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(compose.personalize(rendered, {}).html)


def _text(rendered: Rendered) -> str:
    return compose.personalize(rendered, {}).text


def _dateline(doc: lxml.html.HtmlElement) -> str:
    return str(doc.get_element_by_id("body").find(".//span").text)


def _contact_label(doc: lxml.html.HtmlElement) -> str:
    return str(doc.get_element_by_id("media-contact").find(".//p").text)


def _footer(doc: lxml.html.HtmlElement) -> str:
    return " ".join(doc.get_element_by_id("footer").text_content().split())


def _column(doc: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The 600px column table (classes are gone after inlining)."""
    return doc.get_element_by_id("release-line").getparent().getparent()


def test_languages_three_versions_load_from_files_and_block(tmp_path: Path) -> None:
    """launch.md (English) with a translations: block (de) and launch.fr.md beside it: three versions, main first."""
    loaded = release.load(_copy(tmp_path, "launch.md", "launch.fr.md"))
    assert list(loaded.all_versions()) == ["en", "de", "fr"]
    assert loaded.language == "en"
    assert loaded.versions["fr"].subject.source == "Les apiculteurs de Riverbend comptent 1,2 million d’abeilles"
    assert loaded.versions["de"].subject.source == "Imker in Riverbend zählen 1,2 Millionen Bienen"
    for version in loaded.versions.values():  # the date and the embargo are the main file's
        assert version.date == date(2026, 2, 19)
        assert version.embargo == loaded.embargo
    assert loaded.notes == ()


def test_languages_each_version_renders_in_its_language(tmp_path: Path) -> None:
    """Release line, dateline date, media-contact label, footer and unsubscribe text follow the version's language."""
    rendered = _versions(_copy(tmp_path, "launch.md", "launch.fr.md"))
    assert [r.language for r in rendered.values()] == ["en", "de", "fr"]
    expected = {
        "en": ("EMBARGOED UNTIL February 19, 2026, 9:00 AM CET", "Riverbend, ST – February 19, 2026 –", "Media contact", "Unsubscribe"),
        "fr": ("SOUS EMBARGO JUSQU’AU 19 février 2026, 09:00 CET", "Riverbend – 19 février 2026 –", "Contact presse", "Se désabonner"),
        "de": ("SPERRFRIST BIS 19. Februar 2026, 09:00 MEZ", "Riverbend, ST – 19. Februar 2026 –", "Pressekontakt", "Abmelden"),
    }
    for language, (line, dateline, contact_label, unsubscribe) in expected.items():
        doc = _doc(rendered[language])
        assert doc.get("lang") == language
        assert doc.get_element_by_id("release-line").text == line
        assert _dateline(doc) == dateline
        assert _contact_label(doc) == contact_label
        assert _footer(doc).endswith(unsubscribe)
        text = _text(rendered[language])
        assert text.startswith(line + "\n")
        assert dateline in text
    assert "Vous recevez ce communiqué parce que vous suivez nos activités. Se désabonner" in _footer(_doc(rendered["fr"]))
    assert "Contact presse\u00a0:\nDana Whitfield\nDirectrice de la communication\n" in _text(rendered["fr"])
    assert "Se désabonner\u00a0: " in _text(rendered["fr"])
    assert "Guten Tag Damen und Herren," in _text(rendered["de"])
    assert rendered["fr"].subject == "Les apiculteurs de Riverbend comptent 1,2 million d’abeilles"
    assert len({r.content_hash for r in rendered.values()}) == 3


@pytest.mark.parametrize(
    ("language", "dateline_date", "immediate"),
    [
        ("en", "February 19, 2026", "FOR IMMEDIATE RELEASE"),
        ("fr", "19 février 2026", "POUR DIFFUSION IMMÉDIATE"),
        ("de", "19. Februar 2026", "ZUR SOFORTIGEN VERÖFFENTLICHUNG"),
        ("es", "19 de febrero de 2026", "PARA DIFUSIÓN INMEDIATA"),
        ("it", "19 febbraio 2026", "PER DIFFUSIONE IMMEDIATA"),
        ("pt", "19 de fevereiro de 2026", "PARA DIVULGAÇÃO IMEDIATA"),
        ("nl", "19 februari 2026", "VOOR ONMIDDELLIJKE PUBLICATIE"),
        ("ar", "19 فبراير 2026", "للنشر الفوري"),
        ("he", "19 בפברואר 2026", "לפרסום מיידי"),
    ],
)
def test_languages_dates_and_release_line_in_every_built_in_language(
    tmp_path: Path, language: str, dateline_date: str, immediate: str
) -> None:
    """A main file with  language: XX  gets that language's release line and CLDR date, with no warning about labels."""
    path = tmp_path / "r.md"
    path.write_text(f'---\nsubject: "S"\nlanguage: {language}\ndate: 2026-02-19\n---\nText.\n', encoding="utf-8")
    rendered = compose.render(release.load(path), config=CONFIG)
    doc = _doc(rendered)
    assert doc.get_element_by_id("release-line").text == immediate
    assert _dateline(doc) == f"{dateline_date} –"
    assert rendered.language == language
    assert not [w for w in rendered.warnings if "labels" in w]


def test_languages_embargo_time_follows_the_language() -> None:
    """The embargo's time is CLDR's: 24-hour in French and German, with the language's own date-time glue in Arabic."""
    moment = datetime(2026, 2, 19, 14, 30, tzinfo=ZoneInfo("Europe/Paris"))
    catalogue = labels.BUILTIN_CATALOGUE
    assert catalogue.labels("en").release_line(moment) == "EMBARGOED UNTIL February 19, 2026, 2:30 PM CET"
    assert catalogue.labels("fr").release_line(moment) == "SOUS EMBARGO JUSQU’AU 19 février 2026, 14:30 CET"
    assert catalogue.labels("fr-CA").release_line(moment) == "SOUS EMBARGO JUSQU’AU 19 février 2026, 14 h 30 CET"
    assert catalogue.labels("ar").release_line(moment) == "يُحظر النشر حتى 19 فبراير 2026، 2:30 م CET"


@pytest.mark.parametrize(
    ("language", "gets"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("fr-CA", "fr"),
        ("fr_ca", "fr"),
        ("de", "de"),
        ("de-AT", "de"),
        ("ja", "en"),
        ("", "en"),
        (None, "en"),
        ("not a language", "en"),
        # A language's name in English or in itself, any case, with or without accents (nc9 #20).
        ("Français", "fr"),
        ("french", "fr"),
        ("FRANCAIS", "fr"),
        (" français ", "fr"),
        ("Canadian French", "fr"),
        ("Deutsch", "de"),
        ("german", "de"),
        ("Österreichisches Deutsch", "de"),
        ("fra", "fr"),  # a three-letter code
        ("Español", "en"),  # a known language, but the release has no Spanish version
        ("française", "en"),  # an adjective, not a name: the plan warns (test_languages_send.py)
    ],
)
def test_languages_version_for_a_journalist(tmp_path: Path, language: str | None, gets: str) -> None:
    """A journalist's language column picks the version: fr-CA -> fr -> the main (default) version."""
    loaded = release.load(_copy(tmp_path, "launch.md", "launch.fr.md"))
    assert loaded.version(language).language == gets


def test_languages_version_missing_a_field_is_a_warning(tmp_path: Path) -> None:
    """A version without the main file's subheadline, about or body warns, naming the version and what it lacks."""
    path = _copy(tmp_path, "launch.md")
    (path.parent / "launch.es.md").write_text('---\nsubject: "Récord de abejas"\n---\nTexto.\n', encoding="utf-8")
    (path.parent / "launch.it.md").write_text("---\nsubject: Api\n---\n", encoding="utf-8")
    loaded = release.load(path)
    spanish = f"The Spanish version ({path.parent / 'launch.es.md'}) has no subheadline, preheader, about, contact of its own, so it uses the main file's (English)."
    italian = f"The Italian version ({path.parent / 'launch.it.md'}) has no subheadline, preheader, about, contact, body of its own, so it uses the main file's (English)."
    assert spanish in loaded.notes and italian in loaded.notes
    rendered = _versions(path)
    assert spanish in rendered["en"].warnings  # pre-flight of the main version lists every version's
    assert spanish in rendered["es"].warnings and italian not in rendered["es"].warnings
    assert "about the Riverbend Beekeepers" in _text(rendered["it"]).replace("About", "about")  # inherited, not dropped
    assert "Contacto de prensa:\nDana Whitfield\nCommunications Director" in _text(rendered["es"])
    assert "Récord de abejas" in _text(rendered["es"]).split("Texto.")[0]  # its subject is its headline: nothing to warn of


def test_languages_version_may_be_only_text(tmp_path: Path) -> None:
    """A launch.nl.md without front matter is the Dutch body; the subject comes from the main file (with a warning)."""
    path = _copy(tmp_path, "launch.md")
    (path.parent / "launch.nl.md").write_text("De imkers van Riverbend telden 1,2 miljoen bijen.\n", encoding="utf-8")
    rendered = _versions(path)
    assert "De imkers van Riverbend telden" in _text(rendered["nl"])
    assert "Perscontact:" in _text(rendered["nl"])
    assert any("Dutch version" in w and "subject" in w for w in rendered["nl"].warnings)


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        (
            "launch.fr.md",
            '---\nsubject: "S"\nembargo: "2026-02-20 09:00 UTC"\n---\nT\n',
            'launch.fr.md, line 3: "embargo" is shared by every language version',
        ),
        ("launch.fr.md", '---\nsubjet: "S"\n---\nT\n', 'launch.fr.md, line 2: unknown front-matter key "subjet"'),
        ("launch.fr.md", '---\nabout_file: "../secret.txt"\n---\nT\n', "launch.fr.md, line 2"),
        ("launch.fr.md", "---\nsubject: S\n---\nBonjour {{ ''.__class__ }}\n", "launch.fr.md, line 4"),
        ("launch.fr.md", '---\nsubject: "{{ config }}"\n---\nT\n', "launch.fr.md, line 2"),
        ("launch.fr.md", b"---\nsubject: S\n---\n\xff\xfe bad\n", "launch.fr.md, line 4: the file is not UTF-8 text."),
        ("launch.fr.md", "---\nsubject: [1, 2\n---\nT\n", "launch.fr.md, line 3, column 1: the front matter is not valid YAML"),
        ("launch.fr.md", '---\nattachments: ["/etc/passwd"]\n---\nT\n', "launch.fr.md, line 2"),
        ("launch.en.md", '---\nsubject: "S"\n---\nT\n', "the English (en) version is the main file itself"),
    ],
)
def test_languages_hostile_versions_are_refused_with_file_and_line(tmp_path: Path, file: str, content: str | bytes, message: str) -> None:
    """Every version passes the main file's rules: sandbox, paths inside the folder, clear errors with file and line."""
    path = _copy(tmp_path, "launch.md")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    target = path.parent / file
    target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ('translations:\n  fr:\n    subjet: "S"\n', 'r.md, line 5: unknown front-matter key "subjet"'),
        ("translations:\n  fr:\n    date: 2026-03-01\n", 'r.md, line 5: "date" is shared by every language version'),
        ('translations:\n  klingon:\n    subject: "S"\n', 'r.md, line 4: "klingon" is not a language I know.'),
        ("translations:\n  fr:\n    body: |\n      ok\n      {{ contact.x.__class__ }}\n", "r.md, line 7"),
        ('translations:\n  fr: "Bonjour"\n', "the fr translation must list its fields"),
        ("translations: [fr, de]\n", "r.md, line 3: translations must list one language per indented line"),
        ('translations:\n  fr:\n    about_file: "/etc/passwd"\n', "r.md, line 5"),
        ('language: fr\ntranslations:\n  fr:\n    subject: "S"\n', "the French (fr) version is the main file itself"),
        ('language: "xx-yy-zz"\n', 'r.md, line 3: "xx-yy-zz" is not a language I know.'),
    ],
)
def test_languages_hostile_translations_block(tmp_path: Path, block: str, message: str) -> None:
    """The translations: block is checked as strictly as the rest of the front matter, with the line of the problem."""
    path = tmp_path / "r.md"
    path.write_text(f'---\nsubject: "Main"\n{block}---\nBody.\n', encoding="utf-8")
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert message in caught.value.message


def test_languages_version_linked_from_outside_is_refused(tmp_path: Path) -> None:
    """launch.fr.md as a link to a file outside the release's folder is refused like an about_file would be."""
    path = _copy(tmp_path, "launch.md")
    (tmp_path / "elsewhere.md").write_text("---\nsubject: secret\n---\nsecret\n", encoding="utf-8")
    (path.parent / "launch.fr.md").symlink_to(tmp_path / "elsewhere.md")
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert caught.value.message.startswith(
        f"{path.parent / 'launch.fr.md'}: the French version launch.fr.md is outside the release's folder"
    )


def test_languages_same_version_twice_is_refused(tmp_path: Path) -> None:
    """A German file beside a release whose translations block already has German: which one is meant?"""
    path = _copy(tmp_path, "launch.md")
    (path.parent / "launch.de.md").write_text('---\nsubject: "S"\n---\nT\n', encoding="utf-8")
    with pytest.raises(ReleaseError, match="there are two German \\(de\\) versions"):
        release.load(path)


def test_languages_arabic_html_is_right_to_left(tmp_path: Path) -> None:
    """The Arabic version's HTML says dir="rtl" and lang="ar" (on <html> and on the column webmail keeps),
    and the phone number and address stay left to right inside it."""
    rendered = _versions(_copy(tmp_path, "launch.md", "launch.ar.md"))
    doc = _doc(rendered["ar"])
    assert (doc.get("dir"), doc.get("lang")) == ("rtl", "ar")
    column = _column(doc)
    assert (column.get("dir"), column.get("lang")) == ("rtl", "ar")
    assert doc.get_element_by_id("release-line").text == "يُحظر النشر حتى 19 فبراير 2026، 9:00 ص CET"
    contact = doc.get_element_by_id("media-contact")
    assert [(e.get("dir"), e.text_content()) for e in contact.iter("span", "a")] == [
        ("ltr", "+1 555 0100 123"),
        ("ltr", "press@example.org"),
    ]
    assert "border-right:4px solid #ccc" in doc.find(".//blockquote").get("style")  # the quote's rule on the right
    footer = doc.get_element_by_id("footer")
    assert ("auto", "Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000") in [(e.get("dir"), e.text) for e in footer.iter("span")]
    english = _doc(rendered["en"])
    assert english.get("dir") == "ltr"


def _paragraph_direction(line: str) -> str:
    """UAX #9 rules P2-P3: the class of the first strong character (L, R or AL), R for RLM."""
    for char in line:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return "R" if kind == "AL" else kind
    return "none"


def test_languages_arabic_text_part_reads_right_to_left(tmp_path: Path) -> None:
    """Every line of the Arabic text part is a right-to-left paragraph (also those opening with a Latin name or
    a number); lines without Arabic (a phone number, a link) carry a left-to-right mark before their digits."""
    rendered = _versions(_copy(tmp_path, "launch.md", "launch.ar.md"))
    text = _text(rendered["ar"])
    lines = [line for line in text.split("\n") if line.strip()]
    assert lines[0] == "\u200fيُحظر النشر حتى 19 فبراير 2026، 9:00 ص CET"
    assert all(_paragraph_direction(line) == "R" for line in lines)
    assert "\u200f\u200e+1 555 0100 123" in lines
    assert "\u200f\u200e[1] https://www.example.org/census-2026" in lines
    assert "\u200fللتواصل الإعلامي:" in lines
    assert "\u200f" not in _text(rendered["en"])


def test_languages_hebrew_is_right_to_left_too(tmp_path: Path) -> None:
    """Hebrew (he) gets dir="rtl" like Arabic."""
    path = tmp_path / "r.md"
    path.write_text('---\nsubject: "S"\nlanguage: he\n---\nשלום.\n', encoding="utf-8")
    rendered = compose.render(release.load(path), config=CONFIG)
    assert _doc(rendered).get("dir") == "rtl"
    assert _text(rendered).split("\n")[0] == "\u200fלפרסום מיידי"


def _templates(tmp_path: Path, labels_toml: str) -> Config:
    folder = tmp_path / "templates"
    shutil.copytree(Path(compose.render.__code__.co_filename).parents[2] / "templates", folder)
    (folder / "labels.toml").write_text(labels_toml, encoding="utf-8")
    return Config(sender=CONFIG.sender, compose=ComposeConfig(templates=folder))


def test_languages_labels_toml_extends_the_catalogue(tmp_path: Path) -> None:
    """An office's labels.toml corrects a built-in label and adds a language; labels it lacks fall back with a warning."""
    cfg = _templates(
        tmp_path,
        '[fr]\nfooter_reason = "Vous recevez ce communiqué en tant que journaliste."\n\n'
        '[ja]\nimmediate = "即時発表"\nmedia_contact = "報道関係のお問い合わせ"\n',
    )
    path = _copy(tmp_path, "launch.md", "launch.fr.md")
    (path.parent / "launch.ja.md").write_text('---\nsubject: "蜂"\n---\n本文。\n', encoding="utf-8")
    loaded = release.load(path)
    french = compose.render(loaded.versions["fr"], config=cfg, now=BEFORE)
    assert "Vous recevez ce communiqué en tant que journaliste. Se désabonner" in _footer(_doc(french))
    assert "Contact presse" in _text(french)  # the rest of the built-in French stays
    japanese = compose.render(loaded.versions["ja"], config=cfg, now=BEFORE)
    doc = _doc(japanese)
    assert _contact_label(doc) == "報道関係のお問い合わせ"
    assert _dateline(doc) == "Riverbend, ST – 2026年2月19日 –"  # CLDR knows Japanese dates
    assert any('no "ja" labels for embargoed, about, footer_reason, unsubscribe, links, colon' in w for w in japanese.warnings)
    assert doc.get_element_by_id("release-line").text.startswith("EMBARGOED UNTIL 2026年2月19日")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[fr]\nfooter = "x"\n', 'labels.toml: [fr] has an unknown label "footer".'),
        ("[fr]\nfooter_reason = \n", "labels.toml: the labels file cannot be read"),
        ('[fr]\nembargoed = "JUSQU’AU {date}"\n', "labels.toml: [fr] embargoed uses {date}; it can have only {when}."),
        ('[fr]\nunsubscribe = "{when}"\n', "labels.toml: [fr] unsubscribe uses {when}; it can have no {placeholders}."),
        ("[fr]\nunsubscribe = 3\n", "labels.toml: [fr] unsubscribe must be text"),
        ('["not a tag!"]\nunsubscribe = "x"\n', 'labels.toml: "[not a tag!]" is not a language tag.'),
        ('fr = "x"\n', "labels.toml: fr must be a [fr] table of labels."),
    ],
)
def test_languages_bad_labels_file(tmp_path: Path, content: str, message: str) -> None:
    """A labels.toml mistake is a ConfigError naming the file and the label."""
    cfg = _templates(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        compose.render(release.load(LANGUAGES / "launch.md"), config=cfg, now=BEFORE)
    assert message in caught.value.message
    assert str(tmp_path / "templates" / "labels.toml") in caught.value.message


def test_languages_label_normalize_and_candidates() -> None:
    """Language tags as lists write them: pt_br, FR, zh-hant-tw."""
    assert labels.normalize("pt_br") == "pt-BR"
    assert labels.normalize(" FR ") == "fr"
    assert labels.normalize("zh-hant-tw") == "zh-Hant-TW"
    assert labels.normalize("français") is None
    assert labels.candidates("zh-Hant-TW") == ("zh-Hant-TW", "zh-Hant", "zh")


def test_cli_preview_every_version_and_one_language(tmp_path: Path) -> None:
    """mailer preview writes one file pair per version; --language fr only the French one; each warning is said once."""
    path = _copy(tmp_path, "launch.md", "launch.fr.md")
    runner = CliRunner()
    result = runner.invoke(main, ["preview", str(path), "-o", "all"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "all").glob("launch*.html")) == ["launch.de.html", "launch.fr.html", "launch.html"]
    assert "Language:  en (main version)\nSubject:   Riverbend Beekeepers count 1.2 million bees\n" in result.output
    assert "\nLanguage:  fr\nSubject:   Les apiculteurs de Riverbend comptent 1,2 million d’abeilles\n" in result.output
    assert result.output.count("No postal address") == 1
    result = runner.invoke(main, ["preview", str(path), "--language", "fr-CA", "-o", "one"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "one").glob("launch*.html")] == ["launch.fr.html"]
    assert "Language:" not in result.output
    assert "Contact presse" in (tmp_path / "one" / "launch.fr.txt").read_text(encoding="utf-8")


def test_cli_preview_unknown_language_is_an_input_error(tmp_path: Path) -> None:
    """--language es for a release without a Spanish version: exit 1, its versions named, nothing written."""
    path = _copy(tmp_path, "launch.md", "launch.fr.md")
    result = CliRunner().invoke(main, ["preview", str(path), "--language", "es", "-o", "out"])
    assert result.exit_code == 1
    assert f'Error: {path} has no "es" version.\nIts versions: en, de, fr.' in result.output
    assert not (tmp_path / "out").exists()


def test_cli_preview_contact_gets_their_language(tmp_path: Path) -> None:
    """--contact shows the version the journalist's language column picks."""
    path = _copy(tmp_path, "launch.md", "launch.fr.md")
    (tmp_path / "press.csv").write_text("Email,First Name,Language\nclaire@example.fr,Claire,fr-CA\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["preview", str(path), "--contact", "claire@example.fr", "--list", "press.csv", "-o", "c"])
    assert result.exit_code == 0, result.output
    assert "Bonjour Claire," in (tmp_path / "c" / "launch.fr.txt").read_text(encoding="utf-8")


def test_languages_a_backup_file_beside_the_release_is_no_version(tmp_path: Path) -> None:
    """launch.bak.md (a backup) and launch.fra.md are not versions: Babel would read "bak" as
    Bashkir and "fra" as French, and the send would refuse the backup's date or send English to
    French journalists. Only launch.fr.md is the French version."""
    path = _copy(tmp_path, "launch.md", "launch.fr.md")
    shutil.copy(path, path.with_name("launch.bak.md"))  # a whole copy of the main file: it has a date
    shutil.copy(path.with_name("launch.fr.md"), path.with_name("launch.fra.md"))
    loaded = release.load(path)
    assert sorted(loaded.all_versions()) == ["de", "en", "fr"]


@pytest.mark.parametrize(
    ("cell", "tag"),
    [
        ("fr", "fr"),
        ("pt_br", "pt-BR"),
        ("Français", "fr"),
        ("french", "fr"),
        ("Deutsch", "de"),
        ("GERMAN", "de"),
        ("Español", "es"),
        ("espanol", "es"),
        ("Spanish", "es"),
        ("Nederlands", "nl"),
        ("polski", "pl"),  # in itself only: read from every language's own name
        ("العربية", "ar"),
        ("עברית", "he"),
        ("Brazilian Portuguese", "pt-BR"),
        ("ger", "de"),
        ("iw", "he"),  # Hebrew's old code
        ("française", None),
        ("n/a", None),
        ("fr, en", None),
        ("xx", None),
        ("", None),
        ("   ", None),
    ],
)
def test_languages_a_cell_names_a_language_by_tag_or_name(cell: str, tag: str | None) -> None:
    """A list's language cell is read as a tag, or as a language's name in English or in itself (CLDR, through Babel)."""
    from mailer.compose import language_names

    assert language_names.tag_of(cell) == tag


def test_languages_a_name_in_the_releases_own_language() -> None:
    """A French export names languages in French: "Anglais", "Allemand" read as en and de when the
    release has a French version (the release's languages' names for the others)."""
    from mailer.compose import language_names

    assert language_names.tag_of("Allemand", ["en", "fr"]) == "de"
    assert language_names.tag_of("Anglais", ["fr"]) == "en"
    assert labels.pick(["en", "de", "fr"], "Allemand") == "de"
