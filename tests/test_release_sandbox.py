"""Promise 10: a release is data. Its expressions reach contact fields and the documented filters,
its templates render in Jinja's sandbox, and its files stay inside its folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from mailer import compose
from mailer.compose import release
from mailer.config import ComposeConfig, Config, SenderConfig
from mailer.errors import MailerError, ReleaseError, TemplateError
from mailer.models import Rendered

CONFIG = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))
OWNED = "owned-by-release"
PAYLOADS = [
    f"{{{{ cycler.__init__.__globals__.os.popen('touch {OWNED}').read() }}}}",
    f"{{{{ joiner.__init__.__globals__.os.system('touch {OWNED}') }}}}",
    f"{{{{ namespace.__init__.__globals__.os.popen('touch {OWNED}').read() }}}}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].listdir('/') }}",
    "{{ range.__self__ }}",
    "{{ request }}",
    "{{ contact.__class__ }}",
    "{{ contact._recorder.tokens }}",
    "{{ contact.first_name.then('x') }}",
    "{{ contact.first_name | attr('__class__') }}",
    "{{ contact.first_name | map('upper') | list }}",
    '{{ "%s" | format(contact) }}',
    '{{ "{0.__class__}".format(contact) }}',
    "{{ contact.first_name ~ contact.last_name }}",
    "{{ contact['__class__'] }}",
    "{% include '/etc/passwd' %}",
    "{% import 'release.html.j2' as t %}",
    "{% from 'release.html.j2' import x %}",
    "{% extends '/etc/passwd' %}",
    "{% set x = 1 %}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
]


def _write(folder: Path, front: str, body: str = "Hello.\n", name: str = "r.md") -> Path:
    path = folder / name
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


def _render(path: Path, config: Config = CONFIG) -> Rendered:
    return compose.render(release.load(path), config=config)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("place", ["subject", "headline", "preheader", "body", "about_file"])
def test_release_expression_cannot_reach_python_or_files(tmp_path: Path, payload: str, place: str) -> None:
    """Front matter, body or about file: every way into Python's objects or the file system is a
    ReleaseError at the line, saying what is allowed; no command runs, nothing is rendered."""
    quoted = payload.replace("\\", "\\\\").replace('"', '\\"')
    if place == "body":
        path, line = _write(tmp_path, 'subject: "S"\n', f"Hi {payload}.\n"), 4
    elif place == "about_file":
        (tmp_path / "about.md").write_text(f"About us.\n\n{payload}\n", encoding="utf-8")
        path, line = _write(tmp_path, 'subject: "S"\nabout_file: about.md\n'), 3
    else:
        front = f'{place}: "{quoted}"\n' if place == "subject" else f'subject: "S"\n{place}: "{quoted}"\n'
        path, line = _write(tmp_path, front), 2 if place == "subject" else 3
    with pytest.raises(ReleaseError) as caught:
        _render(path)
    shown = tmp_path / "about.md" if place == "about_file" else path
    assert caught.value.message.startswith(f"{shown}, line {line}: {payload[:20]}")
    assert "contact" in (caught.value.hint or "")
    assert not (tmp_path / OWNED).exists()


def test_release_allowed_expressions_still_render(tmp_path: Path) -> None:
    """What the README documents keeps working: fields, defaults, the value filters, quoted text."""
    body = '{{ contact.first_name | default("colleague") | upper }} {{ contact["outlet"] | d("you", true) }} {{ "{{" }}\n'
    path = _write(tmp_path, "subject: \"News for {{ contact.outlet | default('you') | title }}\"\n", body)
    email = compose.personalize(_render(path), {"first_name": "Jane", "outlet": "the bee times"})
    assert email.subject == "News for The Bee Times"
    assert "JANE the bee times {{" in email.text


def _custom_template(folder: Path, html: str) -> Config:
    """A templates folder holding a copy of the built-in template with ``html`` added to the HTML part."""
    folder.mkdir()
    for name in ("release.txt.j2", "release.css"):
        shutil.copy(ROOT / "templates" / name, folder / name)
    original = (ROOT / "templates" / "release.html.j2").read_text(encoding="utf-8")
    (folder / "release.html.j2").write_text(original.replace("{{ body }}", "{{ body }}" + html), encoding="utf-8")
    return Config(sender=CONFIG.sender, compose=ComposeConfig(templates=folder))


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if not p.startswith(("{% set", "{{ contact.first_name ~"))])
def test_template_cannot_reach_python_or_files(tmp_path: Path, payload: str) -> None:
    """A template is sandboxed too: the same payloads give a TemplateError (no traceback), run nothing."""
    config = _custom_template(tmp_path / "templates", payload)
    path = _write(tmp_path, 'subject: "S"\n')
    with pytest.raises((TemplateError, ReleaseError)) as caught:
        _render(path, config)
    assert str(tmp_path / "templates") in caught.value.message or "release.html.j2" in caught.value.message
    assert "Traceback" not in str(caught.value)
    assert not (tmp_path / OWNED).exists()


def test_template_include_inside_its_folder_works(tmp_path: Path) -> None:
    """Including a partial kept beside the template is fine; the sandbox refuses only what leaves the folder."""
    config = _custom_template(tmp_path / "templates", "{% include 'footer.html.j2' %}")
    (tmp_path / "templates" / "footer.html.j2").write_text("<p>Our footer</p>", encoding="utf-8")
    assert "Our footer" in _render(_write(tmp_path, 'subject: "S"\n'), config).html


def test_template_include_link_outside_is_refused(tmp_path: Path) -> None:
    """A link in the templates folder pointing outside it cannot be included."""
    config = _custom_template(tmp_path / "templates", "{% include 'footer.html.j2' %}")
    (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
    (tmp_path / "templates" / "footer.html.j2").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(TemplateError) as caught:
        _render(_write(tmp_path, 'subject: "S"\n'), config)
    assert "is outside the templates folder" in caught.value.message


@pytest.mark.parametrize("key", ["about_file", "attachments"])
def test_release_link_to_outside_file_is_refused(tmp_path: Path, key: str) -> None:
    """A link inside the release's folder that leads outside it is refused, naming the line."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET", encoding="utf-8")
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "kit.txt").symlink_to(outside / "secret.txt")
    path = _write(folder, f'subject: "S"\n{key}: kit.txt\n')
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert caught.value.message.startswith(f"{path}, line 3: the ")
    assert "is outside the release's folder" in caught.value.message


