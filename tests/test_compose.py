"""compose.render: one inlined HTML email and a text part, checked by parsing, not string matching."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import ROOT

from mailer import compose
from mailer.compose import markup, release
from mailer.config import ComposeConfig, Config, SenderConfig, SendGridConfig
from mailer.errors import ReleaseError, TemplateError
from mailer.models import Contact, Rendered

EXAMPLE = ROOT / "releases" / "example.md"
CONFIG = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
NOW = datetime(2026, 2, 1, tzinfo=UTC)


def _render(path: Path = EXAMPLE, config: Config = CONFIG, *, test: bool = False) -> Rendered:
    return compose.render(release.load(path), config=config, now=NOW, test=test)


def _write(tmp_path: Path, front: str, body: str) -> Path:
    path = tmp_path / "r.md"
    path.write_text(f'---\nsubject: "Subject"\n{front}---\n{body}', encoding="utf-8")
    return path


def test_compose_styles_inlined_and_only_media_rules_left() -> None:
    """CSS lands in style attributes; the only <style> left holds @media rules; no class without one."""
    html = _render().html
    doc = lxml.html.document_fromstring(html)
    styles = doc.findall(".//style")
    assert len(styles) == 1
    css = styles[0].text or ""
    assert css.strip().startswith("@media") and css.count("@media") == 1
    assert doc.get_element_by_id("headline").get("style", "").startswith("margin:8px 0 8px 0; font-family:Arial")
    media_classes = set(re.findall(r"\.([a-z-]+)\s*\{", css))
    for element in doc.iter():
        for name in (element.get("class") or "").split():
            assert name in media_classes, f"class {name} kept though no @media rule uses it"
    assert not doc.findall(".//script") and not doc.findall(".//link")
    assert doc.get("lang") == "en"


def test_compose_anatomy_in_order() -> None:
    """Release line, headline, subheadline, dateline, body, about, ###, media contact, footer: in that order."""
    doc = lxml.html.document_fromstring(_render().html)
    text = doc.text_content()
    parts = [
        "FOR IMMEDIATE RELEASE",
        "Record 1.2 million bees counted",
        "Volunteers in 14 neighborhoods",
        "Riverbend, ST – February 19, 2026 – The Riverbend Beekeepers Association today",
        "“We expected a good year",
        "“Counts like this",
        "About the Riverbend Beekeepers Association",
        "###",
        "Dana Whitfield",
        "Riverbend Beekeepers, 1 Hive Lane",
        "Unsubscribe",
    ]
    positions = [text.find(part) for part in parts]
    assert all(p >= 0 for p in positions), dict(zip(parts, positions))
    assert positions == sorted(positions)
    preheader = doc.xpath("//body/div")[0]
    assert "display:none" in preheader.get("style") and preheader.text_content().startswith("Census results")
    first_paragraph = doc.get_element_by_id("body").find("p")
    assert first_paragraph.find("span").text == "Riverbend, ST – February 19, 2026 –"


def test_compose_embargo_line(tmp_path: Path) -> None:
    """An embargo replaces FOR IMMEDIATE RELEASE with EMBARGOED UNTIL date, time and zone."""
    rendered = _render(_write(tmp_path, 'embargo: "2026-02-19 09:00 America/New_York"\n', "Text.\n"))
    doc = lxml.html.document_fromstring(rendered.html)
    assert doc.get_element_by_id("release-line").text == "EMBARGOED UNTIL February 19, 2026, 9:00 AM EST"
    assert rendered.text.startswith("EMBARGOED UNTIL February 19, 2026, 9:00 AM EST\n")


def test_compose_text_part_wrapped_with_footnotes() -> None:
    """The text part wraps at 72 columns, has no Markdown or HTML left, and lists links as footnotes."""
    text = compose.personalize(_render(), {"outlet": "The Courier"}).text
    long_lines = [line for line in text.splitlines() if len(line) > 72 and "://" not in line]
    assert long_lines == []
    assert "**" not in text and "<" not in text and "](" not in text
    assert "census report [1] and the open data set [2]" in text.replace("\n", " ")
    assert "[1] https://www.example.org/census-2026" in text.splitlines()
    assert "\n###\n" in text
    assert "Media contact:\nDana Whitfield\n" in text
    assert "\n- 1.2 million bees counted, 68% of them honeybees\n- 31 of 31" in text


