"""The ``mailer`` command: a thin layer of Click commands over the library.

Each command parses its options, calls one library function, prints, and exits. Commands
live in one module per area (lists, preview, send, events/reports); this module holds the
top-level group, the options every command takes (``--config``, ``-q/--quiet``,
``-v/--verbose``, before or after the command's name), "did you mean" for a misspelt
command, and the error-to-exit-code mapping; output.py is everything shown to a person. The
only package that may import every stage; nothing in the library imports it.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer.cli import output
from mailer.errors import MailerError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mailer.config import Config
    from mailer.store.upgrade import Progress


def _say_if_shadowed(here: Path | None, named: Path | None, *, sends: bool, changes: str | None = None) -> None:
    """Warn when $MAILER_CONFIG wins over the mailer.toml of the folder the command runs in
    (``here``), naming both files; stop a command that sends email, since it would go out with
    the other file's sender, and be logged and checked against the other file's log and
    suppressions (newcomer 14 #3), and one that changes the other file's log for good
    (``changes``: what it would have done there, "nothing was erased, since ..."): forget,
    suppressions add, remove and import, the webhook and events import (review 15s #5: forget
    erased and suppressed a journalist in another client's log, and left this folder's holding
    him). A ConfigError for that: mailer send --dry-run, reports and the rest go on, after the warning."""
    if here is None or named is None:
        return
    from mailer.errors import ConfigError

    if sends or changes:
        why = changes or "nothing was sent, since the email would go out with the sender, delivery log and suppressions of the other file."
        raise ConfigError(
            f"The environment variable MAILER_CONFIG names {named}, but this folder has its own mailer.toml, {here}: {why}",
            hint=f"Add --config {here} to use this folder's (or --config {named} to use the other on purpose), "
            "or unset MAILER_CONFIG (in a shell: unset MAILER_CONFIG).",
        )
    output.warn(
        f"Using {named}, named by the environment variable MAILER_CONFIG, not {here} of this folder: "
        f"sender, delivery log and suppressions are those of {named}. "
        f"To use this folder's, add --config {here}, or unset MAILER_CONFIG."
    )


@dataclass
class AppContext:
    """What every command may need: the configuration, loaded on first use, and how much to say.

    ``config_path`` and ``level`` are set by the options every command takes, wherever they
    appear on the command line (``mailer --config X send ...`` or ``mailer send ... --config X``).
    """

    config_path: Path | None = None
    level: int = output.NORMAL
    sends: bool = False  # the command sends email: a mailer.toml $MAILER_CONFIG overrides stops it (see config)
    # The command changes the log for good (forget, suppressions, events): what it would have done to
    # the other file's log, when $MAILER_CONFIG overrides this folder's mailer.toml; it stops too.
    changes: str | None = None
    _config: Config | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """mailer.toml as found (``--config``, ``$MAILER_CONFIG``, this folder or above), or built-in settings."""
        if self._config is None:
            from mailer import config as config_module  # pydantic and email-validator: not for --help

            loaded = config_module.from_environment(self.config_path)
            _say_if_shadowed(
                config_module.shadowed(self.config_path, os.environ, Path.cwd()), loaded.source, sends=self.sends, changes=self.changes
            )
            self._config = loaded
            source = self._config.source
            output.detail(f"Config: {source}" if source is not None else "Config: no mailer.toml found, built-in settings")
        return self._config

    @property
    def office(self) -> Path | None:
        """The office folder: the one mailer.toml is in (None without one)."""
        from mailer.config_files import office_of

        return office_of(self.config.source)

    def never_over(self, path: Path, *, reads: Sequence[Path] = (), suffixes: Sequence[str] = (), logged_lists: bool = False) -> None:
        """Refuse to write ``path`` over mailer's own input (review 8: `show -o releases/example.md`
        replaced the release, `report -o lists/staff.csv` the staff list; 8b: `lists clean -o` the
        delivery log): mailer.toml, the staff list it names, the SQLite log and its -wal and -shm
        files, a file this command reads (``reads``), with ``logged_lists`` (commands that open the
        log anyway) every press list a campaign in the log was sent from (newcomer 12 #7), or, with
        ``suffixes``, an existing file whose name ends otherwise. MailerError (exit 1), before
        anything is written."""
        target = path.resolve()
        config = self.config
        mine = {
            **({config.source.resolve(): "mailer.toml"} if config.source is not None else {}),
            **({config.lists.staff.resolve(): "the staff list ([lists] staff in mailer.toml)"} if config.lists.staff else {}),
            **{read.resolve(): "a file this command reads" for read in reads},
        }
        if logged_lists and target.is_file():
            mine.update(dict.fromkeys(self.logged_lists(), "a press list campaigns in the log were sent from"))
        url = config.database.url
        if url.startswith("sqlite:///") and ":memory:" not in url:
            log = Path(url.removeprefix("sqlite:///").split("?")[0].removeprefix("file:")).resolve()
            mine.update({Path(f"{log}{end}"): "the delivery log" for end in ("", "-wal", "-shm", "-journal")})
        if target in mine:
            raise MailerError(f"{path} is {mine[target]}: mailer will not write over it.", hint="Give -o another file name.")
        if suffixes and target.is_file() and target.suffix.lower() not in suffixes:
            raise MailerError(
                f"{path} exists and is not a {' or '.join(suffixes)} file: mailer will not write over it.",
                hint=f"Give -o a new file name ending in {suffixes[0]}.",
            )

    def logged_lists(self) -> list[Path]:
        """The press lists the log names, resolved, each once, oldest first. A send logs a list
        typed in another folder than the office's (or with "..") by its whole path, so the name
        means the same file from any folder (cli.send.logged_paths, review 12b #11); a relative
        name (typed in the office folder, or with no mailer.toml) is taken from the office folder
        and from the current one."""
        from mailer.store import campaigns

        office = self.office or Path.cwd()
        with self.engine.connect() as connection:
            names = campaigns.list_names(connection)
        return list(dict.fromkeys((base / name).resolve() for name in names for base in (office, Path.cwd())))

    def list_delimiter(self, chosen: str | None, campaign_id: str | None = None) -> str:
        """The delimiter of a CSV written for the office: ``chosen`` (--delimiter: comma, semicolon,
        tab), else the one the press lists of ``campaign_id`` share (None: of the newest live
        campaign) as the log records it, or as the files still say for a campaign logged before
        the log kept it; else comma. A semicolon office's reports then open in columns in
        European Excel, as its cleaned lists do (newcomer 12 #6)."""
        from mailer.cli.lists import DELIMITER_CHOICES

        if chosen is not None:
            return DELIMITER_CHOICES[chosen]
        from mailer.contacts.listfile import delimiter_of
        from mailer.models import Mode
        from mailer.store import campaigns

        with self.engine.connect() as connection:
            found = campaigns.get(connection, campaign_id) if campaign_id is not None else campaigns.newest(connection, mode=Mode.LIVE)
        if found is None:
            return ","
        if campaigns.DELIMITER in found.filters:
            return found.delimiter or ","
        office = self.office_folder()
        told = set()
        for name in found.lists:
            path = next((base / name for base in (office, Path.cwd()) if (base / name).is_file()), None)
            delimiter = delimiter_of(path) if path is not None else None
            if delimiter is not None:
                told.add(delimiter)
        return told.pop() if len(told) == 1 else ","

    def office_folder(self) -> Path:
        """The office folder: that of the mailer.toml in use, or the current one without one."""
        return self.config.source.parent if self.config.source is not None else Path.cwd()

    def campaign_id(self, typed: str, *, live_only: bool = False, with_cancelled: bool = False, this_folder: bool = False) -> str:
        """The campaign a CAMPAIGN argument names: an id as typed, or ``latest`` / ``latest~N``.

        ``latest`` is the most recently created campaign in the log (live, test or dry run; with
        ``live_only``, for reports and follow-ups, the most recent live send that was not cancelled:
        one that went out, or is scheduled to; fix 13n #3; with ``with_cancelled`` too, for a cancel, a cancelled
        one: `mailer cancel latest` run twice says it is already cancelled, review 22b #4), ``latest~1`` the one
        before it, and so on; which id that is goes to standard error. With ``this_folder`` (a
        follow-up), only sends of releases inside this office folder count: on a team's shared log
        the newest live send may be a colleague's, to other journalists (newcomer 26 #2). Raises
        MailerError when the log holds no campaign that far back or the word is malformed.
        """
        if not typed.strip().lower().startswith("latest"):
            return typed
        match = LATEST.fullmatch(typed.strip().lower())
        if match is None:
            raise MailerError(
                f'"{typed}" is not a campaign id.',
                hint="Give an id from `mailer campaigns`, latest (the newest campaign) or latest~N "
                "(N campaigns before it: latest~1 is the one before the latest).",
            )
        skip = 0 if match.group(1) is None else int(match.group(1) or 1)  # latest~ is latest~1, as in git
        from zoneinfo import ZoneInfo

        from mailer.models import CampaignStatus, Mode
        from mailer.send.schedule import describe
        from mailer.store import campaigns

        mode = Mode.LIVE if live_only else None
        kind = "live send" if live_only else "campaign"
        folder = str(self.office_folder().resolve()) if this_folder else None
        with self.engine.connect() as connection:
            counted = not live_only or with_cancelled
            found = campaigns.newest(connection, skip=skip, mode=mode, cancelled=counted, under=folder)
            total = campaigns.count(connection, mode=mode, cancelled=counted, under=folder) if found is None else 0
            cancelled = campaigns.count(connection, mode=mode, under=folder) - total if found is None and not counted else 0
            elsewhere = campaigns.newest(connection, mode=mode, cancelled=counted) if found is None and folder is not None else None
            passed_over = (
                campaigns.newer_outside(connection, found, mode=mode, cancelled=counted, under=folder)
                if found is not None and folder is not None
                else []
            )
        # A newer send of a release outside this folder that is on this computer but in no other office
        # folder (a release on the shared drive, reached through a link; one given by a path outside):
        # this office's as likely as not, and following up the older one mails the wrong journalists
        # (review 26x #3). Asked, not guessed. A colleague's (in their office folder, or on their
        # computer only) is passed over, as newcomer 26 #2 wants.
        maybe_ours = next((other for other in passed_over if _outside_any_office(other.release_path)), None)
        if found is not None and maybe_ours is not None:
            raise MailerError(
                f'"{typed}" is not sure: the newest live send of a release in this office folder is {found.id} '
                f'("{found.subject}"), but a newer one, {maybe_ours.id} ("{maybe_ours.subject}"), was made from '
                f"{maybe_ours.release_path}, outside it (a linked folder, or a release given by its path).",
                hint=f"Name the send to follow up by its id: --follow-up {maybe_ours.id} or --follow-up {found.id} "
                "(mailer campaigns lists them).",
            )
        if found is None and total == 0 and elsewhere is not None and folder is not None:
            raise MailerError(
                f'No live send was made from this office folder ({folder}), so "{typed}" names none here. '
                f"The delivery log holds other folders' live sends (a colleague's, on a shared log): the newest is {elsewhere.id} "
                f'("{elsewhere.subject}", from {elsewhere.release_path}).',
                hint=f"To follow up a send made elsewhere, name it by its id: --follow-up {elsewhere.id} (mailer campaigns lists them).",
            )
        if found is None and total == 0:
            raise MailerError(
                f'The delivery log holds no {kind}s yet{" (only cancelled ones)" if cancelled else ""}, so "{typed}" names none.',
                hint="Live sends are made by mailer send without --dry-run."
                if live_only
                else "Campaigns are made by mailer send (--dry-run too) and mailer test.",
            )
        if found is None:
            oldest = "latest" if total == 1 else f"latest~{total - 1}"
            raise MailerError(
                f'"{typed}" goes back further than the delivery log: it holds {total} {kind}{"s" if total != 1 else ""}'
                f"{' (not counting cancelled ones)' if cancelled else ''}, so the oldest is {oldest}.",
                hint="`mailer campaigns --limit 0` lists them all.",
            )
        state = ", cancelled" if found.status is CampaignStatus.CANCELLED else ""
        whose = ", the newest made from this office folder" if folder is not None else ""
        zone = self.config.reports.time_zone  # on the office's clock, as `mailer campaigns` says it (no brackets in brackets)
        made = f"{found.created_at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}" if zone else describe(found.created_at)
        output.note(f"{typed} is {found.id} ({found.mode.value}{state}, created {made}{whose}).")
        return found.id

    @property
    def engine(self) -> Engine:
        """The delivery log, opened on first use (so list commands never load SQLAlchemy).

        Says on standard error which configuration and log are in use, so a command run from
        another folder never silently writes to another log.
        """
        if self._engine is None:
            from mailer import store
            from mailer.store import earlier

            config = self.config
            where = f"config {config.source}" if config.source is not None else "no mailer.toml found: built-in settings"
            output.note(f"Log: {store.display_url(config.database.url)} ({where})")
            earlier.check(config)
            # A log another program holds makes the open wait (up to minutes): say so, once, after
            # a moment, instead of a silence (review 8).
            waiting = threading.Timer(2.0, lambda: output.note(_waiting_words(config.database.url)))
            waiting.daemon = True
            waiting.start()
            try:
                self._engine = store.connect(
                    config.database.url, progress=_upgrading(config.database.url, waiting), connect_timeout=config.database.connect_timeout
                )
            finally:
                waiting.cancel()
            from mailer.store import clock

            off = clock.describe_skew(clock.skew(self._engine))  # a team's log: this computer's clock far from its server's
            if off is not None:
                output.warn(off)
        return self._engine


def _outside_any_office(release_path: str) -> bool:
    """Whether the release at ``release_path`` is on this computer and in no office folder (none
    of the folders above it holds a mailer.toml): a release on a shared drive, say."""
    path = Path(release_path)
    try:
        return path.is_file() and not any((folder / "mailer.toml").is_file() for folder in path.parents)
    except OSError:  # a path this computer cannot look at: not this office's to guess about
        return False


def _waiting_words(url: str) -> str:
    """What a log slow to open waits for: a program holding an SQLite file, or a PostgreSQL server
    yet to answer (newcomer 17 #11: "another program is using it" while a server behind a dropped
    VPN never answered)."""
    from sqlalchemy.engine import make_url

    parsed = None
    if url.startswith("postgresql"):
        with contextlib.suppress(Exception):  # a malformed URL: opening it says so
            parsed = make_url(url)
    if parsed is not None:
        from mailer.store.failures import server_of

        host, port = server_of(parsed)
        return f"Waiting for the database server at {host}:{port} to answer (Ctrl+C stops)..."
    return "Waiting for the delivery log: another program is using it (Ctrl+C stops)..."


def _upgrading(url: str, waiting: threading.Timer) -> Progress:
    """The progress of upgrading the log at ``url`` for this version (store.upgrade): said once with
    which log, then a bar on a terminal, instead of minutes of silence on a large log (fix 16). The
    log is ours by then, so the note on waiting for another program is not due."""
    from mailer import store

    @contextmanager
    def upgrading(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        waiting.cancel()
        output.note(
            f"Upgrading the delivery log {store.display_url(url)} for this version of press-mailer (once; a large log takes a while)."
        )
        with output.progress(description, total) as advance:
            yield advance

    return upgrading


LATEST = re.compile(r"latest(?:~(\d*))?")  # latest, latest~1, latest~ (= latest~1)


class CampaignArgument(click.Argument):
    """A command's CAMPAIGN argument: left out, the error says where ids come from and that latest
    names the newest (newcomer 18: `mailer status` alone gave only "Missing argument 'CAMPAIGN'.")."""

    def process_value(self, ctx: click.Context, value: Any) -> Any:
        try:
            return super().process_value(ctx, value)
        except click.MissingParameter as missing:
            raise click.MissingParameter(
                message="Name the campaign by its id, as `mailer campaigns` lists them; latest names the newest "
                "(`mailer status latest` says which it is).",
                ctx=ctx,
                param=self,
            ) from missing


# Which module registers each top-level command. Modules are imported only when their
# command runs (or --help lists them), and import at their top only Click and the light
# modules (models, errors, schedule): the libraries a command uses load inside it, so
# `mailer lists check` does not pay for SQLAlchemy, premailer and friends
# (tests/test_startup.py holds every command to that).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "lists": ("lists", "suppressions"),  # `lists prune` lives with the suppressions
    "preview": ("preview",),
    "send": ("send",),
    "test": ("send",),
    "resume": ("send",),
    "cancel": ("campaigns",),
    "campaigns": ("campaigns",),
    "contact": ("contact",),
    "status": ("campaigns",),
    "show": ("show",),
    "webhook": ("events",),
    "events": ("events",),
    "suppressions": ("suppressions",),
    "carry-over": ("suppressions",),
    "report": ("reports",),
    "forget": ("reports",),
}


def _app(ctx: click.Context) -> AppContext:
    return ctx.ensure_object(AppContext)


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    app = _app(ctx)
    if app.config_path is not None and app.config_path != value:
        raise click.UsageError(f"--config is given twice, as {app.config_path} and as {value}: give it once.", ctx=ctx)
    app.config_path = value


def _set_level(level: int) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        app = _app(ctx)
        if app.level not in (output.NORMAL, level):
            raise click.UsageError("-q/--quiet and -v/--verbose cannot be used together: choose one.", ctx=ctx)
        app.level = level
        output.set_level(level)

    return callback


def _common_params() -> list[click.Parameter]:
    """--config, -q/--quiet and -v/--verbose: on the top-level group and on every command and
    group, so they may come before or after a command's name."""
    return [
        click.Option(
            ["--config"],
            type=click.Path(path_type=Path),
            expose_value=False,
            callback=_set_config,
            help="mailer.toml to use (default: $MAILER_CONFIG, then mailer.toml in this folder or the nearest one above, "
            "then built-in settings).",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_set_level(output.QUIET),
            help="Print only errors, warnings and the output asked for (no notes, hints or progress bars).",
        ),
        click.Option(
            ["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_set_level(output.VERBOSE),
            help="Say more: which config and log are in use, and how long the command took.",
        ),
    ]


class MailerCommand(click.Command):
    """A command that also takes --config, -q/--quiet and -v/--verbose."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_common_params())

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Words left over (a time not in quotes, a list without --list) are said in plain words with
        the line to type, not as Click's "Got unexpected extra arguments (...)" (newcomer 28 #1)."""
        raw, allowed = list(args), ctx.allow_extra_args
        ctx.allow_extra_args = True
        try:
            rest = super().parse_args(ctx, args)
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed and not ctx.resilient_parsing:
            from mailer.cli.usage import extra_words

            ctx.fail(extra_words(self, ctx, raw, rest))
        return rest


class MailerGroup(click.Group):
    """A command group whose commands take the common options, and which suggests a close name for a misspelt one."""

    command_class = MailerCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_common_params())

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=2, cutoff=0.6)
            suggestion = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{suggestion}")
        return super().resolve_command(ctx, args)


MailerGroup.group_class = MailerGroup


class MainGroup(MailerGroup):
    """The ``mailer`` group: loads command modules on demand and turns a MailerError into a message and exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module in COMMAND_MODULES.get(cmd_name, ()):
            importlib.import_module(f"mailer.cli.{module}")
        return super().get_command(ctx, cmd_name)

    _whole_process = False  # main() runs for the process's own command line, which ends with it

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGUMENTS] = list(args)  # the command line as given, for ``_check_text`` in ``invoke``
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        output.start()  # each run starts at the default level, with consoles of its own
        # The command line itself (no arguments given, as the `mailer` command and `python -m
        # mailer` call it; tests pass theirs), in standalone mode: the process ends after this.
        given = args[0] if args else kwargs.get("args")
        standalone = args[3] if len(args) > 3 else kwargs.get("standalone_mode", True)
        self._whole_process = given is None and bool(standalone)
        if self._whole_process:
            _collect_less_often()
            from mailer import stopping

            stopping.hear_sigterm()  # `kill PID` says what Ctrl-C says (__main__ has done so for `python -m mailer`)
        try:
            return super().main(*args, **kwargs)
        finally:
            if self._whole_process:
                _before_exit()

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        """Reading the command line: Ctrl-C here said "Aborted!" (Click's word) and exit 1, not what it says a moment later."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt as stopped:
            from mailer import stopping

            output.err_console.print("Stopped.")
            raise click.exceptions.Exit(stopping.exit_code(stopped)) from None

    def invoke(self, ctx: click.Context) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            _check_text(ctx.meta.get(_ARGUMENTS, []))
            return super().invoke(ctx)
        except MailerError as exc:
            output.error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt as stopped:  # Ctrl-C, or `kill PID` (stopping.Terminated): exit 130 or 143
            from mailer import stopping

            output.err_console.print("Stopped.")
            output.stopped_document(stopping.exit_code(stopped))  # a --json run still prints one document (review 8)
            ctx.exit(stopping.exit_code(stopped))
        except Exception as exc:
            foreseen = _foreseen(exc, ctx.obj)
            if foreseen is None:
                raise
            output.error(foreseen)
            ctx.exit(foreseen.exit_code)
        finally:
            output.detail(f"Took {time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU).")
            app = ctx.obj
            if isinstance(app, AppContext) and app._engine is not None:
                # The log's connections closed now, not whenever a garbage collection finds the engine: a
                # program that runs commands through main() (CliRunner, a script) kept every command's
                # SQLite files or PostgreSQL socket open until then, past 1,024 descriptors (fdleak28).
                app._engine.dispose()


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="press-mailer")
@click.pass_context
def main(ctx: click.Context) -> None:
    """press-mailer: send press releases to journalists through SendGrid.

    Check your lists, preview the release, test-send it to staff, send it, and read the
    opens and bounces afterwards. Every command has --help with an example. --config,
    -q/--quiet and -v/--verbose work before or after any command's name.

    \b
    Example:
        mailer lists check lists/press.csv
    """
    _app(ctx)


pass_app = click.make_pass_decorator(AppContext)


# New container objects (lists, dicts, ...) Python's cyclic garbage collector lets gather before it
# looks for cycles among them: Python's default is 700. A send of 100,000 journalists ran about 840
# such collections, with 75 of the middle generation and 6 over every object alive, together about
# a tenth of its CPU; at 10,000, about 20 and none over everything (benchmarks/live_send.py, issue 12).
# Most of what a command makes is freed by reference counting anyway; cycles are still collected.
YOUNG_OBJECTS_BEFORE_COLLECTING = 10_000


def _collect_less_often() -> None:
    """For a process that runs one command and ends (``main`` for its own command line): Python's
    garbage collector runs after ``YOUNG_OBJECTS_BEFORE_COLLECTING`` new objects instead of 700.
    A program that calls ``main`` itself keeps its own settings."""
    import gc

    _young, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, *older)


def _before_exit() -> None:
    """The process ends next: spare it tracing and freeing every object one last time.

    Python's exit runs garbage collections over every object of SQLAlchemy, Arrow, pydantic and
    the rest (about 0.1 s of CPU); ``gc.freeze`` takes the objects alive now out of them, and the
    operating system frees the memory. What must happen at exit still does: the delivery log's
    connections are closed (``invoke``), output is flushed, ``atexit`` handlers and
    ``weakref.finalize`` callbacks (temporary folders) run.
    """
    import gc

    gc.freeze()


_ARGUMENTS = "mailer.arguments"


def _check_text(arguments: list[str]) -> None:
    """Refuse an argument holding a byte that is not UTF-8 (Python hands it over as a lone
    surrogate, which the log's driver and the terminal refuse with a traceback; review 8), unless it
    names a file that exists: a list or release whose name came from an old zip is read as it is."""
    for argument in arguments:
        value = argument.partition("=")[2] if argument.startswith("--") and "=" in argument else argument
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            if os.path.lexists(value):
                continue
            from mailer.contacts.listfile import display_name  # how a list's name not in UTF-8 is shown too

            shown = display_name(argument)
            raise MailerError(
                f'"{shown}" holds a byte that is not UTF-8 text (shown as \\xNN), so mailer cannot use it.',
                hint="Type it again (a campaign id from `mailer campaigns`, an address, a value), or rename the file it names.",
            ) from None


def _foreseen(exc: Exception, app: AppContext | None) -> MailerError | None:
    """A database or file failure that reached the command line, in plain words; None for a bug."""
    database_errors = sys.modules.get("sqlalchemy.exc")
    if database_errors is not None and isinstance(exc, database_errors.SQLAlchemyError):
        from mailer.store import failures

        return failures.failed(exc, app.config.database.url if app is not None and app._config is not None else None)
    if isinstance(exc, OSError) and exc.filename:
        return MailerError(
            f"{exc.filename}: {exc.strerror or exc}.",
            hint="Check that the folder exists, that you may write there and that the disk has room.",
        )
    return None
