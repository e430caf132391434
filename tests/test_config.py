"""mailer.toml: found, validated, explained; the example file documents every key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from pydantic import BaseModel

from mailer import config
from mailer.cli import main
from mailer.errors import ConfigError

ROOT = Path(__file__).parent.parent


def write(tmp_path: Path, text: str, name: str = "mailer.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_config_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    """A misspelt key names the file, the dotted key and the key that was probably meant."""
    path = write(tmp_path, "[sendgrid]\nbatchsize = 500\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.message == f'{path}: unknown key "sendgrid.batchsize"; did you mean batch_size?'
    assert caught.value.hint == "See config.example.toml for every key."


def test_config_unknown_section_lists_known_ones(tmp_path: Path) -> None:
    """An unknown section with nothing close lists what is allowed there."""
    path = write(tmp_path, "[zzz]\na = 1\n")
    with pytest.raises(ConfigError, match=r'unknown key "zzz"; known keys here: sender, sendgrid'):
        config.load(path)


def test_config_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    """A value of the wrong type says which key, what is expected and what was found."""
    path = write(tmp_path, '[sendgrid]\nconcurrency = "many"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert f'{path}: key "sendgrid.concurrency"' in caught.value.message
    assert caught.value.message.endswith('should be a whole number (an integer, without quotes) (got "many")')


def test_config_out_of_range_value_is_refused(tmp_path: Path) -> None:
    """SendGrid's 1000-per-request ceiling is enforced in the file already."""
    path = write(tmp_path, "[sendgrid]\nbatch_size = 5000\n")
    with pytest.raises(ConfigError, match=r'"sendgrid.batch_size": Input should be less than or equal to 1000'):
        config.load(path)


def test_config_bad_toml_is_reported_with_file(tmp_path: Path) -> None:
    """A syntax error in the file names the file and the line."""
    path = write(tmp_path, "[sender\nfrom_email = 1\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: not valid TOML: .*line 1"):
        config.load(path)


def test_config_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    """--config pointing nowhere explains how to get a config file."""
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path / "nope.toml")
    assert "no such configuration file" in caught.value.message
    assert "config.example.toml" in (caught.value.hint or "")


def test_config_found_through_flag_then_env_then_folder_or_parent(tmp_path: Path) -> None:
    """--config beats $MAILER_CONFIG, which beats mailer.toml here or in the nearest folder above; none means defaults."""
    office = tmp_path / "office"
    nested = office / "releases" / "2026"
    nested.mkdir(parents=True)
    local = write(office, "")
    env_file = write(tmp_path, "", "env.toml")
    flag = tmp_path / "flag.toml"
    assert config.find(flag, {"MAILER_CONFIG": str(env_file)}, office) == flag
    assert config.find(None, {"MAILER_CONFIG": str(env_file)}, office) == env_file
    assert config.find(None, {}, office) == local
    assert config.find(None, {}, nested) == local
    nearer = write(office / "releases", "")
    assert config.find(None, {}, nested) == nearer
    assert config.find(None, {}, tmp_path) is None


def test_config_without_a_file_keeps_the_log_in_the_user_data_folder(tmp_path: Path) -> None:
    """No mailer.toml anywhere: the log is the user's own (XDG_DATA_HOME on Linux), never out/ beside the current folder."""
    loaded = config.load(None)
    assert loaded.database.url == f"sqlite:///{tmp_path / 'user-data' / 'press-mailer' / 'mailer.db'}"


def test_config_relative_paths_follow_the_file(tmp_path: Path) -> None:
    """Paths in mailer.toml are relative to the file, wherever mailer is run from."""
    folder = tmp_path / "office"
    folder.mkdir()
    path = write(folder, '[lists]\nstaff = "staff.csv"\n[database]\nurl = "sqlite:///log/m.db"\n')
    loaded = config.load(path)
    assert loaded.lists.staff == folder / "staff.csv"
    assert loaded.database.url == f"sqlite:///{folder / 'log/m.db'}"
    assert loaded.compose.templates == folder / "templates"


def test_config_api_key_comes_from_the_named_variable() -> None:
    """The key is read from the variable the config names, and never shows in a repr."""
    loaded = config.Config()
    key = loaded.api_key({"SENDGRID_API_KEY": "SG.secret-value"})
    assert key.get_secret_value() == "SG.secret-value"
    assert "secret-value" not in repr(key) and "secret-value" not in str(key)


