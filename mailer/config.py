"""mailer.toml: one typed model, loaded once and passed down.

Found through ``--config``, then ``$MAILER_CONFIG``, then ``mailer.toml`` in the current folder;
with none of them the built-in defaults apply (good for a dry run, not for a live send).
Unknown keys, wrong types and missing values are ``ConfigError`` naming the file and the key.
The API key itself is never in a file: the config names the environment variable holding it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from mailer.config_files import CONFIG_ENV_VAR, CONFIG_FILE_NAME, find
from mailer.config_problems import describe
from mailer.errors import ConfigError
from mailer.linebreaks import UNICODE_LINE_BREAKS
from mailer.mailbox import plainly_valid

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})  # [sendgrid] api_url may be http:// only here
APP_NAME = "press-mailer"


# A URL that can stand as it is in an HTML attribute, a text part and a List-Unsubscribe header.
_URL = re.compile(r"https?://(?P<host>[A-Za-z0-9.-]+)(:[0-9]{1,5})?(/[A-Za-z0-9._~%/@:+=-]*)?")
_MAILTO = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def check_url(value: str, *, https_only: bool) -> str:
    """An http(s) address without query, fragment, spaces or quotes; https unless on this machine."""
    value = value.strip().rstrip("/")
    match = _URL.fullmatch(value)
    if match is None:
        raise ValueError("must be a full web address such as https://press.example.org (no spaces, quotes, ? or #)")
    if https_only and not value.startswith("https://") and match.group("host").lower() not in _LOOPBACK_HOSTS:
        raise ValueError("must start with https:// (RFC 8058 one-click unsubscribe needs HTTPS)")
    return value


class _Section(BaseModel):
    # Strict: TOML has real booleans and numbers, so `batch_size = true` or `sandbox = "no"`
    # is a mistake to report, not a value to coerce; NaN and inf are never a setting.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _plain_text(value: str) -> str:
    """Refuse line breaks and other control characters (a From name with a line break would inject a header)."""
    if any(ord(c) < 32 or ord(c) == 127 or c in UNICODE_LINE_BREAKS for c in value):  # U+2028: a line break to mail clients
        raise ValueError("must be one line of text, without line breaks or other control characters")
    return value


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    if _ENV_NAME.fullmatch(value):
        return value
    if value.startswith("SG.") or len(value) > 40:  # the key itself, pasted here: never repeat it (review 8)
        raise ValueError(
            "must be the name of an environment variable, such as SENDGRID_API_KEY, not the key itself "
            '(it is not shown here): keep the key out of files, and set it with: export SENDGRID_API_KEY="SG...."'
        )
    raise ValueError(f'must be the name of an environment variable, such as SENDGRID_API_KEY (got "{value}")')


def _folder(value: Path | None) -> Path | None:
    if value is not None and any(ord(c) < 32 for c in str(value)):
        raise ValueError("must be a file or folder name, without control characters")
    return value


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be a From or Reply-To address, or None when it can.

    email-validator judges the syntax (no DNS lookup); SendGrid refuses Unicode in the From
    field (SENDGRID.md §1.1), so the address must be ASCII (write an accented domain in its
    xn-- form). A plain address is judged without email-validator (``mailbox.plainly_valid``).
    """
    if plainly_valid(address):
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        return str(exc)
    if not address.isascii():
        return "SendGrid accepts only ASCII in the From address; write the domain in its xn-- form."
    return None


EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org", "example")  # RFC 2606 §2-3: never anyone's


def reserved_for_examples(address: str) -> bool:
    """True when ``address`` is at a domain reserved for examples (RFC 2606): nobody's, so SendGrid
    can never verify it as a sender (it refuses Mail Send from an unverified From with 403,
    SENDGRID.md §1.4)."""
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return any(domain == reserved or domain.endswith("." + reserved) for reserved in EXAMPLE_DOMAINS)