def test_release_template_link_outside_is_refused(tmp_path: Path) -> None:
    """A template in the release's folder that is a link to a file elsewhere is not used."""
    folder = tmp_path / "release"
    folder.mkdir()
    for name in ("release.html.j2", "release.txt.j2"):
        (folder / f"letter{name.removeprefix('release')}").symlink_to(ROOT / "templates" / name)
    path = _write(folder, 'subject: "S"\ntemplate: letter\n')
    with pytest.raises(MailerError) as caught:
        _render(path)
    assert caught.value.message.startswith(f"{path}, line 3: the template file")


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ('"Riverbend Beekeepers, Press Office <press@example.org>"', "Riverbend Beekeepers, Press Office"),
        ("'\"Riverbend Beekeepers, Press Office\" <press@example.org>'", "Riverbend Beekeepers, Press Office"),
        ("press@example.org", None),
        ('"<press@example.org>"', None),
    ],
)
def test_release_from_with_comma_in_name(tmp_path: Path, value: str, name: str | None) -> None:
    """A display name may hold a comma, quoted or not; the address is what is inside <...>."""
    loaded = release.load(_write(tmp_path, f'subject: "S"\nfrom: {value}\n'))
    assert (loaded.from_name, loaded.from_email) == (name, "press@example.org")


def test_release_two_addresses_in_from_refused(tmp_path: Path) -> None:
    """Two addresses are not one sender."""
    path = _write(tmp_path, 'subject: "S"\nfrom: "a@example.org, b@example.org"\n')
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert caught.value.message.startswith(f'{path}, line 3: "a@example.org, b@example.org" is not an email address')


def test_field_named_like_a_dict_method_is_a_field(tmp_path: Path) -> None:
    """contact.items is the list column "items" in the proof and in the reference render alike, never a dict method."""
    loaded = release.load(_write(tmp_path, 'subject: "S"\n', 'Hi {{ contact.items | default("none") }}.\n'))
    fields = {"items": "Honey", "email": "jane@example.org"}
    assert "Hi Honey." in compose.render_for(loaded, fields, config=CONFIG).text
    assert "Hi Honey." in compose.personalize(compose.render(loaded, config=CONFIG), fields).text
    assert "Hi none." in compose.render_for(loaded, {"email": "jane@example.org"}, config=CONFIG).text
