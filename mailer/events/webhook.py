"""The event webhook: a Starlette app SendGrid posts its event batches to.

Order matters: cap the body, verify the signature over the raw bytes, then parse and apply in
one transaction. Answers are quick and precise, because SendGrid retries any non-2xx for 24
hours (SENDGRID.md §2.1): 413 body too large, 408 body slower than [webhook] body_timeout, 403
bad or missing signature, 503 when the delivery log is busy or down (a retry will succeed), 200
with counts otherwise (and, for events of a type SendGrid does not send, which are stored but
change nothing, those types and a warning in the log: events/kinds.py). Without a verification
key, what a browser page could send is refused before the body is read (403, 421, 415:
``_unsigned_refusal``), and with [webhook] public_url set nothing is taken at all (403).

Never 400 or 500 for what a body holds (issue 11): an event that cannot be read is kept in the
quarantine with the reason and the rest of the batch is stored; a body that is not JSON events
at all (not UTF-8, not JSON, nested too deeply, not a list) is quarantined whole and answered
200 too. A 400 would only make SendGrid send the same bytes again for 24 hours, and they would
never parse; the answer's "quarantined" count and the log's warning say what was set aside. Runs under several uvicorn
workers on one database; behind a reverse proxy, point SendGrid at the proxy's public URL.
In one-click mode the same app serves journalists' unsubscribe links (oneclick.py).
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

try:
    import fcntl
except ImportError:  # Windows: SQLite's own locking only
    fcntl = None  # type: ignore[assignment]
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mailer import events, unsubscribe
from mailer.config import Config
from mailer.errors import ConfigError, SignatureError, StoreError
from mailer.events import kinds, oneclick, signature
from mailer.events.apply import Staged, stage, store_staged
from mailer.store import clock as log_clock
from mailer.store import failures
from mailer.store.failures import in_words
from mailer.store.messages import MessageLink
from mailer.store.upgrade import refuse_newer

__all__ = ["check_exposure", "create_app", "is_loopback", "log_requests", "public_path", "tune_for_ingest"]

events_log = logging.getLogger("mailer.events")  # the parent of this module's loggers and oneclick's (log_requests)
log = logging.getLogger("mailer.events.webhook")
WAL_PAGES = 50_000  # SQLite pages (4 KB) the WAL holds before a checkpoint: about 200 MB (tune_for_ingest)
SWITCH_INTERVAL = 0.001  # seconds a thread may keep the GIL while another waits for it (tune_for_ingest)
LINKS_REMEMBERED = 200_000  # messages a worker remembers between batches (about 40 MB)
# One line per request (``log_requests``): status, size, time taken and counts, never addresses.
request_log = logging.getLogger("mailer.events.webhook.requests")


class BodyTooLarge(Exception):
    """The request body passed [webhook] max_body_bytes."""


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, *, has_key: bool, insecure: bool, public_url: str | None = None) -> None:
    """Refuse to run without a verification key where others can reach the webhook, unless told --insecure.

    Others reach it when it listens beyond this machine (``host``), and when [webhook]
    ``public_url`` is set: journalists reach the app from the internet, usually through a proxy
    to 127.0.0.1, so the loopback address says nothing (review 11s #2). Raises ConfigError.
    """
    if has_key or insecure:
        return
    if public_url:
        raise ConfigError(
            f"[webhook] public_url is set ({public_url}), so the internet reaches this webhook through your proxy, "
            "but no verification key is set: anyone could post fake events (fake bounces and spam reports "
            "would suppress real journalists).",
            hint="Turn on SendGrid's Signed Event Webhook and put its public key in [webhook] verification_key "
            "in mailer.toml, or pass --insecure if you accept the risk.",
        )
    if is_loopback(host):
        return
    raise ConfigError(
        f"No verification key is set, so anyone who can reach {host} could post fake events "
        "(fake bounces would suppress real journalists).",
        hint="Turn on SendGrid's Signed Event Webhook and put its public key in [webhook] "
        "verification_key in mailer.toml, or listen on 127.0.0.1 (this machine only), "
        "or pass --insecure if you accept the risk.",
    )


def tune_for_ingest(engine: Engine) -> None:
    """Tune this process for receiving events: SQLite's page cache and checkpoints, Python's garbage collector.

    Each ~768 KB batch touches thousands of index and message pages. Keeping them cached and
    folding the WAL back into the database every ~200 MB instead of every 4 MB (SQLite's
    default) writes a page changed by many batches once per checkpoint instead of once per few
    batches: about 15 % faster at ~40 MB, and 3 to 5 µs less CPU per event again at ~200 MB
    (benchmarks/webhook_ingest.py). The WAL file may grow to that size beside the log.

    A batch makes about 20,000 Python objects (parsed events) that live until it is stored:
    with the default thresholds the collector ran about 12 times per batch and its full passes
    walked every object of the loaded libraries. Those are frozen out of its passes (they live
    as long as the process) and it runs every 20,000 new objects: about 8 % less CPU per event.

    The thread storing a batch lets go of the GIL at each SQL statement and must get it back
    from the event loop's thread, which may be parsing the next request: Python hands it over
    after the switch interval, 5 ms by default, a stall per statement while the other requests
    wait for their turn to write. 1 ms makes those stalls shorter.
    Called once per server process, after the app's modules are imported.
    """
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    sys.setswitchinterval(SWITCH_INTERVAL)
    if engine.dialect.name != "sqlite":
        return

    def pragmas(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        cursor.close()

    sqlalchemy_event.listen(engine, "connect", pragmas)
    engine.dispose()  # connections opened before now did not get the pragmas


def _log_now(engine: Engine) -> datetime:
    """Now by the delivery log's clock, as every other command goes by (``store.clock``): a webhook runs
    for weeks, so the server's time is asked again once a minute and whenever this computer's clock
    was set (review 26c #2: events and one-click unsubscribes were stamped by this computer's clock)."""
    log_clock.follow(engine)  # a connection only when due
    return log_clock.now(engine)


@in_words
def create_app(
    *,
    config: Config,
    engine: Engine,
    now: Callable[[], datetime] | None = None,
    unsubscribe_secret: SecretStr | None = None,
    close_connections: bool = False,
    insecure: bool = False,
) -> Starlette:
    """The ASGI app: POST [webhook] path (default /sendgrid/events) and GET /healthz.

    Without [webhook] verification_key but with ``public_url`` (the internet reaches the app),
    events are refused with 403 unless ``insecure`` (``mailer webhook --insecure``): the command
    refuses to start in that case (``check_exposure``), and the app, used from Python, holds to it.

    With ``unsubscribe_secret`` (``Config.unsubscribe_secret``), also our one-click unsubscribe
    endpoint, GET and POST /unsubscribe/TOKEN (oneclick.py). Raises ConfigError for a secret given
    as plain text (it must come through ``Config.unsubscribe_secret``, which checks it), StoreError
    or ConfigError for an engine or config of the wrong kind.

    ``close_connections`` (``mailer webhook --workers`` above 1): answer events with
    ``Connection: close``. Workers share one listening socket and a kept-alive connection stays
    with the worker that accepted it, so a few busy senders would all land on one worker; a new
    connection per batch goes to whichever worker is free.
    """
    if unsubscribe_secret is not None and not isinstance(unsubscribe_secret, SecretStr):
        # A plain string reached the links' check only when a journalist clicked: 500 for every
        # unsubscribe, and a short secret was never refused (newcomer 16py).
        raise ConfigError(
            f"create_app(): unsubscribe_secret must be what config.unsubscribe_secret(environ) returns, not a {type(unsubscribe_secret).__name__}.",
            hint="Pass unsubscribe_secret=config.unsubscribe_secret(environ), environ the process environment: it reads MAILER_UNSUBSCRIBE_SECRET and checks it is long enough.",
        )
    settings = config.webhook
    public_key = signature.load_public_key(settings.verification_key) if settings.verification_key else None
    clock = now or (lambda: _log_now(engine))
    # Messages looked up by earlier batches (events.apply.Ingest): SendGrid reports on each
    # message several times (processed, delivered, opens, clicks). Bounded. Requests look
    # messages up at the same time (each dict operation is atomic); a link one of them reads
    # just before another's write is only ever behind the log, which the SQL tolerates.
    links: dict[str, MessageLink] = {}
    # One transaction at a time, between this process's threads and its fellow workers; the
    # look-ups before it (events.apply's staging) need no turn.
    writer = _WriterLock(engine)
    closing = {"Connection": "close"} if close_connections else None
    # Reachable from the internet (journalists' links come through the proxy) but nothing to check
    # a signature with: nobody's events are taken (review 11s #2).
    unsigned_from_internet = public_key is None and bool(settings.public_url) and not insecure

    def look_up(batch: events.Batch) -> Staged:
        if len(links) > LINKS_REMEMBERED:
            links.clear()
        try:
            with engine.connect() as connection:
                return stage(connection, batch.events, links)
        except BaseException:
            links.clear()
            raise

    def store_batch(staged: Staged, batch: events.Batch) -> events.Applied:
        return store_staged(
            engine,
            staged,
            source="webhook",
            block_threshold=settings.block_threshold,
            now=clock(),  # here, in the worker thread: asking the log's server the time may wait on it
            quarantined=batch.quarantined,
            links=links,
            writer=writer,
            check=refuse_newer,
        )

    async def receive_events(request: Request) -> JSONResponse:
        started = time.perf_counter()
        if unsigned_from_internet:
            _log_request(request, 403, None, started, "refused: public_url is set but there is no verification key")
            return _answer(
                403,
                "This webhook is reachable from the internet ([webhook] public_url) but has no verification key, "
                "so it takes no events: set [webhook] verification_key (SendGrid's Signed Event Webhook).",
            )
        refusal = None if public_key is not None else _unsigned_refusal(request, check_host=not insecure)
        if refusal is not None:
            status, message, outcome = refusal
            _log_request(request, status, None, started, outcome)
            return _answer(status, message)
        if public_key is not None:
            try:  # no signature, or none that could match: refused before the body is read (edges 28)
                signature.check_headers(request.headers.get(signature.SIGNATURE_HEADER), request.headers.get(signature.TIMESTAMP_HEADER))
            except SignatureError as exc:
                log.warning("refused a webhook request: %s", exc.message)
                _log_request(request, 403, None, started, "refused: bad or missing signature (body not read)")
                return _answer(403, exc.message, headers={"Connection": "close"})
        try:
            # The whole body within [webhook] body_timeout: without a limit a sender trickling a byte
            # a second holds its connection (and a slot of uvicorn's limit_concurrency) for ever.
            async with asyncio.timeout(settings.body_timeout):
                body = await _read_capped(request, settings.max_body_bytes)
        except TimeoutError:
            _log_request(request, 408, None, started, f"refused: body not received within {settings.body_timeout:g} s")
            return _answer(
                408,
                f"The request body did not arrive within {settings.body_timeout:g} seconds ([webhook] body_timeout).",
                headers={"Connection": "close"},
            )
        except BodyTooLarge:
            declared = request.headers.get("content-length", "")
            _log_request(request, 413, int(declared) if declared.isdigit() else None, started, "refused: body too large")
            return _answer(413, f"The request body is larger than {settings.max_body_bytes:,} bytes ([webhook] max_body_bytes).")
        try:
            if public_key is not None:
                _verify(public_key, request, body)
        except SignatureError as exc:
            log.warning("refused a webhook request: %s", exc.message)
            _log_request(request, 403, len(body), started, "refused: bad or missing signature")
            return _answer(403, exc.message)
        batch = events.parse_body(body)
        for item in batch.quarantined[:5]:
            log.warning("quarantined %s: %s", item.where, item.reason)
        try:
            # Looked up here, on the thread that parsed the batch (one statement on SQLite), so only
            # this thread and the one storing hold Python's GIL in turn: more storing threads staging
            # at once made the one holding the turn to write wait longer for it after each statement.
            staged = look_up(batch)
            applied = await run_in_threadpool(store_batch, staged, batch)
        except StoreError as exc:  # a newer press-mailer upgraded the log since this one started (newcomer 20b #1)
            log.error("could not store %s: %s %s", _events(len(batch.events)), exc.message, _RESTART)
            _log_request(
                request, 503, len(body), started, f"{_events(len(batch.events))} not stored: the delivery log is a newer version's"
            )
            return _answer(503, f"{exc.message} {_RESTART}")
        except SQLAlchemyError as exc:
            # In words, never the class name alone (newcomer 17 #4: "ProgrammingError" for a login that may not write).
            log.error("could not store %s: %s (SendGrid will retry)", _events(len(batch.events)), failures.reason(exc))
            _log_request(request, 503, len(body), started, f"{_events(len(batch.events))} not stored: the delivery log is busy or down")
            return _answer(503, "The delivery log is busy or unavailable; SendGrid will retry.")
        unknown = applied.unknown_types
        if unknown:  # SendGrid sends none; a tool or a hand-written test does (nc9 #12)
            log.warning("%s", kinds.words(unknown))
        _log_request(
            request,
            200,
            len(body),
            started,
            f"{_events(applied.received)}: {applied.added} stored, {applied.duplicates} duplicate{'' if applied.duplicates == 1 else 's'}, "
            f"{applied.quarantined} quarantined, {applied.unlinked} unlinked"
            + (f" ({applied.foreign} of another delivery log)" if applied.foreign else "")
            + (f", {sum(unknown.values())} of a type SendGrid does not send (changing nothing)" if unknown else ""),
        )
        answer: dict[str, Any] = {
            "received": applied.received,
            "added": applied.added,
            "duplicates": applied.duplicates,
            "unlinked": applied.unlinked,
            "quarantined": applied.quarantined,
        }
        if applied.foreign:  # events of another delivery log's mail: kept, unlinked (they still suppress)
            answer["foreign"] = applied.foreign
        if unknown:  # type -> events: kept, but they change nothing
            answer["unknown_types"] = {kinds.shown(kind): count for kind, count in sorted(unknown.items())}
        return JSONResponse(answer, headers=closing)

    async def health(_request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(_ping, engine)
        except SQLAlchemyError:
            return _answer(503, "The delivery log cannot be reached.")
        except StoreError as exc:
            return _answer(503, f"{exc.message} {_RESTART}")
        return JSONResponse({"status": "ok", "signed": public_key is not None})

    routes = [
        Route(settings.path, receive_events, methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    if settings.path.rstrip("/"):
        # SendGrid given ".../sendgrid/events/" was answered 307 to the address without the slash, a
        # redirect it never follows: every batch failed, unlogged, for 24 hours (review 17w #11).
        other = settings.path.rstrip("/") if settings.path.endswith("/") else settings.path + "/"
        routes.insert(1, Route(other, receive_events, methods=["POST"]))
    if unsubscribe_secret is not None:
        routes += oneclick.routes(engine=engine, secret=unsubscribe_secret, sender=config.sender.from_name, now=clock)
    prefix = public_path(settings.public_url)
    if prefix:
        # public_url = "https://www.example.org/press-mailer": SendGrid is told .../press-mailer/sendgrid/events
        # and links read .../press-mailer/unsubscribe/TOKEN. A proxy forwarding the path unchanged (as README
        # says) reached no route: every unsubscribe and batch a 404, nothing logged (review 17w #9).
        routes += [Route(prefix + route.path, route.endpoint, methods=route.methods) for route in routes if route.path != "/healthz"]

    async def not_served(request: Request, exc: Exception) -> Response:
        """A path (or method) this app does not serve: Starlette's plain answer, and for a POST a log line.

        SendGrid posting to a mistyped URL got 404 for 24 hours, then dropped the events, while the
        terminal ("Each request is logged here") said nothing (review 17w #10). GETs (scanners,
        browsers) are not logged: they are not SendGrid's nor a mail program's one-click.
        """
        status = getattr(exc, "status_code", 404)
        if request.method == "POST":
            declared = request.headers.get("content-length", "")
            path, link = _shown_path(request.url.path)
            if link:
                # An unsubscribe link of an address not served here (public_url changed since the email
                # went out): a journalist's stop lost, not SendGrid's settings (review 17x #3).
                served = (
                    (f"{unsubscribe.PATH} and {prefix}{unsubscribe.PATH}" if prefix else unsubscribe.PATH) if unsubscribe_secret else ""
                )
                said = "refused: a journalist's one-click unsubscribe link at an address this webhook does not serve: the journalist " + (
                    f"was not unsubscribed. Links are served at {served}: check [webhook] public_url against the emails' links"
                    if served
                    else "was not unsubscribed: this webhook serves no unsubscribe links (no unsubscribe secret)"
                )
            else:
                where = settings.path + (f" (or {prefix}{settings.path})" if prefix else "")
                said = ("refused: this path takes no POST" if status == 405 else "refused: this webhook serves no such path") + (
                    f"; SendGrid's Event Webhook must post to {where}"
                )
            _log_request(request, status, int(declared) if declared.isdigit() else None, None, said, path=path)
        return PlainTextResponse(getattr(exc, "detail", "Not Found"), status_code=status, headers=getattr(exc, "headers", None))

    return Starlette(routes=routes, exception_handlers={ClientDisconnect: _client_gone, 404: not_served, 405: not_served})


def public_path(public_url: str | None) -> str:
    """The path of [webhook] public_url ("/press-mailer"), "" when it has none: the app answers under it too."""
    if not public_url:
        return ""
    return unquote(urlsplit(public_url).path).rstrip("/")  # routes match the decoded path ("/press%20room" is "/press room")


async def _client_gone(request: Request, _exc: Exception) -> Response:
    """A sender that went away before its body was whole (a client giving up, a scanner): one log line, no traceback.

    Starlette raises ClientDisconnect from the body read; left alone, it reaches uvicorn, which
    prints "Exception in ASGI application" and a traceback (review 11s #10). Nothing was stored,
    and nobody is left to read the answer.
    """
    _log_request(request, None, None, None, "the sender went away before its body was whole: nothing stored")
    return Response(status_code=400)


class _WriterLock:
    """The turn to write: one transaction at a time among a process's threads and, on SQLite, its fellow workers.

    Within a process a thread lock: a second writer would wait on SQLite's lock in
    busy_timeout's sleeps (up to 100 ms each); a lock hands over the moment it is free.
    Worker processes on one SQLite file take turns through a lock file beside it (an flock),
    for the same reason. PostgreSQL needs no file: store/events.py takes an advisory lock
    that the server hands over.
    """

    def __init__(self, engine: Engine) -> None:
        self.path: str | None = None
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
            self.path = database + ".write-lock"
        self.handle: Any = None
        self.threads = threading.Lock()

    def __enter__(self) -> None:
        self.threads.acquire()
        if self.path is None or fcntl is None:
            return
        try:
            if self.handle is None:
                self.handle = open(self.path, "a+b")  # held open for the app's life
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        except BaseException:
            self.threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self.handle is not None and fcntl is not None:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        finally:
            self.threads.release()


def _unsigned_refusal(request: Request, *, check_host: bool) -> tuple[int, str, str] | None:
    """Why an unsigned webhook (no verification key) refuses this request: (status, answer, log outcome); None to take it.

    Without a key, a web page open in the press officer's browser could post to 127.0.0.1 too: a
    "simple" cross-site request (text/plain, no preflight) faking spam reports or lifting an
    unsubscribe, or a page whose name was rebound to 127.0.0.1 (DNS rebinding). SendGrid's
    servers send neither Origin nor Sec-Fetch-Site, post application/json, and reach a loopback
    listener only through a proxy that names it (review 11s #2b). So: refuse what a browser
    marks as coming from a page (403), what a reverse proxy relayed (403: forwarding headers; a
    proxy may name 127.0.0.1 in Host), a Host header that is not this machine's name and port when
    listening on loopback (421; these two skipped with ``check_host`` False, ``--insecure``), and any
    other content type (415).
    """
    headers = request.headers
    if "origin" in headers or "sec-fetch-site" in headers:
        return (
            403,
            "Requests from a web page are refused: this webhook has no verification key, and SendGrid never sends Origin or Sec-Fetch-Site.",
            "refused: sent from a web page (Origin or Sec-Fetch-Site)",
        )
    # nginx's plain `proxy_pass http://127.0.0.1:8080;` adds none of those headers, but talks to its
    # upstream in HTTP/1.0 (proxy_http_version's default), which SendGrid never does (review 23c: a
    # fake bounce through it suppressed a journalist for good).
    relayed = any(name in headers for name in _RELAYED) or request.scope.get("http_version") == "1.0"
    if check_host and relayed:
        # Apache (ProxyPreserveHost off) and nginx (proxy_pass) name the upstream in Host, 127.0.0.1:8080,
        # so the Host check passed what they relayed from the internet; they say so in these headers
        # (review 23b #5). SendGrid posting straight to 127.0.0.1 never sends them.
        return (
            403,
            (
                "This webhook has no verification key, and this request was relayed by a proxy (it carries X-Forwarded-For, "
                "Forwarded or X-Real-IP, or came over HTTP/1.0 as nginx relays), so it may come from anywhere: set [webhook] "
                "verification_key (SendGrid's Signed Event Webhook)."
            ),
            "refused: relayed by a proxy (X-Forwarded-For, Forwarded, X-Real-IP or HTTP/1.0) and no verification key",
        )
    server = request.scope.get("server")
    if check_host and server and isinstance(server[0], str) and is_loopback(server[0]):
        port = server[1]
        if not _names_this_machine(headers.get("host", ""), port):
            message = (
                "This webhook has no verification key, so it answers only requests addressed to this machine "
                f"(127.0.0.1:{port} or localhost:{port}); set [webhook] verification_key to take them from elsewhere."
            )
            return 421, message, "refused: addressed to another host (Host header)"
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return (
            415,
            "Events must be posted as Content-Type: application/json, as SendGrid posts them.",
            "refused: not application/json",
        )
    return None


# Headers a reverse proxy adds to what it relays (Apache adds X-Forwarded-For/-Host/-Server by default; nginx
# configurations X-Forwarded-For and X-Real-IP; RFC 7239 Forwarded).
_RELAYED = ("x-forwarded-for", "x-forwarded-host", "x-forwarded-server", "x-forwarded-proto", "forwarded", "x-real-ip")


def _names_this_machine(host: str, port: object) -> bool:
    """True when a Host header names this machine: localhost, 127.0.0.1 (127.x.x.x) or [::1], with ``port`` or no port."""
    value = host.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return False
        name, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return False
        given = rest[1:]
    else:
        name, _, given = value.partition(":")
    if not name or not is_loopback(name):
        return False
    return given == "" or given == str(port)


def _verify(public_key: ec.EllipticCurvePublicKey, request: Request, body: bytes) -> None:
    signature.verify(
        public_key,
        body=body,
        signature=request.headers.get(signature.SIGNATURE_HEADER),
        timestamp=request.headers.get(signature.TIMESTAMP_HEADER),
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    """The raw body, refusing early when Content-Length or the bytes received pass ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


_SHOWN_PATH = 200  # characters of a path not served that its log line shows


def _shown_path(path: str) -> tuple[str, bool]:
    """A path as the log line of a request not served shows it, and whether it is an unsubscribe link.

    Anybody can POST to a path of their choosing, and the line reaches the office's terminal:
    control characters are written escaped ("\\x1b[2K" would wipe a line), a long path is cut,
    and an unsubscribe link's token, which unsubscribes someone, is never shown ("/old/unsubscribe/...",
    review 17x #3).
    """
    start = path.find(unsubscribe.PATH)
    link = start >= 0 and path[start + len(unsubscribe.PATH) :].strip("/") not in ("", unsubscribe.PREVIEW_TOKEN)
    if link:
        path = path[: start + len(unsubscribe.PATH)] + "..."
    cut = len(path) > _SHOWN_PATH
    path = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in path[:_SHOWN_PATH])
    return path + ("..." if cut else ""), link


def _log_request(
    request: Request, status: int | None, size: int | None, started: float | None, outcome: str, *, path: str | None = None
) -> None:
    """One line per request on the ``mailer.events.webhook.requests`` logger: status, size, time taken, counts.

    Never an address or any other content of the events (issue 13): counts only. ``status`` None:
    no answer was sent (shown as "-"); ``started`` None: the time taken is not known (left out).
    """
    if not request_log.isEnabledFor(logging.INFO):
        return
    shown = "? bytes" if size is None else f"{size} bytes"
    took = "" if started is None else f" {(time.perf_counter() - started) * 1000:.0f} ms"
    code = "-" if status is None else str(status)
    request_log.info("%s %s %s %s%s: %s", request.method, request.url.path if path is None else path, code, shown, took, outcome)


def log_requests(stream: TextIO | None = None) -> logging.Handler:
    """Print each request's log line to ``stream`` (stderr), stamped with the UTC time and worker; returns the handler.

    ``mailer webhook`` calls it in every worker process. The line reads (12345: the worker's process id):
    ``2026-11-29T17:02:03Z [12345] POST /sendgrid/events 200 786204 bytes 41 ms: 1812 events: 1800 stored, 12 duplicates, 0 quarantined, 0 unlinked``

    The handler sits on the ``mailer.events`` logger, so the webhook's warnings ("quarantined
    event 3: ...", refused signatures, unsubscribe links) carry the same stamp instead of
    reaching stderr bare through Python's last-resort handler. Remove it from there when done.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = logging.Formatter("%(asctime)s [%(process)d] %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    events_log.addHandler(handler)
    request_log.setLevel(logging.INFO)
    # A journalist's one-click unsubscribe, stored: its line names the campaign, never the address
    # (newcomer 17b: the terminal that logs each request said nothing of them).
    logging.getLogger("mailer.events.oneclick").setLevel(logging.INFO)
    return handler


def _answer(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _ping(engine: Engine) -> None:
    with engine.connect() as connection:
        refuse_newer(connection)


# What a webhook of an older press-mailer than the log's says: it stores nothing until restarted
# updated, and SendGrid keeps the batches it answered 503 for 24 hours (newcomer 20b #1).
_RESTART = (
    "Update press-mailer on this computer to your colleagues' version, then restart mailer webhook: "
    "SendGrid posts the events again for 24 hours, so none is lost meanwhile."
)


def _events(count: int) -> str:
    """ "1 event", "1812 events": a batch's size in a log line (digits as they were, no thousands separator)."""
    return f"{count} event{'' if count == 1 else 's'}"