class SenderConfig(_Section):
    """Who the release comes from; the postal address is required for a live send."""

    from_email: str = "press@example.org"
    from_name: str = "Press Office"
    reply_to: str | None = None
    postal_address: str | None = None

    @field_validator("from_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _plain_text(value)

    @field_validator("from_email", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        """Refused when the file is read, before any command plans or logs a send."""
        problem = address_problem(value) if value is not None else None
        if problem:
            raise ValueError(f'"{value}" is not a valid email address: {problem}')
        return value


class TrackingConfig(_Section):
    """SendGrid tracking settings sent with every message."""

    open_tracking: bool = True
    click_tracking: bool = True
    subscription_tracking: bool = True


class SendGridConfig(_Section):
    """How to reach SendGrid and how hard to push it."""

    api_key_env: str = "SENDGRID_API_KEY"
    api_url: str = "https://api.sendgrid.com"
    batch_size: int = Field(1000, ge=1, le=1000)
    concurrency: int = Field(4, ge=1, le=32)
    timeout: float = Field(30.0, gt=0)
    retries: int = Field(4, ge=0, le=20)
    max_retry_wait: float = Field(60.0, gt=0)
    category: str = Field("press-release", min_length=1, max_length=255)
    asm_group_id: int | None = Field(None, ge=1)
    tracking: TrackingConfig = TrackingConfig()
    sandbox: bool = False

    @property
    def stand_in(self) -> str | None:
        """``api_url`` when it is a stand-in on this computer (127.0.0.1, localhost): a rehearsal that
        mails nobody, though the delivery log records it as a live send; otherwise None."""
        return self.api_url if (urlsplit(self.api_url).hostname or "") in LOOPBACK_HOSTS else None

    @property
    def is_sendgrid(self) -> bool:
        """``api_url`` is SendGrid's own (api.sendgrid.com, api.eu.sendgrid.com), not a stand-in or a gateway."""
        host = urlsplit(self.api_url).hostname or ""
        return host == "sendgrid.com" or host.endswith(".sendgrid.com")

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        try:
            checked = check_url(value, https_only=False)
        except ValueError:
            raise ValueError(f'must be a full web address such as https://api.sendgrid.com (got "{value}")') from None
        parts = urlsplit(checked)
        if parts.scheme != "https" and (parts.hostname or "") not in LOOPBACK_HOSTS:
            # Every request carries "Authorization: Bearer <key>": over http it would cross the
            # network readable by anyone on the way, before any redirect to https (review 12a #7).
            raise ValueError(
                f'must start with https:// (got "{value}"): over http:// the API key would travel unencrypted. '
                "Only a stand-in on this computer (127.0.0.1, localhost) may use http://"
            )
        return checked

    @field_validator("api_key_env")
    @classmethod
    def _key_env(cls, value: str) -> str:
        return _env_name(value)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if not value.isascii():  # SENDGRID.md: categories are ASCII; any other refuses every request (review 12a #12)
            raise ValueError(
                f'must be plain ASCII letters, digits and punctuation, as SendGrid requires (got "{value}"): for example "press-release"'
            )
        return _plain_text(value)


class ListsConfig(_Section):
    """Where the staff list for test sends lives."""

    staff: Path | None = Field(None, strict=False)

    @field_validator("staff")
    @classmethod
    def _staff(cls, value: Path | None) -> Path | None:
        return _folder(value)


class DatabaseConfig(_Section):
    """The delivery log: an SQLAlchemy URL, an SQLite file by default."""

    url: str = "sqlite:///out/mailer.db"  # in a mailer.toml: beside it; without one, see default_log_url()
    # Seconds to wait for a PostgreSQL server to answer a new connection; 0 waits for ever. The
    # URL's ?connect_timeout wins; without this key, PGCONNECT_TIMEOUT from the environment (libpq's
    # own variable) is taken before the default (from_environment).
    connect_timeout: int = Field(20, ge=0)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if "://" not in value or any(ord(c) < 32 for c in value):
            raise ValueError('must be a database URL such as "sqlite:///out/mailer.db" or "postgresql+psycopg://user@host/dbname"')
        scheme = value.partition("://")[0].lower()
        if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):  # as Heroku and many guides write it (review 8)
            raise ValueError(f"starts with {scheme}://; write postgresql+psycopg:// instead (the driver mailer uses), keeping the rest")
        if scheme == "sqlite" and not value.startswith("sqlite:///"):  # newcomer 11: "Invalid SQLite URL" said nothing more
            rest = value.partition("://")[2]
            raise ValueError(f'an SQLite file takes three slashes: "sqlite:///{rest}" (a path beside mailer.toml), or four for a full path')
        return value


class WebhookConfig(_Section):
    """The event webhook server, and the one-click unsubscribe endpoint it serves."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    path: str = "/sendgrid/events"
    verification_key: str | None = None
    max_body_bytes: int = Field(10_000_000, ge=1_000_000)
    # Seconds a sender may take to send one request's body (a slow sender holds a connection).
    body_timeout: float = Field(30.0, gt=0)
    block_threshold: int = Field(3, ge=1)
    # Where journalists reach `mailer webhook` from the internet; with neither a SendGrid
    # unsubscribe group nor subscription tracking, unsubscribe links point here.
    public_url: str | None = None
    unsubscribe_secret_env: str = "MAILER_UNSUBSCRIBE_SECRET"
    unsubscribe_mailto: str | None = None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, https_only=True)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", value):
            raise ValueError('must be a URL path starting with "/", such as "/sendgrid/events"')
        return value

    @field_validator("unsubscribe_secret_env")
    @classmethod
    def _secret_env(cls, value: str) -> str:
        return _env_name(value)

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _mailto(cls, value: str | None) -> str | None:
        if value is not None and not _MAILTO.fullmatch(value):
            raise ValueError("must be a plain email address such as unsubscribe@example.org")
        return value


class ComposeConfig(_Section):
    """Where templates come from and where previews and dry-run output go."""

    templates: Path = Field(Path("templates"), strict=False)
    base_url: str | None = None
    preview_dir: Path = Field(Path("out/preview"), strict=False)
    outbox_dir: Path = Field(Path("out/outbox"), strict=False)

    @field_validator("templates", "preview_dir", "outbox_dir")
    @classmethod
    def _folders(cls, value: Path) -> Path | None:
        return _folder(value)

    max_attachment_mb: float = Field(10.0, gt=0)
    unsubscribe_preview_url: str | None = None

    @field_validator("unsubscribe_preview_url")
    @classmethod
    def _preview_url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value, https_only=False)

    dry_run_eml: int = Field(50, ge=0)  # .eml files a dry run writes (the first N recipients); --eml all for everyone


class ReportsConfig(_Section):
    """How `mailer report` writes times: in UTC (default), or in the office's time zone."""

    time_zone: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else zone_name(value)


def zone_name(value: str) -> str:
    """A time zone as the time zone database names it ("europe/london" -> Europe/London), or a
    ValueError naming the zone to write for a city ("New York": America/New_York)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from mailer import zones

    name = zones.spelled(" ".join(value.split()))
    if name.upper() in ("UTC", "GMT"):
        return "UTC"
    # An offset, or a zone that is standard time all year: not the office's clocks (review 22b #5: "GMT+1" was
    # told to be "Etc/GMT+1", one hour *behind* UTC, and "EST" showed New York's summer an hour behind its clocks).
    offset = re.fullmatch(r"(?:etc/)?(?:gmt|utc)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", " ".join(value.split()), re.IGNORECASE)
    if offset and not int(offset[2]) and not int(offset[3] or 0):
        return "UTC"
    if offset:
        hours = f"{int(offset[2])} hour{'s' if int(offset[2]) != 1 else ''}"
        reversed_sign = (
            f'"Etc/GMT{offset[1]}{int(offset[2])}" is {hours} {"behind" if offset[1] == "+" else "ahead of"} UTC, its sign reversed'
        )
        raise ValueError(
            f'"{value}" is an offset from UTC, which keeps no summer time, so the reports would not read as your clocks do '
            f"(and in the time zone database {reversed_sign}): write your office's time zone, such as "
            '"Europe/Paris", "Europe/London" or "America/New_York"'
        )
    if name.upper() in zones.ALL_YEAR:
        zone, place = zones.ALL_YEAR[name.upper()]
        raise ValueError(
            f'"{value}" is standard time all year: in summer the clocks in {place} read an hour later, and the reports would '
            f'be an hour behind them. Write "{zone}", which changes with them'
        )
    try:
        ZoneInfo(name)
        return name
    except (ValueError, ZoneInfoNotFoundError, OSError):
        pass
    where = zones.place_zone(value)  # "UK" (newcomer 24 #4), "Victoria" (newcomer 25 #2)
    if where is not None:
        raise ValueError(f'"{value}" {where[1]}; write the name of its time zone, which starts with the region: "{where[0]}"')
    # A clock's abbreviation, as --at and the embargo answer it (office 27: "MEZ" was told to be "Europe/London")
    region = zones.ABBREVIATIONS.get(" ".join(value.split()).upper())
    if region is not None:
        places = zones.SEVERAL_PLACES.get(" ".join(value.split()).upper())
        named = " or ".join(f'"{zone}" ({place})' for zone, place in places) if places else f'"{region}"'
        raise ValueError(
            f'"{value}" is an abbreviation, not a time zone name; write the zone of your clocks, which follows their summer time: {named}'
        )
    raise ValueError(f'must be a time zone name such as "Europe/London" or "America/New_York" (got "{value}")')


class Config(_Section):
    """The whole of mailer.toml. ``source`` is the file it came from (None for defaults)."""

    sender: SenderConfig = SenderConfig()
    sendgrid: SendGridConfig = SendGridConfig()
    lists: ListsConfig = ListsConfig()
    database: DatabaseConfig = DatabaseConfig()
    webhook: WebhookConfig = WebhookConfig()
    compose: ComposeConfig = ComposeConfig()
    reports: ReportsConfig = ReportsConfig()
    source: Path | None = Field(None, exclude=True, strict=False)
    # False when the file has no [database] url (the log is then out/mailer.db beside it): see
    # store/earlier.py, which will not start that new log silently beside the user's earlier one.
    log_named: bool = Field(True, exclude=True)

    def api_key(self, environ: Mapping[str, str], *, permission: str = "Mail Send") -> SecretStr:
        """The SendGrid API key from the environment, or a ConfigError saying how to set it (a key
        with ``permission``, as SendGrid's API key settings name it)."""
        name = self.sendgrid.api_key_env
        value = environ.get(name, "").strip()
        if not value and name in environ:  # set, but to nothing but spaces (review 8): look at what was exported
            raise ConfigError(
                f"No SendGrid API key: the environment variable {name} is set but empty (or only spaces).",
                hint=f'Set it to the key itself, for example: export {name}="SG.xxxx" (is the variable you copied it from empty?).',
            )
        if not value:
            raise ConfigError(
                f"No SendGrid API key: the environment variable {name} is not set.",
                hint=f'Set it in this terminal first, for example: export {name}="SG.xxxx" '
                f"(create the key in SendGrid under Settings > API Keys, with {permission} permission).",
            )
        if any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in value):
            raise ConfigError(
                f"The SendGrid API key in {name} contains a line break, space or other control character, so it cannot be sent.",
                hint=f"Copy the key again from SendGrid and set {name} to exactly that one line (the key is not shown here).",
            )
        if not value.isascii():
            # An HTTP header cannot carry it: every request would fail inside the HTTP library after
            # the connection opened, and its journalists be logged unknown (review 12a #4).
            raise ConfigError(
                f"The SendGrid API key in {name} contains a character no key has (“curly quotes” or a dash from a word "
                "processor?), so it cannot be sent.",
                hint=f'Copy the key again from SendGrid and set it with straight quotes: export {name}="SG.xxxx" (the key is not shown here).',
            )
        return SecretStr(value)

    def unsubscribe_secret(self, environ: Mapping[str, str]) -> SecretStr:
        """The key that signs one-click unsubscribe links, from the environment variable the config names."""
        name = self.webhook.unsubscribe_secret_env
        value = environ.get(name, "").strip()
        generate = f"export {name}=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\""
        if not value:
            raise ConfigError(
                f"No unsubscribe secret: the environment variable {name} is not set. "
                "It signs the one-click unsubscribe link in every email ([webhook] public_url is set).",
                hint=f"Create one once and set the same value where mailer send and mailer webhook run, for example: {generate}",
            )
        if len(value) < 32 or any(c.isspace() or ord(c) < 32 for c in value):
            raise ConfigError(
                f"The unsubscribe secret in {name} is too short or contains spaces: it needs at least 32 characters.",
                hint=f"Create a new one (links in emails already sent stop working): {generate}",
            )
        return SecretStr(value)


def shadowed(explicit: Path | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The mailer.toml of ``cwd`` (or the nearest folder above) that $MAILER_CONFIG wins over, when
    the two are different files; None with --config, without the variable, or with no such file.
    Newcomer 14 #3: set once for one client, the variable made a command run in another client's
    folder use the first client's sender, delivery log and suppressions, without a word."""
    if explicit is not None or not environ.get(CONFIG_ENV_VAR):
        return None
    here = find(None, {}, cwd)
    if here is None:
        return None
    named = Path(environ[CONFIG_ENV_VAR])
    try:
        same = here.samefile(named)
    except OSError:  # the named file is missing: load() says so
        same = here.resolve() == named.resolve()
    return None if same else here


def default_log_url() -> str:
    """Without a mailer.toml, the one delivery log of this user: in their data folder
    (``~/.local/share/press-mailer`` on Linux, through platformdirs), whatever folder mailer runs in."""
    return f"sqlite:///{platformdirs.user_data_path(APP_NAME, appauthor=False) / 'mailer.db'}"


def load(path: Path | str | None) -> Config:
    """Read and validate a config file (a path, as text or Path); None gives the built-in defaults,
    with the log in the user's data folder. Raises ConfigError naming the file and key at fault."""
    if path is None:
        return Config(database=DatabaseConfig(url=default_log_url()))
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            f"{path}: is a folder, not a configuration file.", hint=f"Pass the file itself, such as {path / CONFIG_FILE_NAME}."
        )
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such configuration file.",
            hint="Copy config.example.toml to mailer.toml and edit it, or pass --config FILE.",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).", hint="Check the file's permissions.") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: saved as UTF-16, not UTF-8.", hint="Save it again as UTF-8 (any text editor can).")
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} line {line}: not UTF-8 text (byte {exc.start + 1}).",
            hint="Save the file as UTF-8 (any text editor can), then check accented names in it.",
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        _refuse_pasted_key_line(path, text)  # the hint would write the line back, key and all
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint=_toml_hint(exc, text)) from exc
    if any(_KEY_LIKE.search(name) for name in _names(data)):  # "SG...." = true: "unknown key" would name it
        _refuse_pasted_key_line(path, text)
    _refuse_pasted_key(path, data)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        # Not chained: pydantic's text quotes every value it refused (input_value='SG....'), and a
        # script that does not catch the error prints the chain: an API key pasted into the file
        # would be on the screen and in the script's log (newcomer 16py). describe() says it all.
        raise ConfigError(describe(path, exc, Config), hint="See config.example.toml for every key.") from None
    named = isinstance(data.get("database"), dict) and "url" in data["database"]
    return _resolve_paths(config, path.parent).model_copy(update={"source": path, "log_named": named})


