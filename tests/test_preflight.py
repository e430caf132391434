"""Pre-flight: what a press officer must fix before sending, said before anything is logged or sent."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import example
from sqlalchemy import func, select

from mailer import compose, config, store
from mailer.cli import main
from mailer.compose import release
from mailer.config import ComposeConfig, Config, SenderConfig
from mailer.errors import ConfigError, ReleaseError
from mailer.models import Rendered
from mailer.store.schema import campaign, message

CONFIG = Config(sender=SenderConfig(postal_address="Riverbend Beekeepers, 1 Hive Lane, Riverbend, ST 00000"))


def _write(tmp_path: Path, body: str, front: str = "") -> Path:
    path = tmp_path / "r.md"
    path.write_text(f'---\nsubject: "Subject"\n{front}---\n{body}\n', encoding="utf-8")
    return path


def _render(path: Path, cfg: Config = CONFIG) -> Rendered:
    return compose.render(release.load(path), config=cfg)


def test_preflight_links_that_are_not_https_warn_naming_the_link(tmp_path: Path) -> None:
    """http:// and ftp:// links warn with file and line; https, mailto: and tel: links do not."""
    path = _write(
        tmp_path,
        "[site](http://www.example.org/news)\n\n[files](ftp://files.example.org/kit.zip)\n\n"
        "[us](https://www.example.org/) [mail](mailto:press@example.org) [call](tel:+15550100)",
    )
    assert list(_render(path).warnings) == [
        f"{path}, line 4: the link http://www.example.org/news is not https; use https:// if the site has it.",
        f"{path}, line 6: the link ftp://files.example.org/kit.zip is not a web address (https://); most email clients will not open it.",
    ]


def test_preflight_html_over_gmail_clipping_size_warns_with_its_size(tmp_path: Path) -> None:
    """About 150 KB of HTML passes Gmail's ~102 KB clipping limit: a warning with the size and what to do."""
    paragraph = "The census counted bees in every park of the city, street by street. " * 15
    path = _write(tmp_path, "\n\n".join([paragraph] * 140))
    rendered = _render(path)
    size = len(rendered.html.encode("utf-8"))
    assert 140 * 1024 < size < 170 * 1024
    assert list(rendered.warnings) == [
        (
            f"The email's HTML is {size / 1024:.0f} KB; Gmail cuts emails over about 102 KB behind a "
            '"[Message clipped] View entire message" link, hiding the end of the release and the unsubscribe link. '
            "Shorten the release, or put long parts (tables, full reports) on a web page and link to it."
        )
    ]
    assert not _render(_write(tmp_path, paragraph)).warnings