def test_compose_escapes_contact_fields_in_html_not_in_text(tmp_path: Path) -> None:
    """A value like AT&T <b> shows as text in the HTML (escaped) and unchanged in the text part."""
    path = _write(tmp_path, 'preheader: "For {{ contact.outlet }}"\n', "Hello {{ contact.outlet }} team.\n")
    rendered = _render(path)
    email = compose.personalize(rendered, {"outlet": 'AT&T <b>"x"</b>'})
    doc = lxml.html.document_fromstring(email.html)
    paragraph = doc.get_element_by_id("body").find("p")
    assert paragraph.text_content().endswith('Hello AT&T <b>"x"</b> team.')
    assert paragraph.find("b") is None
    assert 'Hello AT&amp;T &lt;b&gt;"x"&lt;/b&gt; team.' in email.html
    assert 'Hello AT&T <b>"x"</b> team.' in email.text


def test_compose_substitutions_escape_per_part(tmp_path: Path) -> None:
    """HTML tokens get escaped values, text tokens raw ones, the subject loses CR/LF."""
    path = tmp_path / "r.md"
    path.write_text('---\nsubject: "News for {{ contact.outlet }}"\n---\nHi {{ contact.outlet }}.\n', encoding="utf-8")
    rendered = _render(path)
    values = compose.substitutions(rendered, {"outlet": "AT&T\r\nBcc: x@example.org"})
    assert values == {
        "-~c.outlet.s~-": "AT&T Bcc: x@example.org",
        "-~c.outlet.h~-": "AT&amp;T\nBcc: x@example.org",
        "-~c.outlet.t~-": "AT&T\r\nBcc: x@example.org",
    }
    assert rendered.subject == "News for -~c.outlet.s~-"
    assert rendered.fields == ("outlet",)


def test_compose_contact_fields_in_attributes_stay_inside_them(tmp_path: Path) -> None:
    """A value with quotes and brackets in an alt text, a link title or an href stays that attribute's value."""
    body = (
        "![Photo for {{ contact.outlet }}](https://www.example.org/a.png)\n\n"
        '[Your page](https://www.example.org/p?o={{ contact.outlet }} "For {{ contact.outlet }}")\n'
    )
    rendered = _render(_write(tmp_path, "", body))
    value = 'Tom "The Bull" <b onclick=x> & Co'
    doc = lxml.html.document_fromstring(compose.personalize(rendered, {"outlet": value}).html)
    image = doc.get_element_by_id("body").find(".//img")
    link = doc.get_element_by_id("body").find(".//a")
    assert image.get("alt") == f"Photo for {value}"
    assert link.get("title") == f"For {value}"
    assert link.get("href") == "https://www.example.org/p?o=Tom%20%22The%20Bull%22%20%3Cb%20onclick%3Dx%3E%20%26%20Co"  # one query value
    assert doc.find(".//b") is None and "onclick" not in image.attrib and "onclick" not in link.attrib


def test_compose_tokens_inside_urls_survive_inlining(tmp_path: Path) -> None:
    """premailer percent-encodes href values: a contact field inside a link still becomes the right URL."""
    path = _write(tmp_path, "", "[Your page](https://www.example.org/p?outlet={{ contact.outlet | urlencode }}&n={{ contact.name }})\n")
    rendered = _render(path)
    assert "-~c.outlet.u1~-" in rendered.html or "-~c.outlet.u~-" in rendered.html
    email = compose.personalize(rendered, {"outlet": "AT&T Weekly", "name": "Zoë Ng"})
    href = lxml.html.document_fromstring(email.html).get_element_by_id("body").find(".//a").get("href")
    assert href == "https://www.example.org/p?outlet=AT%26T%20Weekly&n=Zo%C3%AB%20Ng"


@pytest.mark.parametrize(
    "sendgrid,tag",
    [(SendGridConfig(asm_group_id=42), "<%asm_group_unsubscribe_raw_url%>"), (SendGridConfig(), "-~unsubscribe_url~-")],
)
def test_compose_unsubscribe_tag_intact_in_href(sendgrid: SendGridConfig, tag: str) -> None:
    """The unsubscribe link's href is exactly SendGrid's tag after inlining, in HTML and text."""
    config = CONFIG.model_copy(update={"sendgrid": sendgrid})
    rendered = _render(config=config)
    assert compose.unsubscribe_tag(config) == tag
    links = [a for a in lxml.html.document_fromstring(rendered.html).iter("a") if a.text == "Unsubscribe"]
    assert [a.get("href") for a in links] == [tag]
    assert f'href="{tag}"' in rendered.html
    assert rendered.text.rstrip().endswith(f"Unsubscribe: {tag}")