# What a SendGrid API key looks like: SG.<id>.<secret> (22 and 43 letters, digits, - and _; shorter
# ones counted too, a key cut short is a key), not inside a word or an address: "SG.GOV.SG" of a
# ministry's address in capitals, a team "SG.Berlin.Team" were refused as keys (review 25k #6).
_KEY_LIKE = re.compile(r"(?<![\w.@-])SG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def _refuse_pasted_key(path: Path, data: Mapping[str, Any], where: str = "") -> None:
    """A ConfigError, never quoting it, for a value of mailer.toml that holds what looks like an API
    key: the key goes in the environment, never in a file (promise 5). Pasted into a wrong line, it was
    quoted back in the error ('api_url ... (got "SG....")', on the terminal and in --json logs), and as
    a category it was accepted and sent to SendGrid, which keeps categories for good, and written in
    every dry run's requests (review 24k #9)."""
    for key, value in data.items():
        dotted = f"{where}.{key}" if where else str(key)
        if isinstance(value, Mapping):
            _refuse_pasted_key(path, value, dotted)
        elif str(key).endswith("_env"):  # api_key_env says it of the key pasted there, in its own words
            continue
        elif any(isinstance(item, str) and _KEY_LIKE.search(item) for item in (value if isinstance(value, list) else [value])):
            raise ConfigError(
                f'{path}: key "{dotted}" holds what looks like a SendGrid API key (it is not shown here): the key never goes in a file.',
                hint=_PASTED_KEY_HINT,
            )


_PASTED_KEY_HINT = (
    'Delete it from mailer.toml (and make a new key in SendGrid if the file was shared), then set it with: export SENDGRID_API_KEY="SG...."'
)


def _names(data: Mapping[str, Any]) -> Iterator[str]:
    """Every key's name in a TOML document, those of its tables' keys too."""
    for key, value in data.items():
        yield str(key)
        if isinstance(value, Mapping):
            yield from _names(value)


def _refuse_pasted_key_line(path: Path, text: str) -> None:
    """A ConfigError naming the line of a file that is not valid TOML where a key is pasted: written
    unquoted (api_key = SG...., or the shell's SENDGRID_API_KEY=SG....), the hint for the mistake
    wrote the line back with quotes, the key in full on the terminal and in --json logs (review 25k #1)."""
    for number, line in enumerate(text.splitlines(), 1):
        if _KEY_LIKE.search(line):
            raise ConfigError(
                f"{path}, line {number}: holds what looks like a SendGrid API key (it is not shown here): the key never goes in a file.",
                hint=_PASTED_KEY_HINT,
            )


def _toml_hint(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """What to change on the line at fault, named by its key: an unquoted value is the usual
    mistake (newcomer 11: `from_name = Press Office` said only "Invalid value"; nc11b: the hint
    then named from_name for any key, and said nothing after "Expected newline")."""
    where = re.search(r"\(at line (\d+), column \d+\)", str(exc))  # tomllib's own words (no lineno before 3.14)
    lines = text.splitlines()
    number = int(where.group(1)) if where else 0
    key, equals, value = (lines[number - 1] if 0 < number <= len(lines) else "").partition("=")
    if equals and ("Invalid value" in str(exc) or "Expected newline" in str(exc)):
        key, value = key.strip(), value.strip()
        return (
            f'Line {number}: the value of {key} is not valid. Text goes in double quotes ({key} = "{value}"); '
            "numbers and true/false go without. Compare with config.example.toml."
        )
    return "Compare with config.example.toml."


def _resolve_paths(config: Config, base: Path) -> Config:
    """Relative paths in the file are relative to the file, not to wherever mailer runs."""

    def resolve(value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()  # ~ is the home folder, as everywhere on the machine (review 8)
        return value if value.is_absolute() else base / value

    url = config.database.url
    if url.startswith("sqlite:///~"):  # a folder literally named "~" would be a new, empty log (review 8)
        url = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).expanduser())
    if url.startswith("sqlite:///") and not url.startswith(("sqlite:////", "sqlite:///file:")) and ":memory:" not in url:
        url = "sqlite:///" + str(base / url.removeprefix("sqlite:///"))
    compose = config.compose
    return config.model_copy(
        update={
            "lists": config.lists.model_copy(update={"staff": resolve(config.lists.staff)}),
            "database": config.database.model_copy(update={"url": url}),
            "compose": compose.model_copy(
                update={
                    "templates": resolve(compose.templates),
                    "preview_dir": resolve(compose.preview_dir),
                    "outbox_dir": resolve(compose.outbox_dir),
                }
            ),
        }
    )


def from_environment(explicit: Path | None = None) -> Config:
    """Find and load the configuration the way the command line does, with PGCONNECT_TIMEOUT
    from the environment as ``[database] connect_timeout`` when the file does not set that key
    (libpq's variable; its 20-second default overrode it, review 17y). Raises ConfigError."""
    path = find(explicit, os.environ, Path.cwd())
    try:
        return _with_environment_timeout(load(path), os.environ)
    except ConfigError as exc:
        if explicit is None and path is not None and os.environ.get(CONFIG_ENV_VAR) and not path.exists():
            # set in a profile and forgotten, the variable is a mystery (newcomer review 8)
            raise ConfigError(
                f"{exc.message.rstrip('.')} (named by the environment variable {CONFIG_ENV_VAR}).",
                hint=f"Unset {CONFIG_ENV_VAR} to use the mailer.toml of this folder, or point it at the right file.",
            ) from exc
        raise


PGCONNECT_TIMEOUT = "PGCONNECT_TIMEOUT"


def _with_environment_timeout(config: Config, environ: Mapping[str, str]) -> Config:
    """``config`` with ``[database] connect_timeout`` from PGCONNECT_TIMEOUT, if set and the file
    leaves the key out. libpq waits for ever on 0 or less, as the key's 0 does."""
    given = environ.get(PGCONNECT_TIMEOUT, "").strip()
    if not given or "connect_timeout" in config.database.model_fields_set or not _waits_as_libpq_says(config.database.url):
        return config
    try:
        seconds = int(given)
    except ValueError:
        raise ConfigError(
            f'The environment variable {PGCONNECT_TIMEOUT} is "{given[:40]}": it must be a whole number of seconds.',
            hint=f"Set it to the seconds to wait for the database server (0 waits for ever), or unset {PGCONNECT_TIMEOUT}.",
        ) from None
    database = config.database.model_copy(update={"connect_timeout": max(seconds, 0)})
    return config.model_copy(update={"database": database})


def _waits_as_libpq_says(url: str) -> bool:
    """Whether PGCONNECT_TIMEOUT bears on the log at ``url``: a PostgreSQL one whose URL gives no
    ?connect_timeout. Else a variable set for another program (30s, say) stopped every command of
    an office whose log is the SQLite file, `mailer lists check` and `preview` too (review 18x)."""
    if not url.startswith("postgresql"):
        return False
    return "connect_timeout" not in parse_qs(urlsplit(url).query)