def test_preflight_attachment_size_limit_is_configurable(tmp_path: Path) -> None:
    """[compose] max_attachment_mb sets the size over which an attachment warns (10 MB by default)."""
    (tmp_path / "kit.pdf").write_bytes(b"%PDF-1.4" + b"0" * (3 * 1024 * 1024))
    path = _write(tmp_path, "Body.", front="attachments: [kit.pdf]\n")
    assert not _render(path).warnings
    strict = CONFIG.model_copy(update={"compose": ComposeConfig(max_attachment_mb=2)})
    assert list(_render(path, strict).warnings) == [
        (
            f"{path}: the attachment kit.pdf is 3.0 MB; many mail servers refuse emails with attachments over 2 MB. "
            "Put it on your website and link to it (or raise [compose] max_attachment_mb in mailer.toml)."
        )
    ]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("from_email", "press.example.org", "An email address must have an @-sign."),
        ("from_email", "press@localhost", "The part after the @-sign is not valid. It should have a period."),
        ("from_email", "presse@exämple.org", "SendGrid accepts only ASCII in the From address; write the domain in its xn-- form."),
        ("reply_to", "desk@@example.org", "The part after the @-sign contains invalid characters: '@'."),
    ],
)
def test_preflight_invalid_sender_address_in_config_is_refused(tmp_path: Path, key: str, value: str, problem: str) -> None:
    """A From or Reply-To in mailer.toml that is not an address stops every command, naming the key."""
    path = tmp_path / "mailer.toml"
    path.write_text(f'[sender]\n{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.message == f'{path}: key "sender.{key}": "{value}" is not a valid email address: {problem}'


def test_preflight_invalid_from_in_release_is_refused(tmp_path: Path) -> None:
    """The release's from: must be a real address too (not merely contain an @)."""
    path = _write(tmp_path, "Body.", front='from: "Desk <desk@example>"\n')
    with pytest.raises(ReleaseError) as caught:
        release.load(path)
    assert caught.value.message == (
        f'{path}, line 3: "Desk <desk@example>" is not an email address (The part after the @-sign is not valid. It should have a period).'
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    return tmp_path


def _mailer(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


SEND = ("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run")


@pytest.mark.parametrize("where", ["config", "release"])
def test_preflight_invalid_from_refused_before_the_log_is_touched(project: Path, where: str) -> None:
    """A send with an invalid From stops with exit 1 before anything is logged or written."""
    if where == "config":
        (project / "mailer.toml").write_text('[sender]\nfrom_email = "press at example.org"\n', encoding="utf-8")
    else:
        example = project / "releases" / "example.md"
        example.write_text(example.read_text(encoding="utf-8").replace("---\n", '---\nfrom: "press@@example.org"\n', 1), encoding="utf-8")
    result = _mailer(*SEND)
    assert result.exit_code == 1
    assert "is not a valid email address" in result.stderr or "is not an email address" in result.stderr
    assert not (project / "out").exists()  # no outbox
    for log in project.rglob("*.db"):  # the log may exist (opened first), but holds nothing of this send
        with store.connect(f"sqlite:///{log}").connect() as connection:
            assert connection.execute(select(func.count()).select_from(campaign)).scalar() == 0
            assert connection.execute(select(func.count()).select_from(message)).scalar() == 0
    if where == "config":
        assert not list(project.rglob("*.db"))  # refused when mailer.toml is read, before the log is opened


def _embargo(project: Path, moment: datetime) -> None:
    example = project / "releases" / "example.md"
    source = example.read_text(encoding="utf-8")
    example.write_text(source.replace("date: 2026-02-19\n", f'embargo: "{moment:%Y-%m-%d %H:%M} UTC"\n'), encoding="utf-8")


def test_preflight_dry_run_says_the_embargo_would_refuse_the_live_send(project: Path) -> None:
    """A dry run of an embargoed release goes ahead, and warns that the live send now would be refused."""
    lifted = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    _embargo(project, lifted)
    result = _mailer(*SEND)
    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert (f"Warning: releases/example.md: the release is embargoed until {lifted:%Y-%m-%d %H:%M} UTC, so a live send now (") in warning
    assert (
        f'would be refused. Schedule it with --at "{lifted.isoformat(timespec="minutes")}" (or later; --at reaches 72 hours ahead '
        "at most), or add --force-embargo if journalists should get it early."
    ) in warning
    at = lifted - timedelta(days=1)
    early = " ".join(_mailer(*SEND, "--at", f"{at:%Y-%m-%d %H:%M} UTC").stderr.split())
    assert f"so a live send at {at:%Y-%m-%d %H:%M} UTC would be refused." in early


def test_preflight_dry_run_after_the_embargo_or_forced_says_nothing(project: Path) -> None:
    """Scheduled after the embargo, or with --force-embargo, the dry run has no embargo warning."""
    lifted = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    _embargo(project, lifted)
    after = _mailer(*SEND, "--at", f"{lifted + timedelta(hours=1):%Y-%m-%d %H:%M} UTC")
    forced = _mailer(*SEND, "--force-embargo")
    for result in (after, forced):
        assert result.exit_code == 0, result.output
        assert "embargoed" not in result.stderr