def test_compose_test_send_banner_and_same_hash() -> None:
    """A test render has [TEST] and a visible banner, and the same content hash as the live one."""
    live, test = _render(), _render(test=True)
    assert test.subject == "[TEST] " + live.subject
    assert test.content_hash == live.content_hash
    # The banner is first on the page, after the hidden preheader (the inbox line; review 18p #2).
    preheader, banner = lxml.html.document_fromstring(test.html).xpath("//body/div")[:2]
    assert preheader.text_content() == live.preheader
    assert banner.text_content().startswith("TEST SEND")
    assert "display:none" not in (banner.get("style") or "")
    assert test.text.startswith("*** TEST SEND")
    assert "TEST SEND" not in live.html


def test_compose_hash_changes_with_content(tmp_path: Path) -> None:
    """Changing a word changes the content hash."""
    first = _render(_write(tmp_path, "date: 2026-02-19\n", "One.\n")).content_hash
    second = _render(_write(tmp_path, "date: 2026-02-19\n", "Two.\n")).content_hash
    assert first != second


def test_compose_check_fields_names_field_and_contacts() -> None:
    """A field used without default that some contacts lack is an error naming them (first three + count)."""
    path = Path("r.md")
    path.write_text('---\nsubject: "S"\n---\nDear {{ contact.first_name }}, for {{ contact.outlet | default("you") }}.\n', encoding="utf-8")
    rendered = _render(path)
    people = [Contact(email=f"j{n}@example.org", fields={"first_name": "" if n % 2 else "Jo"}, source="l.csv", row=n) for n in range(10)]
    with pytest.raises(TemplateError) as caught:
        compose.check_fields(rendered, people)
    assert caught.value.message == (
        "The release uses contact fields that some journalists lack:\n"
        '  "first_name" is empty for 5 contacts: j1@example.org, j3@example.org, j5@example.org and 2 more'
    )
    compose.check_fields(rendered, [p for p in people if p.fields["first_name"]])


def test_compose_check_fields_of_a_loaded_list_says_the_same(tmp_path: Path) -> None:
    """A list held column by column (contacts.load) is checked a column at a time, with the same
    words as a list of Contacts: a file without the column lacks it in every row."""
    from mailer import contacts

    path = tmp_path / "r.md"
    path.write_text('---\nsubject: "S"\n---\nDear {{ contact.first_name }} of {{ contact.beat }}.\n', encoding="utf-8")
    rendered = _render(path)
    first = tmp_path / "a.csv"
    first.write_text(
        "Email,First Name,Beat\n" + "".join(f"j{n}@example.org,{'' if n % 2 else 'Jo'},bees\n" for n in range(10)), encoding="utf-8"
    )
    second = tmp_path / "b.csv"
    second.write_text("Email,First Name\nk0@example.org,Kim\n", encoding="utf-8")
    loaded = contacts.load([first, second])
    expected = (
        "The release uses contact fields that some journalists lack:\n"
        '  "beat" is empty for 1 contact: k0@example.org\n'
        '  "first_name" is empty for 5 contacts: j1@example.org, j3@example.org, j5@example.org and 2 more'
    )
    for people in (loaded.contacts, tuple(loaded.contacts)):
        with pytest.raises(TemplateError) as caught:
            compose.check_fields(rendered, people)
        assert caught.value.message == expected


def test_compose_relative_link_refused_or_made_absolute(tmp_path: Path) -> None:
    """A relative link is refused, unless base_url is set: then it is made absolute, with a warning."""
    path = _write(tmp_path, "", "Intro.\n\nSee [the kit](press/kit.pdf).\n")
    with pytest.raises(ReleaseError) as caught:
        _render(path)
    assert caught.value.message == f'{path}, line 6: the link "press/kit.pdf" is not a full address, so it would not work in an email.'
    config = CONFIG.model_copy(update={"compose": ComposeConfig(base_url="https://www.example.org/news/")})
    rendered = _render(path, config=config)
    assert 'href="https://www.example.org/news/press/kit.pdf"' in rendered.html
    assert f"{path}, line 6: the link press/kit.pdf was made absolute: https://www.example.org/news/press/kit.pdf" in rendered.warnings


TOO_BIG = (
    "many mail servers refuse emails with attachments over 10 MB. "
    "Put it on your website and link to it (or raise [compose] max_attachment_mb in mailer.toml)."
)


