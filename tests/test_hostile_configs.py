"""Hostile and odd mailer.toml files (issue 11): each is a ConfigError naming the file and the
key (or line) with what to do, through the command line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailer import config
from mailer.cli import main
from mailer.errors import ConfigError

HOSTILE = Path(__file__).parent / "data" / "hostile" / "configs"
SEE = "See config.example.toml for every key."

# file -> (what the message says after "Error: FILE", the hint line)
EXPECTED: dict[str, tuple[str, str]] = {
    "batch-size-true.toml": (': key "sendgrid.batch_size": should be a whole number (an integer, without quotes) (got true)', SEE),
    "timeout-negative.toml": (': key "sendgrid.timeout": Input should be greater than 0 (got -5)', SEE),
    "timeout-infinite.toml": (': key "sendgrid.timeout": should be a finite number (got inf)', SEE),
    "api-url-without-scheme.toml": (
        ': key "sendgrid.api_url": must be a full web address such as https://api.sendgrid.com (got "api.sendgrid.com")',
        SEE,
    ),
    "from-email-non-ascii.toml": (
        (
            ': key "sender.from_email": "presse@büro.example" is not a valid email address: '
            "SendGrid accepts only ASCII in the From address; write the domain in its xn-- form."
        ),
        SEE,
    ),
    "from-email-invalid.toml": (
        ': key "sender.from_email": "not-an-address" is not a valid email address: An email address must have an @-sign.',
        SEE,
    ),
    "from-name-line-break.toml": (
        ': key "sender.from_name": must be one line of text, without line breaks or other control characters',
        SEE,
    ),
    "syntax-error.toml": (
        ": not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 8)",
        "Compare with config.example.toml.",
    ),
    "duplicate-key.toml": (": not valid TOML: Cannot overwrite a value (at line 3, column 16)", "Compare with config.example.toml."),
    "latin1.toml": (" line 2: not UTF-8 text (byte 33).", "Save the file as UTF-8 (any text editor can), then check accented names in it."),
    "utf16.toml": (": saved as UTF-16, not UTF-8.", "Save it again as UTF-8 (any text editor can)."),
    "folder.toml": (
        ": is a folder, not a configuration file.",
        f"Pass the file itself, such as {HOSTILE / 'folder.toml' / 'mailer.toml'}.",
    ),
    "port-too-large.toml": (': key "webhook.port": Input should be less than or equal to 65535 (got 99999999999999999999999999)', SEE),
    "section-is-a-string.toml": (': "sender" should be a section: a line [sender] followed by its keys (got "press@example.org")', SEE),
    "asm-group-negative.toml": (': key "sendgrid.asm_group_id": Input should be greater than or equal to 1 (got -1)', SEE),
    "webhook-path-without-slash.toml": (': key "webhook.path": must be a URL path starting with "/", such as "/sendgrid/events"', SEE),
    "unknown-key-typo.toml": (': unknown key "sendgrid.batchsize"; did you mean batch_size?', SEE),
    "sandbox-as-text.toml": (': key "sendgrid.sandbox": should be true or false, without quotes (got "no")', SEE),
    "api-key-env-empty.toml": (
        ': key "sendgrid.api_key_env": must be the name of an environment variable, such as SENDGRID_API_KEY (got "")',
        SEE,
    ),
    "database-url-not-a-url.toml": (
        ': key "database.url": must be a database URL such as "sqlite:///out/mailer.db" or "postgresql+psycopg://user@host/dbname"',
        SEE,
    ),
}


def test_hostile_configs_corpus_is_complete() -> None:
    """Every file in the corpus has an expected message, at least 8 of them, each in the README."""
    files = sorted(p.name for p in HOSTILE.iterdir() if p.name != "README.md")
    assert files == sorted(EXPECTED)
    assert len(files) >= 8
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    assert all(f"| {name} |" in readme for name in files)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_config_through_the_command_line(name: str) -> None:
    """`mailer --config FILE campaigns` exits 1 with the file, the key or line, and what to do."""
    path = HOSTILE / name
    result = CliRunner().invoke(main, ["--config", str(path), "campaigns"])
    message, hint = EXPECTED[name]
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output == f"Error: {path}{message}\n{hint}\n"


def test_hostile_config_through_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """$MAILER_CONFIG naming a folder gets the same message as --config."""
    monkeypatch.setenv("MAILER_CONFIG", str(HOSTILE / "folder.toml"))
    result = CliRunner().invoke(main, ["campaigns"])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {HOSTILE / 'folder.toml'}: is a folder, not a configuration file.")


SECTIONS = {"sender": ["from_email", "from_name", "reply_to"], "sendgrid": ["api_url", "batch_size", "timeout", "sandbox", "category"]}
toml_values = st.sampled_from(
    ['""', '"x"', "-1", "0", "true", "inf", "nan", "1e400", "[1]", "{a = 1}", '"a\\u0000b"', '"https://x.example"']
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=120)
    | st.builds(
        lambda section, key, value: f"[{section}]\n{key} = {value}\n".encode(),
        st.sampled_from(sorted(SECTIONS)),
        st.sampled_from([k for keys in SECTIONS.values() for k in keys]),
        toml_values,
    )
)
def test_hostile_config_fuzz_only_config_errors(tmp_path: Path, data: bytes) -> None:
    """Random bytes and random values for known keys load or give a ConfigError naming the file; nothing else escapes."""
    path = tmp_path / "mailer.toml"
    path.write_bytes(data)
    try:
        config.load(path)
    except ConfigError as exc:
        assert exc.message.startswith(str(path))
        assert exc.hint
