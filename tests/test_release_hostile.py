"""Hostile and odd release files: a clear error with the file and what to do, never a traceback (issue 11)."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailer import compose
from mailer.cli import main
from mailer.compose import release
from mailer.config import Config, SenderConfig
from mailer.errors import MailerError

HOSTILE = DATA / "hostile" / "releases"
CORPUS = sorted(path for path in HOSTILE.glob("*.md") if path.name != "README.md")
CONFIG = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))


def test_hostile_corpus_is_described() -> None:
    """At least 20 bad releases, each one named in the folder's README with its quirk."""
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert len(CORPUS) >= 20
    assert [path.name for path in CORPUS if f"| {path.name} |" not in readme] == []


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_hostile_release_preview_is_a_clear_error(path: Path, tmp_path: Path) -> None:
    """`mailer preview FILE` exits 1 with "Error: FILE..." and a hint on the next line; no traceback, nothing run."""
    result = CliRunner().invoke(main, ["preview", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    first, *rest = result.output.splitlines()
    assert first.startswith(f"Error: {path}")
    assert rest and rest[0].strip(), "a hint saying what to do"
    assert not (tmp_path / "owned").exists() and not Path("owned").exists()
    assert not (tmp_path / "out").exists()


KEYS = [*release.KNOWN_KEYS, "contact", "unknown_key"]
SCALARS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "{{ contact.first_name }}",
            '{{ contact.first_name | default("x") }}',
            "{{ ''.__class__ }}",
            "{{ cycler.__init__ }}",
            "{% include 'x' %}",
            "{{",
            "}}",
            "{{ contact. }}",
            "../x",
            "/etc/passwd",
            "Jane <jane@example.org>",
            "a, b <c@example.org>",
            "2026-02-19 09:00 Europe/Paris",
            "2026-02-19 09:00 Nowhere/Land",
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+14:00",
        ]
    ),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-5))])),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8
)
FRONT = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6).map(
    lambda data: {"subject": "S", **data} if "subject" not in data else data
)
BODY = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            ["{{ contact.outlet }}", "{{ x }}", "{%", "{{ contact.a | upper }}", "![a](b.png)", "[l](http://x)", "\n\n", "{#", "#}"]
        ),
    ),
    max_size=8,
).map("".join)


def _dump(data: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:  # safe_dump cannot write every key type hypothesis makes
        if isinstance(value, dict):
            return {str(key): plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return yaml.safe_dump(plain(data), allow_unicode=True)


def _load_and_render(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.md"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            rendered = compose.render(release.load(path, today=date(2026, 2, 19)), config=CONFIG, now=datetime(2026, 2, 1, tzinfo=UTC))
            compose.personalize(rendered, {"first_name": "Jane", "outlet": "<b>", "a": "x"})
        except MailerError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=FRONT, body=BODY)
@example(front={"subject": "S", "date": "2026-13-45"}, body="x")
@example(front={"subject": "S", "embargo": "2026-02-19 09:00 ../../etc"}, body="x")
def test_release_fuzz_only_mailer_errors(front: dict[str, Any], body: str) -> None:
    """Random front matter (any keys, values, nesting) and body text: nothing but a MailerError escapes load + render."""
    _load_and_render(f"---\n{_dump(front)}---\n{body}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=st.text(max_size=120), body=BODY)
@example(front="date: 2026-13-45\n", body="")
@example(front="a: &a [1]\nb: [*a, *a]\n", body="")
@example(front="subject: " + "[" * 300, body="")
@example(front="subject: !!python/name:os.system\n", body="")
def test_release_fuzz_raw_front_matter(front: str, body: str) -> None:
    """Random text between the --- lines (broken YAML, tags, aliases) is a MailerError at worst."""
    _load_and_render(f"---\nsubject: S\n{front}\n---\n{body}")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200))
@example(data=b"")
@example(data=b"\xff\xfe-\x00-\x00-\x00")
def test_release_fuzz_bytes(data: bytes) -> None:
    """Any bytes at all, with or without a front-matter start, are a MailerError at worst."""
    _load_and_render(data)
    _load_and_render(b"---\nsubject: S\n" + data + b"\n---\nx")


def test_config_from_email_not_an_address_is_a_config_error(tmp_path: Path) -> None:
    """`from_email = "not-an-address"` in mailer.toml stops every command, naming the file and key."""
    (tmp_path / "mailer.toml").write_text('[sender]\nfrom_email = "not-an-address"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["preview", str(CORPUS[0])])
    assert result.exit_code == 1
    assert result.output.startswith(
        f'Error: {tmp_path / "mailer.toml"}: key "sender.from_email": "not-an-address" is not a valid email address'
    )
    assert "Traceback" not in result.output