def test_compose_warnings_a_press_officer_can_act_on(tmp_path: Path) -> None:
    """Missing alt text, http links, past embargo, long subject, big attachments, no postal address."""
    (tmp_path / "big.pdf").write_bytes(b"0" * (11 * 1024 * 1024))
    (tmp_path / "big2.pdf").write_bytes(b"0" * (11 * 1024 * 1024))
    path = tmp_path / "r.md"
    path.write_text(
        '---\nsubject: "' + "Long " * 25 + '"\nembargo: "2026-01-01 09:00 UTC"\nattachments: [big.pdf, big2.pdf]\n---\n'
        "![](https://www.example.org/a.png)\n\n[old site](http://www.example.org/)\n",
        encoding="utf-8",
    )
    rendered = _render(path, config=Config())
    assert list(rendered.warnings) == [
        f"{path}, line 6: the image https://www.example.org/a.png has no alt text; write ![what it shows](https://www.example.org/a.png).",
        f"{path}, line 8: the link http://www.example.org/ is not https; use https:// if the site has it.",
        "The subject is 124 characters long; inboxes cut it after about 100.",
        "The embargo (2026-01-01T09:00:00+00:00) is in the past; remove it or move it.",
        "No postal address: set [sender] postal_address in mailer.toml (required for a live send).",
        f"{path}: the attachment big.pdf is 11.0 MB; {TOO_BIG}",
        f"{path}: the attachment big2.pdf is 11.0 MB; {TOO_BIG}",
        (  # "close to" the limit, said review 17c #15
            f"{path}: the attachments and images total 22.0 MB, 29.3 MB once encoded for sending: more than one email to SendGrid "
            "can carry (30 MB, with room for the request itself), so mailer send and mailer test will refuse it. Put large files "
            "on your website and link to them instead of attaching them."
        ),
    ]


def _copy_template(tmp_path: Path, html: str, css: str = "p { color: #222222; }") -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "mine.html.j2").write_text(html, encoding="utf-8")
    (folder / "mine.txt.j2").write_text("{{ headline }}\n\n{{ body }}\n", encoding="utf-8")
    (folder / "mine.css").write_text(css, encoding="utf-8")
    return _write(tmp_path, "template: mine\n", "Hello.\n")


def test_compose_custom_template_from_release_folder(tmp_path: Path) -> None:
    """template: NAME uses NAME.html.j2/.txt.j2/.css from the templates folder or beside the release."""
    path = _copy_template(
        tmp_path, '<html lang="fr"><body><h1>{{ headline }}</h1>{{ body }}<a href="{{ unsubscribe_url }}">x</a></body></html>'
    )
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates"))
    rendered = _render(path, config=config)
    doc = lxml.html.document_fromstring(rendered.html)
    assert doc.get("lang") == "fr" and doc.find(".//p").get("style") == "color:#222"
    assert rendered.text.startswith("Subject\n\n")


def test_compose_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    """A Jinja syntax error in a template names the template file and line."""
    path = _copy_template(tmp_path, "<html>\n<body>\n{% if headline %}\n</body></html>\n")
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates"))
    with pytest.raises(TemplateError) as caught:
        _render(path, config=config)
    assert caught.value.message.startswith(f"{tmp_path / 'templates' / 'mine.html.j2'}, line 3: Unexpected end of template.")


def test_compose_template_undefined_variable_names_file_and_line(tmp_path: Path) -> None:
    """An unknown name in a template names the template file and line."""
    path = _copy_template(tmp_path, "<html>\n<body>\n<h1>{{ headlin }}</h1>\n</body></html>\n")
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates"))
    with pytest.raises(TemplateError) as caught:
        _render(path, config=config)
    assert caught.value.message == f"{tmp_path / 'templates' / 'mine.html.j2'}, line 3: 'headlin' is undefined."


def test_compose_css_warnings_are_one_readable_line(tmp_path: Path) -> None:
    """cssutils' complaints become one line each with the CSS file and line, not log noise."""
    path = _copy_template(tmp_path, "<html><body><p>{{ headline }}</p></body></html>", css="p {\n  colr: red;\n}\n")
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates"))
    rendered = _render(path, config=config)
    css = tmp_path / "templates" / "mine.css"
    assert f'{css} line 2: unknown CSS property "colr"; some email clients will ignore it' in rendered.warnings


