"""``mailer webhook`` and ``mailer events import``: SendGrid events into the delivery log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailer.cli import AppContext, main, output, pass_app
from mailer.counting import counted
from mailer.errors import MailerError

if TYPE_CHECKING:  # Starlette, uvicorn and the store load inside the commands
    from pydantic import SecretStr
    from starlette.applications import Starlette

    from mailer.config import Config


INSECURE_ENV_VAR = "MAILER_WEBHOOK_INSECURE"  # how `mailer webhook --insecure --workers N` tells its workers
# Per worker: with each request's body cut off after [webhook] body_timeout, slow senders can hold
# at most this many connections, and a flood is answered 503 instead of exhausting memory.
LIMIT_CONCURRENCY = 100
TIMEOUT_KEEP_ALIVE = 5


@main.command("webhook")
@click.option("--host", help="Address to listen on (default: [webhook] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default: [webhook] port, 8080).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Server processes sharing the database.")
@click.option(
    "--insecure",
    is_flag=True,
    help="Take unsigned events where others can reach the webhook: beyond this machine, or with public_url (not advised).",
)
@pass_app
def webhook_command(app: AppContext, host: str | None, port: int | None, workers: int, insecure: bool) -> None:
    """Receive SendGrid's event webhook: deliveries, opens, clicks, bounces, unsubscribes.

    Point SendGrid (Settings > Mail Settings > Event Webhook) at
    http(s)://YOUR-SERVER/sendgrid/events and turn on the Signed Event Webhook; put its
    public key in [webhook] verification_key. Without a key the server only listens on
    this machine (127.0.0.1) unless you pass --insecure. With [webhook] public_url set, it
    also answers journalists' one-click unsubscribe links at /unsubscribe/, and needs the
    key (the internet reaches it) unless you pass --insecure.

    \b
    Example:
        mailer webhook --port 8080                   # this machine only, until a key is set
        mailer webhook --host 0.0.0.0 --port 8080    # with [webhook] verification_key set
    """
    app.changes = "the webhook did not start, since SendGrid's events would be stored in the other file's delivery log, and suppress addresses there, not in this folder's."  # before the config is read (review 15s #5)
    import uvicorn

    from mailer.cli.webhook_protocol import HeadTimeout
    from mailer.events import webhook

    config = app.config
    host = host or config.webhook.host
    port = port or config.webhook.port
    public_url = config.webhook.public_url
    secret = _unsubscribe_secret(config)
    webhook.check_exposure(host, has_key=bool(config.webhook.verification_key), insecure=insecure, public_url=public_url)
    if insecure and not config.webhook.verification_key and public_url:
        output.warn(f"Taking events without signature checks although {public_url} reaches this webhook: anyone can post fake events.")
    elif insecure and not config.webhook.verification_key and not webhook.is_loopback(host):
        output.warn(f"Listening on {host} without signature checks: anyone who can reach it can post fake events.")
    _check_port(host, port)
    engine = app.engine
    from mailer import store

    store.may_write(engine)  # a read-only login would answer every batch 503 (newcomer 17 #4)
    webhook.tune_for_ingest(engine)
    # checks the key before listening
    application = webhook.create_app(config=config, engine=engine, unsubscribe_secret=secret, insecure=insecure)
    for line in _listening_lines(host, port, path=config.webhook.path, signed=bool(config.webhook.verification_key), public_url=public_url):
        output.say(line)
    if secret is not None:
        prefix = webhook.public_path(public_url)
        served = f"/unsubscribe/ and {prefix}/unsubscribe/" if prefix else "/unsubscribe/"
        output.say(f"One-click unsubscribe links: {config.webhook.public_url}/unsubscribe/... (served here at {served}).")
    output.say("Each request is logged here: time (UTC), status, size, time taken, and how many events were stored.")
    common = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "proxy_headers": True,
        "access_log": False,
        # Connections and requests a worker serves at once; more are answered 503 (SendGrid retries).
        "limit_concurrency": LIMIT_CONCURRENCY,
        # Seconds an idle kept-alive connection stays open (uvicorn's default, said here on purpose).
        "timeout_keep_alive": TIMEOUT_KEEP_ALIVE,
        # A request's head within [webhook] body_timeout too: idle connections held the 100 (review 23b #6).
        "http": HeadTimeout,
    }
    HeadTimeout.seconds = config.webhook.body_timeout
    if workers == 1:
        webhook.log_requests()
        uvicorn.run(application, **common)  # type: ignore[arg-type]
        return
    engine.dispose()
    if config.source is not None:
        from mailer.config_files import CONFIG_ENV_VAR

        os.environ[CONFIG_ENV_VAR] = str(config.source.resolve())
    os.environ[INSECURE_ENV_VAR] = "1" if insecure else "0"  # --insecure or not, for the workers' create_app
    uvicorn.run("mailer.cli.events:worker_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]


def _listening_lines(host: str, port: int, *, path: str, signed: bool, public_url: str | None) -> list[str]:
    """What `mailer webhook` says it listens on, and, with [webhook] public_url, the address to give SendGrid.

    0.0.0.0 or :: is not an address anyone can post to: it means every network interface of
    this machine, and is said so (newcomer 11: "http://0.0.0.0:8080/..." read as the URL for SendGrid).
    """
    checks = "signed requests only" if signed else "WITHOUT signature checks"
    if host.strip("[]") in ("0.0.0.0", "::", ""):
        where = f"on all interfaces of this machine, port {port}, path {path}"
    else:
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        where = f"at http://{shown}:{port}{path}"
    lines = [f"Receiving SendGrid events {where} ({checks}); Ctrl+C stops."]
    if public_url:
        lines.append(f"Give SendGrid's Event Webhook this address (through your proxy): {public_url}{path}")
    return lines


def _check_port(host: str, port: int) -> None:
    """Refuse, in words, an address this machine cannot listen on: a port another program holds
    (an earlier `mailer webhook`), a host name that is not this machine's (review 8: uvicorn's own
    "[Errno 98]" came after "Receiving SendGrid events at ...", and exit code 3)."""
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise MailerError(
            f"Cannot listen on {host}: {exc.strerror}.", hint="Give --host 127.0.0.1 (this machine) or 0.0.0.0 (every network)."
        ) from None
    family, kind, protocol, _, address = found[0]
    problem = _bind_problem(family, kind, protocol, address)
    if problem is None:
        return
    free = next(
        (p for p in range(port + 1, min(port + 50, 65536)) if _bind_problem(family, kind, protocol, (address[0], p, *address[2:])) is None),
        None,
    )
    raise MailerError(
        f"Port {port} on {host} is in use or not allowed ({problem.strerror}): another program, perhaps an earlier "
        "`mailer webhook`, listens there.",
        hint="Stop that program"
        + (
            f", or choose another port: mailer webhook --port {free} (free now)"
            if free is not None
            else ", or choose another port with --port"
        ),
    )


def _bind_problem(family: int, kind: int, protocol: int, address: tuple[Any, ...]) -> OSError | None:
    """Why this machine cannot listen on ``address`` now, as uvicorn would bind it; None when it can."""
    import socket

    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            return exc
    return None


def _unsubscribe_secret(config: Config) -> SecretStr | None:
    """The key of the one-click unsubscribe links this webhook answers: required when the emails
    carry them (public_url, and neither an unsubscribe group nor subscription tracking); otherwise
    used if set, for links in emails sent before the settings changed, and not asked for (nc11b:
    with subscription tracking on, the webhook demanded a secret nothing used)."""
    from mailer import unsubscribe

    if not config.webhook.public_url:
        return None
    if unsubscribe.mode(config) is unsubscribe.Mode.ONE_CLICK:
        return config.unsubscribe_secret(os.environ)
    return config.unsubscribe_secret(os.environ) if os.environ.get(config.webhook.unsubscribe_secret_env, "").strip() else None


def worker_app() -> Starlette:
    """The app each uvicorn worker process builds for itself (``--workers`` above 1)."""
    from mailer import config as config_module
    from mailer import store
    from mailer.events import webhook

    config = config_module.from_environment()
    from mailer.cli.webhook_protocol import HeadTimeout

    HeadTimeout.seconds = config.webhook.body_timeout  # this worker's connections (review 23b #6)
    engine = store.connect(config.database.url, connect_timeout=config.database.connect_timeout)
    webhook.tune_for_ingest(engine)
    webhook.log_requests()
    secret = _unsubscribe_secret(config)
    insecure = os.environ.get(INSECURE_ENV_VAR) == "1"
    return webhook.create_app(config=config, engine=engine, unsubscribe_secret=secret, close_connections=True, insecure=insecure)


@main.group("events")
def events_group() -> None:
    """Load SendGrid events from files, for offices without a public webhook.

    \b
    Example:
        mailer events import sendgrid-events.json
    """


@events_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@output.json_option
@pass_app
def import_command(app: AppContext, files: tuple[Path, ...], as_json: bool) -> None:
    """Add events from JSON files (a JSON array, or one event object per line).

    Every file is checked before anything is stored, so a file that cannot be read changes
    nothing; each file is then stored whole or not at all, in one transaction, read a few
    thousand events at a time (a million events take under 300 MB). Events that cannot be
    stored (broken JSON, wrong types) are kept in the quarantine and named by file and line;
    the good ones are added. An event whose type SendGrid does not send ("opened" for open) is
    kept but changes nothing, and a warning names such types. An event naming a message this
    log never sent (another client's folder's events, say) counts as no open or click here, and a
    warning says how many; its bounces and unsubscribes still suppress the address. Events
    already in the log are skipped, so importing a file twice is harmless. --json prints the
    counts as one JSON document.

    \b
    Example:
        mailer events import events-2026-02-19.json events-2026-02-20.ndjson
        mailer events import events-2026-02-19.json --json
    """
    app.changes = "nothing was imported, since the events would be stored in the other file's delivery log, and suppress addresses there, not in this folder's."  # before the config is read (review 15s #5)
    from mailer.events import imports, kinds

    if as_json:
        output.start_json()
    with output.progress("Importing events", total=None) as advance:
        imported = imports.import_files(app.engine, files, block_threshold=app.config.webhook.block_threshold, on_progress=advance)
    totals = imported.totals
    if totals.unknown_types:  # stored, but they change nothing (nc9 #12): say so before the counts
        output.warn(kinds.words(totals.unknown_types))
    if as_json:
        output.print_document(
            {
                "files": [str(path) for path in files],
                "received": totals.received,
                "added": totals.added,
                "duplicates": totals.duplicates,
                "unlinked": totals.unlinked,
                "foreign": totals.foreign,
                "suppressed": totals.suppressed,
                "quarantined": len(imported.quarantined),
                "quarantine": [{"where": item.where, "reason": item.reason} for item in imported.quarantined],
                "unknown_types": dict(sorted(totals.unknown_types.items())),
            }
        )
    added, duplicates, unlinked, suppressed = totals.added, totals.duplicates, totals.unlinked, totals.suppressed
    noun = "file" if len(files) == 1 else "files"
    output.say(f"Read {counted(totals.received, 'event')} from {len(files)} {noun}.")  # not "Read 1 events" (newcomer 21)
    output.say(f"Added {added}, skipped {duplicates} already in the log, {unlinked} could not be linked to a message.")
    if suppressed:
        output.say(f"{suppressed} address{'es are' if suppressed != 1 else ' is'} now suppressed (bounced, complained or unsubscribed).")
        from mailer.send import status

        for held in status.suppressed_while_held(
            app.engine, zone=app.config.reports.time_zone
        ):  # a scheduled send still mails them (newcomer 22 #3)
            output.warn(held)
    if unlinked:
        output.say(  # a keyless event is matched by address and time (events.apply._best_candidate; newcomer 20 #7)
            "Events that cannot be linked name no message of this log: an address it never mailed, an event dated before "
            "the email to its address was sent or more than a week after it (SendGrid's own events carry the message key "
            "press-mailer gave each email and are linked whenever they come), or a type SendGrid does not send. "
            "They are kept but not counted."
        )
    for example in totals.unlinked_examples:  # which ones (newcomer 24 #11)
        output.say(f"  not linked: {output.one_line(example)}")
    if unlinked > len(totals.unlinked_examples) and totals.unlinked_examples:
        output.say(f"  ... and {counted(unlinked - len(totals.unlinked_examples), 'more event')}.")
    if totals.foreign:
        output.warn(
            f"{counted(totals.foreign, 'event')} {'names' if totals.foreign == 1 else 'name'} a message this delivery log never "
            "sent (a message key it does not know): "
            "mail sent with another log, such as another client's folder. They are kept but count for nothing "
            "here (no opens, no clicks), but their bounces, unsubscribes and spam reports still suppress the address. Check "
            "that the file belongs to this folder's log; if not, import it from the right folder with --config, and lift "
            "a suppression it made by mistake with: mailer suppressions remove EMAIL"
        )
    if imported.repaired:
        output.say(
            f"{imported.repaired} {'entry' if imported.repaired == 1 else 'entries'} of the quarantine from "
            f"{'this file' if len(files) == 1 else 'these files'} {'was' if imported.repaired == 1 else 'were'} repaired: "
            "taken off the quarantine."
        )
    if imported.quarantined:
        count = len(imported.quarantined)
        output.say(f"Quarantined {count} {'event' if count == 1 else 'events'} that could not be read (the others were stored):")
        for item in imported.quarantined[:SHOWN]:
            output.say(f"  {item.where}: {item.reason}")
        if count > SHOWN:
            output.say(f"  ... and {count - SHOWN} more.")
        those = "those events" if any(", event " in item.where for item in imported.quarantined) else "those lines"
        output.say(
            f"Fix {those} in the file and import it again (events already stored are skipped), "
            "or see them all with: mailer events quarantine"
        )


SHOWN = 20


@events_group.command("quarantine")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="How many entries to show, newest first.")
@click.option("--raw", "show_raw", is_flag=True, help="Also print each entry's raw text (cut at 500 characters).")
@click.option("--clear", is_flag=True, help="Remove every entry, after asking (the files and the events in the log stay).")
@click.option("--yes", is_flag=True, help="With --clear: do not ask (needed when not run from a terminal).")
@pass_app
def quarantine_command(app: AppContext, limit: int, show_raw: bool, clear: bool, yes: bool) -> None:
    """List events that could not be read, newest first: where they came from and why.

    The webhook and `mailer events import` keep such events (broken JSON, wrong types,
    impossible timestamps) here, raw, instead of failing the whole batch. Importing a file
    again once its lines are fixed takes their entries off; --clear removes every entry.

    \b
    Example:
        mailer events quarantine --limit 10 --raw
        mailer events quarantine --clear
    """
    from mailer.store import quarantine

    if clear:
        _clear(app, yes=yes)
        return
    with app.engine.connect() as connection:
        total = quarantine.count(connection)
        entries = quarantine.latest(connection, limit)
    if not entries:
        output.say("The quarantine is empty: every event received could be read.")
        return
    output.say(f"{total} {'entry' if total == 1 else 'entries'} in the quarantine; the newest {len(entries)}:")
    for entry in entries:
        when = entry.received_at.strftime("%Y-%m-%d %H:%M UTC")
        output.say(f"{when}  {entry.source}  {entry.origin}: {entry.reason}")
        if show_raw:
            shown = output.one_line(entry.raw[:500])
            output.say(f"    {shown}{'...' if len(entry.raw) > 500 else ''}")


def _clear(app: AppContext, *, yes: bool) -> None:
    """``--clear``: empty the quarantine once the user said yes (fix 10: there was no way to)."""
    from mailer.cli import send as send_cli
    from mailer.store import quarantine

    with app.engine.connect() as connection:
        total = quarantine.count(connection)
    if not total:
        output.say("The quarantine is empty: there is nothing to remove.")
        return
    entries = f"{total} {'entry' if total == 1 else 'entries'}"
    if not yes and not send_cli.stdin_is_terminal():
        raise MailerError(
            "Not clearing the quarantine: there is no terminal to confirm on.",
            hint="Add --yes to remove every entry without the question: mailer events quarantine --clear --yes",
        )
    if not yes and not output.confirm(f"Remove the {entries} of the quarantine?"):
        output.say("Nothing was removed.")
        return
    with app.engine.begin() as connection:
        removed = quarantine.clear(connection)
    output.say(f"Removed {removed} {'entry' if removed == 1 else 'entries'} from the quarantine.")
