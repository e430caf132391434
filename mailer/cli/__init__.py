"""The ``mailer`` command: a thin layer of Click commands over the library.

Each command parses its options, calls one library function, prints, and exits. Commands
live in one module per area (lists, preview, send, events/reports); this module holds the
top-level group, the shared ``--config`` option and the error-to-exit-code mapping;
output.py is everything shown to a person. The only package that may import every stage;
nothing in the library imports it.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer import config as config_module
from mailer.cli import output
from mailer.config import Config
from mailer.errors import MailerError, StoreError

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class AppContext:
    """What every command may need: the configuration, loaded on first use."""

    config_path: Path | None
    _config: Config | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = config_module.from_environment(self.config_path)
        return self._config

    @property
    def engine(self) -> Engine:
        """The delivery log, opened on first use (so list commands never load SQLAlchemy).

        Says on standard error which configuration and log are in use, so a command run from
        another folder never silently writes to another log.
        """
        if self._engine is None:
            from mailer import store

            config = self.config
            where = f"config {config.source}" if config.source is not None else "no mailer.toml found: built-in settings"
            output.note(f"Log: {store.display_url(config.database.url)} ({where})")
            self._engine = store.connect(config.database.url)
        return self._engine


# Which module registers each top-level command. Modules are imported only when their
# command runs, so `mailer lists check` does not pay for SQLAlchemy, premailer and friends.
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
    "report": ("reports",),
    "forget": ("reports",),
}


class MailerGroup(click.Group):
    """Loads command modules on demand and turns a MailerError into a message and exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module in COMMAND_MODULES.get(cmd_name, ()):
            importlib.import_module(f"mailer.cli.{module}")
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            output.error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            output.err_console.print("Stopped.")
            ctx.exit(130)
        except Exception as exc:
            foreseen = _foreseen(exc, ctx.obj)
            if foreseen is None:
                raise
            output.error(foreseen)
            ctx.exit(foreseen.exit_code)


@click.group(cls=MailerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="mailer.toml to use (default: $MAILER_CONFIG, then mailer.toml in this folder or the nearest one above, then built-in settings).",
)
@click.version_option(package_name="press-mailer")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """press-mailer: send press releases to journalists through SendGrid.

    Check your lists, preview the release, test-send it to staff, send it, and read the
    opens and bounces afterwards. Every command has --help with an example.

    \b
    Example:
        mailer lists check lists/press.csv
    """
    ctx.obj = AppContext(config_path=config_path)


pass_app = click.make_pass_decorator(AppContext)


def _foreseen(exc: Exception, app: AppContext | None) -> MailerError | None:
    """A database or file failure that reached the command line, in plain words; None for a bug."""
    database_errors = sys.modules.get("sqlalchemy.exc")
    if database_errors is not None and isinstance(exc, database_errors.SQLAlchemyError):
        from mailer.store import failures

        url = app.config.database.url if app is not None and app._config is not None else "the delivery log"
        return StoreError(
            f"The delivery log {failures.display_url(url)} failed: {failures.reason(exc)}.",
            hint="Nothing more was written. Fix the cause (disk space, permissions, the database server), then run the command again.",
        )
    if isinstance(exc, OSError) and exc.filename:
        return MailerError(
            f"{exc.filename}: {exc.strerror or exc}.",
            hint="Check that the folder exists, that you may write there and that the disk has room.",
        )
    return None