def test_config_missing_api_key_says_how_to_set_it() -> None:
    """No key in the environment is a clear error naming the variable."""
    with pytest.raises(ConfigError) as caught:
        config.Config().api_key({})
    assert caught.value.message == "No SendGrid API key: the environment variable SENDGRID_API_KEY is not set."
    assert 'export SENDGRID_API_KEY="SG.xxxx"' in (caught.value.hint or "")


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        if field.exclude:  # not settings: where the file came from, whether it names its log
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_config_example_documents_every_key() -> None:
    """config.example.toml loads, and every setting appears in it with a comment above."""
    example = ROOT / "config.example.toml"
    config.load(example)
    text = example.read_text(encoding="utf-8")
    lines = text.splitlines()
    for key in _keys(config.Config):
        name = key.rsplit(".", 1)[-1]
        found = [i for i, line in enumerate(lines) if re.match(rf"#?\s*{name}\s*=", line)]
        assert found, f"{key} is not in config.example.toml"
        assert lines[found[0] - 1].startswith("#"), f"{key} has no comment above it"


def test_cli_config_error_exits_1_without_traceback(tmp_path: Path) -> None:
    """A bad config reaches the user as one plain message and exit code 1."""
    path = write(tmp_path, "[sendgrid]\nbatchsize = 5\n")
    result = CliRunner().invoke(main, ["--config", str(path), "lists", "check", str(EXAMPLES / "lists" / "press.csv")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert 'unknown key "sendgrid.batchsize"; did you mean batch_size?' in result.output


def test_adding_a_mailer_toml_never_starts_a_new_log_beside_a_suppressing_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Day one without a mailer.toml (the log in the user's data folder), a journalist asks not to be
    mailed; day two a mailer.toml without [database] appears. mailer must not start a new, empty
    log beside it (the suppression would be lost): it stops, names both logs and how to choose;
    once mailer.toml names the earlier log, the journalist is still suppressed."""
    office = tmp_path / "office"
    office.mkdir()
    monkeypatch.chdir(office)
    runner = CliRunner()
    added = runner.invoke(main, ["suppressions", "add", "li.wei@example.org", "--reason", "asked by phone"])
    assert added.exit_code == 0, added.output
    earlier = tmp_path / "user-data" / "press-mailer" / "mailer.db"
    assert earlier.is_file()
    (office / "mailer.toml").write_text('[sender]\nfrom_email = "press@example.org"\n', encoding="utf-8")
    refused = runner.invoke(main, ["suppressions", "list"])
    assert refused.exit_code != 0
    assert "names no delivery log" in refused.output and str(earlier) in refused.output and "1 suppressed address" in refused.output
    assert f'url = "sqlite:///{earlier}"' in refused.output
    assert not (office / "out" / "mailer.db").exists()
    (office / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{earlier}"\n', encoding="utf-8")
    kept = runner.invoke(main, ["suppressions", "list", "--json"])
    assert kept.exit_code == 0, kept.output
    assert "li.wei@example.org" in kept.output
    (office / "mailer.toml").write_text('[database]\nurl = "sqlite:///out/mailer.db"\n', encoding="utf-8")
    fresh = runner.invoke(main, ["suppressions", "list", "--json"])
    assert fresh.exit_code == 0 and "li.wei@example.org" not in fresh.output


def test_a_mailer_toml_without_a_log_starts_one_when_there_was_none_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual first day with a mailer.toml: no earlier log, so out/mailer.db beside it, no question."""
    office = tmp_path / "office"
    office.mkdir()
    monkeypatch.chdir(office)
    (office / "mailer.toml").write_text('[sender]\nfrom_email = "press@example.org"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["campaigns"])
    assert result.exit_code == 0, result.output
    assert (office / "out" / "mailer.db").is_file()


def test_a_missing_config_named_by_the_environment_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$MAILER_CONFIG set in a profile and forgotten: the error says the name came from it (newcomer review 8)."""
    monkeypatch.setenv("MAILER_CONFIG", str(tmp_path / "nope.toml"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["campaigns"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.toml'}: no such configuration file (named by the environment variable MAILER_CONFIG)." in result.output
    assert "Unset MAILER_CONFIG" in result.output