def test_compose_field_in_condition_is_refused(tmp_path: Path) -> None:
    """A template that branches on a contact field is refused, naming the template's line: values are filled in after rendering."""
    path = _copy_template(tmp_path, "<html><body>{% if contact.outlet %}x{% endif %}</body></html>")
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates"))
    with pytest.raises(TemplateError) as caught:
        _render(path, config=config)
    assert caught.value.message.startswith(f"{tmp_path / 'templates' / 'mine.html.j2'}, line 1: contact.outlet is used in a condition")


def test_compose_personalize_missing_field_without_default() -> None:
    """Personalizing for a contact lacking a required field is an error naming the field and address."""
    path = Path("r.md")
    path.write_text('---\nsubject: "S"\n---\nDear {{ contact.first_name }}.\n', encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        compose.personalize(_render(path), {"email": "jo@example.org", "first_name": ""})
    assert caught.value.message == 'jo@example.org has no "first_name", which the release uses without a default.'


def test_compose_template_relative_link_refused(tmp_path: Path) -> None:
    """A relative link written in a template is refused too, or completed with base_url."""
    path = _copy_template(tmp_path, '<html><body><img src="logo.png" alt="Logo">{{ body }}</body></html>')
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates"))
    with pytest.raises(TemplateError) as caught:
        _render(path, config=config)
    assert caught.value.message == f'{tmp_path / "templates" / "mine.html.j2"} links to "logo.png", which is not a full address.'
    config = Config(compose=ComposeConfig(templates=tmp_path / "templates", base_url="https://www.example.org/"))
    assert 'src="https://www.example.org/logo.png"' in _render(path, config=config).html


def test_compose_sender_from_config_unless_release_overrides(tmp_path: Path) -> None:
    """From and reply-to come from mailer.toml; a release's from: overrides them, without line breaks."""
    config = Config(sender=SenderConfig(from_email="press@example.org", from_name="Press", reply_to="desk@example.org"))
    plain = _render(_write(tmp_path, "", "Hi.\n"), config=config)
    assert (plain.from_email, plain.from_name, plain.reply_to) == ("press@example.org", "Press", "desk@example.org")
    override = _render(_write(tmp_path, 'from: "News Desk <news@example.org>"\n', "Hi.\n"), config=config)
    assert (override.from_email, override.from_name) == ("news@example.org", "News Desk")


def test_compose_unsupported_filter_on_field_is_refused(tmp_path: Path) -> None:
    """A filter outside the documented ones (replace, first, ...) is refused when the release is read, with its line."""
    path = _write(tmp_path, "", 'Hi {{ contact.first_name | replace("a", "b") }}.\n')
    with pytest.raises(ReleaseError) as caught:
        _render(path)
    assert (
        caught.value.message
        == f'{path}, line 4: {{{{ contact.first_name | replace("a", "b") }}}} uses the filter "replace", which a release cannot use.'
    )
    assert "default, d, upper, lower, title, capitalize, trim, urlencode" in (caught.value.hint or "")
    rendered = _render(_write(tmp_path, "", "Hi {{ contact.first_name | upper }}.\n"))
    assert "Hi JANE." in compose.personalize(rendered, {"first_name": "Jane"}).text


def test_compose_fluid_column_for_phones_and_outlook() -> None:
    """The column is 100% up to 600px (phones without @media), Outlook gets a 600px table, no invalid attributes."""
    html = _render().html
    doc = lxml.html.document_fromstring(html)
    column = doc.get_element_by_id("headline").getparent().getparent().getparent()
    assert column.tag == "table" and column.get("width") == "100%"
    assert "max-width:600px" in column.get("style")
    assert '<!--[if mso]><table role="presentation" width="600"' in html
    for element in doc.iter():
        assert "auto" not in (element.get("width"), element.get("height")), lxml.html.tostring(element)[:120]


def test_compose_missing_builtin_templates_say_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the project's templates/ folder (a non-editable install) the error says how to get it."""
    monkeypatch.setattr(markup, "BUILTIN_TEMPLATES", tmp_path / "site-packages" / "templates")
    path = _write(tmp_path, "", "Hi.\n")
    with pytest.raises(TemplateError) as caught:
        _render(path)
    assert caught.value.message.startswith(f'{path}: template "release" not found (looked for release.html.j2 in templates, {tmp_path}, ')
    assert caught.value.hint == (
        f"The built-in templates were not found at {tmp_path / 'site-packages' / 'templates'}: install press-mailer "
        "from its project folder with  pip install -e . , or copy its templates/ folder here and set "
        "[compose] templates in mailer.toml."
    )
