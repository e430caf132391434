"""``mailer webhook`` and ``mailer events import``: SendGrid events into the delivery log."""

from __future__ import annotations

import os
from pathlib import Path

import click
from starlette.applications import Starlette

from mailer import config as config_module
from mailer import store
from mailer.cli import AppContext, main, output, pass_app
from mailer.events import imports, webhook


@main.command("webhook")
@click.option("--host", help="Address to listen on (default: [webhook] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default: [webhook] port, 8080).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Server processes sharing the database.")
@click.option("--insecure", is_flag=True, help="Listen beyond this machine without a verification key (not advised).")
@pass_app
def webhook_command(app: AppContext, host: str | None, port: int | None, workers: int, insecure: bool) -> None:
    """Receive SendGrid's event webhook: deliveries, opens, clicks, bounces, unsubscribes.

    Point SendGrid (Settings > Mail Settings > Event Webhook) at
    http(s)://YOUR-SERVER/sendgrid/events and turn on the Signed Event Webhook; put its
    public key in [webhook] verification_key. Without a key the server only listens on
    this machine (127.0.0.1) unless you pass --insecure. With [webhook] public_url set, it
    also answers journalists' one-click unsubscribe links at /unsubscribe/.

    \b
    Example:
        mailer webhook --host 0.0.0.0 --port 8080
    """
    import uvicorn

    config = app.config
    host = host or config.webhook.host
    port = port or config.webhook.port
    webhook.check_exposure(host, has_key=bool(config.webhook.verification_key), insecure=insecure)
    if insecure and not config.webhook.verification_key and not webhook.is_loopback(host):
        output.warn(f"Listening on {host} without signature checks: anyone who can reach it can post fake events.")
    engine = app.engine
    webhook.tune_for_ingest(engine)
    secret = config.unsubscribe_secret(os.environ) if config.webhook.public_url else None
    application = webhook.create_app(config=config, engine=engine, unsubscribe_secret=secret)  # checks the key before listening
    signed = "signed requests only" if config.webhook.verification_key else "WITHOUT signature checks"
    output.say(f"Receiving SendGrid events at http://{host}:{port}{config.webhook.path} ({signed}); Ctrl+C stops.")
    if secret is not None:
        output.say(f"One-click unsubscribe links: {config.webhook.public_url}/unsubscribe/... (served here at /unsubscribe/).")
    common = {"host": host, "port": port, "log_level": "warning", "proxy_headers": True, "access_log": False}
    if workers == 1:
        uvicorn.run(application, **common)  # type: ignore[arg-type]
        return
    engine.dispose()
    if config.source is not None:
        os.environ[config_module.CONFIG_ENV_VAR] = str(config.source.resolve())
    uvicorn.run("mailer.cli.events:worker_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]


def worker_app() -> Starlette:
    """The app each uvicorn worker process builds for itself (``--workers`` above 1)."""
    config = config_module.from_environment()
    engine = store.connect(config.database.url)
    webhook.tune_for_ingest(engine)
    secret = config.unsubscribe_secret(os.environ) if config.webhook.public_url else None
    return webhook.create_app(config=config, engine=engine, unsubscribe_secret=secret)


@main.group("events")
def events_group() -> None:
    """Load SendGrid events from files, for offices without a public webhook.

    \b
    Example:
        mailer events import sendgrid-events.json
    """


@events_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def import_command(app: AppContext, files: tuple[Path, ...]) -> None:
    """Add events from JSON files (a JSON array, or one event object per line).

    Every file is read before anything is stored, so a broken file changes nothing.
    Events already in the log are skipped, so importing a file twice is harmless.

    \b
    Example:
        mailer events import events-2026-02-19.json events-2026-02-20.ndjson
    """
    with output.progress("Importing events", total=None) as advance:
        totals = imports.import_files(app.engine, files, block_threshold=app.config.webhook.block_threshold, on_progress=advance)
    added, duplicates, unlinked, suppressed = totals.added, totals.duplicates, totals.unlinked, totals.suppressed
    noun = "file" if len(files) == 1 else "files"
    output.say(f"Read {totals.received} events from {len(files)} {noun}.")
    output.say(f"Added {added}, skipped {duplicates} already in the log, {unlinked} could not be linked to a message.")
    if suppressed:
        output.say(f"{suppressed} addresses are now suppressed (bounced, complained or unsubscribed).")
    if unlinked:
        output.say("Events that cannot be linked are about addresses this log never mailed; they are kept but not counted.")
