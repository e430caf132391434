"""A local stand-in for SendGrid's v3 API, served by uvicorn on 127.0.0.1 in a thread.

It records every request, checks /v3/mail/send bodies against SendGrid's own OpenAPI
description (tests/data/sendgrid/tsg_mail_v3.json, copied unchanged from shared/sendgrid/; the known gaps patched) and
against the limits the description does not encode (SENDGRID.md §1.1: recipients, substitutions,
custom_args, categories, send_at, reserved and repeated headers, a Unicode From address, 30 MB,
UTF-8), and answers as SendGrid does: 202 + X-Message-Id, 200 in sandbox mode, 400 with
{"errors": [...]}, 413 for a request of 30 MB or more, 415 for bytes that are not UTF-8.
Tests can script the next answers: a status (400/401/403/413/429/500/502/503...), a delay, a hold until the test lets go,
or a dropped connection, for the next N requests or for requests matching a predicate.

Run as a script, it serves until Ctrl-C, for trying `mailer send` without SendGrid (newcomer 12
#4): `python tests/sendgrid_standin.py --help`. It needs the development install
(`pip install -e '.[dev]'`: jsonschema checks the bodies).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import secrets
import signal
import socket
import sys
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import jsonschema
    import uvicorn
    from referencing import Registry, Resource
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ModuleNotFoundError as missing:  # `pip install -e .` alone, or a Python outside the project's
    if __name__ != "__main__":  # environment (newcomer 12b #8): the script says which to use
        raise
    MISSING: str | None = missing.name
else:
    MISSING = None

SPEC = Path(__file__).parent / "data" / "sendgrid" / "tsg_mail_v3.json"
SPEC_URI = "urn:sendgrid:tsg_mail_v3"
MAX_RECIPIENTS = 1000
MAX_ARG_BYTES = 10_000
MAX_SCHEDULE_SECONDS = 72 * 3600
RESERVED_HEADER_CHARS = ("\r", "\n")
MAX_REQUEST_BYTES = 30 * 1024 * 1024  # "The total size of your email, including attachments, must be less than 30MB" (SENDGRID.md §1.1)
# Headers SendGrid refuses in `headers` (SENDGRID.md §1.1), compared without case.
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "x-sg-id", "x-sg-eid", "received", "dkim-signature", "Content-Type", "Content-Transfer-Encoding",
        "To", "From", "Subject", "Reply-To", "CC", "BCC",
    )
)  # fmt: skip


@dataclass
class Recorded:
    """One request as the stand-in saw it, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    status: int | None = None
    peer: tuple[str, int] | None = None  # the client's address and port: one per connection
    closing: bool = False  # answered with Connection: close


@dataclass
class Script:
    """A scripted answer: ``status`` (with headers/body), ``delay`` seconds, or ``drop``."""

    times: int
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    drop: bool = False
    match: Callable[[Recorded], bool] | None = None
    path: str = "/v3/mail/send"
    close: bool = False
    reset_in: float | None = None  # a 429's X-RateLimit-Reset, this many seconds after the answer (rounded up)
    until: threading.Event | None = None  # with ``delay``: answer as soon as it is set (``delay`` is then the longest wait)


def _validator() -> jsonschema.protocols.Validator:
    document = json.loads(SPEC.read_text(encoding="utf-8"))
    schema = document["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"]
    # Gap listed in the spec's README: top-level custom_args is an object in the real API.
    schema["properties"]["custom_args"] = {"type": "object", "additionalProperties": {"type": "string"}}
    registry = Registry().with_resource(SPEC_URI, Resource.opaque(document))
    wrapper = {"$ref": f"{SPEC_URI}#/components/requestBodies/PostMailSend/content/application~1json/schema"}
    patched = copy.deepcopy(document)
    patched["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"] = schema
    registry = Registry().with_resource(SPEC_URI, Resource.opaque(patched))
    return jsonschema.Draft202012Validator(wrapper, registry=registry)


class SendGridStandIn:
    """The stand-in server; ``url`` is what goes into [sendgrid] api_url."""

    def __init__(self, *, api_key: str = "SG.standin-key.secret", clock: Callable[[], float] = time.time, validate: bool = True) -> None:
        self.api_key = api_key
        self.validate = validate  # benchmarks turn the (slow) schema check off; the limits stay checked
        self.clock = clock
        self.requests: list[Recorded] = []
        self.scripts: list[Script] = []
        self.batch_ids: set[str] = set()
        self.scheduled: dict[str, str] = {}
        self._lock = threading.Lock()
        self._holds: list[threading.Event] = []
        self._recorded: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()  # the requests' tasks past _record (settle)
        self._validator = _validator()
        self.app = Starlette(
            routes=[
                Route("/v3/mail/send", self._mail_send, methods=["POST"]),
                Route("/v3/mail/batch", self._create_batch, methods=["POST"]),
                Route("/v3/user/scheduled_sends", self._scheduled_sends, methods=["GET", "POST"]),
                Route("/v3/user/scheduled_sends/{batch_id}", self._scheduled_send, methods=["PATCH"]),
            ]
        )
        self._routes = list(self.app.router.routes)
        self._defaults = (api_key, clock, validate)
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------
    def start(
        self, *, keep_alive: float = 5.0, tls: tuple[Path, Path] | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> SendGridStandIn:
        """Serve on ``port`` of ``host`` (by default a free port of 127.0.0.1); idle connections are
        closed after ``keep_alive`` s.

        ``tls`` (certificate file, key file) serves https instead of http.
        """
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        certificate, key = tls if tls else (None, None)
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            backlog=512,
            timeout_keep_alive=keep_alive,  # type: ignore[arg-type]  # uvicorn takes seconds as a float too
            ssl_certfile=certificate,
            ssl_keyfile=key,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("SendGrid stand-in did not start")
            time.sleep(0.01)
        self.url = f"{'https' if tls else 'http'}://{f'[{host}]' if ':' in host else host}:{port}"
        return self

    def reset(self) -> None:
        """Forget every request, script, batch id and scheduled send (one server serves the whole session);
        requests still held (``hold``) are let go."""
        with self._lock:
            for released in self._holds:
                released.set()
            self._holds.clear()
            self.requests.clear()
            self.scripts.clear()
            self.batch_ids.clear()
            self.scheduled.clear()
            self.app.router.routes[:] = self._routes
            self.api_key, self.clock, self.validate = self._defaults

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- what tests script -----------------------------------------------------------------
    def answer(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        match: Callable[[Recorded], bool] | None = None,
        path: str = "/v3/mail/send",
    ) -> None:
        """Answer the next ``times`` matching requests with ``status``."""
        self.scripts.append(Script(times=times, status=status, headers=headers or {}, body=body, match=match, path=path))

    def rate_limit(self, *, times: int = 1, reset_in: float = 1.0) -> None:
        """Answer 429 with SendGrid's rate-limit headers, resetting at least ``reset_in`` seconds after each answer."""
        headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"}
        self.answer(429, times=times, headers=headers, body={"errors": [{"field": None, "message": "too many requests"}]})
        self.scripts[-1].reset_in = reset_in

    def slow(self, delay: float, *, times: int = 1_000_000, match: Callable[[Recorded], bool] | None = None) -> None:
        """Wait ``delay`` seconds before answering (then answer normally)."""
        self.scripts.append(Script(times=times, delay=delay, match=match))

    def hold(
        self, *, times: int = 1, match: Callable[[Recorded], bool] | None = None, longest: float = 60.0, path: str = "/v3/mail/send"
    ) -> threading.Event:
        """Keep the next ``times`` matching requests to ``path`` (Mail Sends unless told) unanswered
        until the event returned is set (at most ``longest`` seconds; ``reset`` sets it too), then
        answer normally: a request that is with SendGrid for as long as the test needs, however slow
        a loaded machine makes the test."""
        released = threading.Event()
        with self._lock:
            self._holds.append(released)
        self.scripts.append(Script(times=times, delay=longest, match=match, until=released, path=path))
        return released

    def settle(self, *, timeout: float = 30.0) -> None:
        """Return once every request sent to the stand-in so far is recorded: a request of a client
        just killed may still wait, unread, in a socket; on a loaded machine it was recorded after
        the test had cleared the requests (as if a later command had sent it). A request made now
        goes behind whatever is queued; then every connection is closed (a killed client's are) and
        every request taken in is recorded (or given up: its client left before sending it whole).
        Requests held or slow to be answered may still wait for their answer."""
        import http.client

        assert self._server is not None and self.url.startswith("http://"), "settle() is for the stand-in started without tls"
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        probe = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
        try:
            probe.request("GET", "/settle")  # no such route: answered 404, recorded nowhere
            probe.getresponse().read()
        finally:
            probe.close()
        state = self._server.server_state
        deadline = time.monotonic() + timeout
        while not self._settled(state):
            if time.monotonic() > deadline:
                raise AssertionError(f"the stand-in did not settle in {timeout} s: {len(state.connections)} connections open")
            time.sleep(0.01)

    def _settled(self, state: Any) -> bool:
        """Every request taken in is recorded, and no connection is left but those carrying one of
        them while it waits for its answer (a slow or held one: its client may be gone already, the
        connection closing only once the answer is written)."""
        tasks = list(state.tasks)
        if not all(task.done() or task in self._recorded for task in tasks):
            return False
        waiting = sum(1 for task in tasks if not task.done())
        return len(state.connections) <= waiting

    def close_after(self, *, times: int = 1) -> None:
        """Answer the next ``times`` Mail Sends normally, with ``Connection: close`` (then close the connection)."""
        self.scripts.append(Script(times=times, close=True))

    def connections(self) -> int:
        """How many connections the Mail Sends so far came over (distinct client ports)."""
        return len({r.peer for r in self.mail_sends})

    def drop(self, *, times: int = 1, match: Callable[[Recorded], bool] | None = None) -> None:
        """Read the request, then close the connection without any answer."""
        self.scripts.append(Script(times=times, drop=True, match=match))

    def add_route(self, path: str, endpoint: Callable[[Request], Any], methods: list[str] | None = None) -> None:
        """Serve one more route (Starlette reads app.router.routes on every request)."""
        self.app.router.routes.append(Route(path, endpoint, methods=methods or ["GET"]))

    # -- what tests read -------------------------------------------------------------------
    @property
    def mail_sends(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v3/mail/send"]

    def accepted_addresses(self) -> Counter[str]:
        """How often each address was in a request this stand-in accepted (202/200)."""
        seen: Counter[str] = Counter()
        for request in self.mail_sends:
            if request.status in (200, 202):
                for personalization in request.body["personalizations"]:
                    seen.update(to["email"].lower() for to in personalization["to"])
        return seen

    def seen_addresses(self) -> Counter[str]:
        """How often each address reached the stand-in at all, whatever it answered."""
        seen: Counter[str] = Counter()
        for request in self.mail_sends:
            if isinstance(request.body, dict):
                for personalization in request.body.get("personalizations", []):
                    seen.update(to["email"].lower() for to in personalization.get("to", []))
        return seen

    # -- handlers --------------------------------------------------------------------------
    async def _record(self, request: Request) -> Recorded:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw and len(raw) < MAX_REQUEST_BYTES else None  # one too large is refused unread
        except ValueError:
            body = raw.decode("utf-8", "replace")
        peer = (request.client.host, request.client.port) if request.client else None
        recorded = Recorded(request.method, request.url.path, dict(request.headers), body, raw, peer=peer)
        with self._lock:
            self.requests.append(recorded)
        task = asyncio.current_task()
        if task is not None:
            self._recorded.add(task)
        return recorded

    def _script_for(self, recorded: Recorded) -> Script | None:
        with self._lock:
            for script in self.scripts:
                if script.times > 0 and script.path == recorded.path and (script.match is None or script.match(recorded)):
                    script.times -= 1
                    return script
        return None

    async def _scripted(self, request: Request, recorded: Recorded) -> Response | None:
        """A scripted answer for this request, or None to answer normally."""
        script = self._script_for(recorded)
        if script is None:
            return None
        if script.delay and script.until is not None:
            deadline = time.monotonic() + script.delay
            while not script.until.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            return None
        if script.delay:
            await asyncio.sleep(script.delay)
            return None
        if script.close:
            recorded.closing = True
            return None
        if script.drop:
            # uvicorn exposes no public way to drop a connection; its receive() is a bound method of
            # the request cycle that owns the transport. Test-only code.
            cycle = getattr(request.receive, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is not None:
                transport.abort()
            await asyncio.sleep(0.05)
            recorded.status = 0
            return Response(status_code=500)
        body = script.body if script.body is not None else {"errors": [{"field": None, "message": f"scripted {script.status}"}]}
        recorded.status = script.status
        headers = dict(script.headers)
        if script.reset_in is not None:  # from the answer's moment: a slow client start must not use up the wait
            headers["X-RateLimit-Reset"] = str(math.ceil(self.clock() + script.reset_in))
        if isinstance(body, bytes):  # not SendGrid's JSON: a proxy's page (its Content-Type in ``headers``)
            return Response(body, status_code=script.status or 500, headers=headers)
        return JSONResponse(body, status_code=script.status or 500, headers=headers)

    async def _admit(self, request: Request) -> tuple[Recorded, Response | None]:
        """Record a request, then answer it as scripted or refuse a wrong key; None lets it through."""
        recorded = await self._record(request)
        scripted = await self._scripted(request, recorded)
        if scripted is not None:
            return recorded, scripted
        if not self._authorized(recorded):
            recorded.status = 401
            message = "The provided authorization grant is invalid, expired, or revoked"
            return recorded, JSONResponse({"errors": [{"field": None, "message": message}]}, status_code=401)
        return recorded, None

    def _authorized(self, recorded: Recorded) -> bool:
        return recorded.headers.get("authorization") == f"Bearer {self.api_key}"

    async def _mail_send(self, request: Request) -> Response:
        recorded, refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        if len(recorded.raw) >= MAX_REQUEST_BYTES:
            recorded.status = 413
            return JSONResponse({"errors": [{"message": "content too large", "field": None}]}, status_code=413)
        try:
            recorded.raw.decode("utf-8")
        except UnicodeDecodeError:
            recorded.status = 415
            return JSONResponse({"errors": [{"message": "Invalid UTF8 in request", "field": None}]}, status_code=415)
        errors = self.problems(recorded.body)
        if errors:
            recorded.status = 400
            return JSONResponse({"errors": errors}, status_code=400)
        sandbox = recorded.body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable") is True
        recorded.status = 200 if sandbox else 202
        headers = {"X-Message-Id": secrets.token_urlsafe(16)}
        if recorded.closing:
            headers["Connection"] = "close"
        return Response(status_code=recorded.status, headers=headers)

    def problems(self, body: Any) -> list[dict[str, Any]]:
        """What SendGrid would refuse in this body, in its error shape (empty when valid)."""
        if not isinstance(body, dict):
            return [{"field": None, "message": "Bad Request", "help": None}]
        errors = [
            {"field": ".".join(str(p) for p in e.absolute_path) or None, "message": e.message, "help": None}
            for e in (self._validator.iter_errors(body) if self.validate else ())
        ]
        personalizations = body.get("personalizations") or []
        if not personalizations:
            errors.append(
                {
                    "field": "personalizations",
                    "message": "The personalizations field is required and must have at least one personalization.",
                    "help": None,
                }
            )
        total, seen = 0, set()
        for index, personalization in enumerate(personalizations if isinstance(personalizations, list) else []):
            for kind in ("to", "cc", "bcc"):
                for recipient in personalization.get(kind, []) or []:
                    total += 1
                    address = str(recipient.get("email", "")).lower()
                    if address in seen:
                        errors.append(
                            {
                                "field": f"personalizations.{index}.{kind}",
                                "message": "Each unique email address in the personalizations array should only be included once. You have included ["
                                + address
                                + "] more than once.",
                                "help": None,
                            }
                        )
                    seen.add(address)
                    name = recipient.get("name", "")
                    if any(c in name for c in ";,\r\n"):
                        errors.append(
                            {
                                "field": f"personalizations.{index}.{kind}",
                                "message": "The to name cannot contain ; or , characters.",
                                "help": None,
                            }
                        )
            subs = personalization.get("substitutions") or {}
            if _bytes(subs) > MAX_ARG_BYTES:
                errors.append(
                    {
                        "field": f"personalizations.{index}.substitutions",
                        "message": "You may not make more than 10,000 bytes worth of substitutions per personalization.",
                        "help": None,
                    }
                )
            args = {**(body.get("custom_args") or {}), **(personalization.get("custom_args") or {})}
            for kind, values in (("custom_args", personalization.get("custom_args") or {}), ("substitutions", subs)):
                for key, value in values.items():
                    if not isinstance(value, str):
                        errors.append(
                            {
                                "field": f"personalizations.{index}.{kind}.{key}",
                                "message": f"The {kind} values must be strings.",
                                "help": None,
                            }
                        )
            if _bytes(args) > MAX_ARG_BYTES:
                errors.append(
                    {
                        "field": f"personalizations.{index}.custom_args",
                        "message": "The custom arguments may not exceed 10,000 bytes.",
                        "help": None,
                    }
                )
            errors += _header_problems(personalization.get("headers"), f"personalizations.{index}.headers")
            if "custom_args" in personalization and not personalization["custom_args"]:
                errors.append(
                    {"field": f"personalizations.{index}.custom_args", "message": "The custom_args may not be empty.", "help": None}
                )
            own_send_at = personalization.get("send_at")
            if isinstance(own_send_at, int) and own_send_at > self.clock() + MAX_SCHEDULE_SECONDS:
                errors.append(
                    {
                        "field": f"personalizations.{index}.send_at",
                        "message": "Scheduling more than 72 hours in advance is forbidden.",
                        "help": None,
                    }
                )
        errors += _header_problems(body.get("headers"), "headers")
        if not str((body.get("from") or {}).get("email", "")).isascii():
            errors.append({"field": "from.email", "message": "Unicode encoding is not supported for the from field.", "help": None})
        if body.get("reply_to") and body.get("reply_to_list"):
            errors.append({"field": "reply_to_list", "message": "reply_to and reply_to_list cannot be used together.", "help": None})
        if any(isinstance(c, dict) and not c.get("value") for c in body.get("content") or []):
            errors.append(
                {"field": "content", "message": "The content value must be a string at least one character in length.", "help": None}
            )
        if total > MAX_RECIPIENTS:
            errors.append(
                {
                    "field": "personalizations",
                    "message": "The personalization block is limited to 1000 recipients per API request.",
                    "help": None,
                }
            )
        categories = body.get("categories") or []
        if (
            len(categories) > 10
            or len(set(categories)) != len(categories)
            or any(not str(c).isascii() or len(str(c)) > 255 for c in categories)
        ):
            errors.append(
                {
                    "field": "categories",
                    "message": "Categories must be at most 10 unique ASCII strings of at most 255 characters.",
                    "help": None,
                }
            )
        content = body.get("content") or []
        types = [c.get("type") for c in content if isinstance(c, dict)]
        if "text/plain" in types and types.index("text/plain") != 0:
            errors.append(
                {"field": "content", "message": "If present, text/plain content must be first, followed by text/html.", "help": None}
            )
        send_at = body.get("send_at")
        if isinstance(send_at, int) and send_at > self.clock() + MAX_SCHEDULE_SECONDS:
            errors.append({"field": "send_at", "message": "Scheduling more than 72 hours in advance is forbidden.", "help": None})
        batch_id = body.get("batch_id")
        if batch_id is not None and batch_id not in self.batch_ids:
            errors.append({"field": "batch_id", "message": "The batch ID is not valid.", "help": None})
        for key in ("subject",):
            if any(c in str(body.get(key, "")) for c in RESERVED_HEADER_CHARS):
                errors.append({"field": key, "message": "The subject cannot contain line breaks.", "help": None})
        if any(c in str((body.get("from") or {}).get("name", "")) for c in RESERVED_HEADER_CHARS):
            errors.append({"field": "from.name", "message": "The from name cannot contain line breaks.", "help": None})
        return errors

    async def _create_batch(self, request: Request) -> Response:
        recorded, refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        batch_id = secrets.token_urlsafe(24)
        self.batch_ids.add(batch_id)
        recorded.status = 201
        return JSONResponse({"batch_id": batch_id}, status_code=201)

    async def _scheduled_sends(self, request: Request) -> Response:
        recorded, refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        if request.method == "GET":
            recorded.status = 200
            return JSONResponse([{"batch_id": b, "status": s} for b, s in self.scheduled.items()])
        body = recorded.body if isinstance(recorded.body, dict) else {}
        batch_id, status = body.get("batch_id"), body.get("status")
        if batch_id not in self.batch_ids or status not in ("pause", "cancel"):
            recorded.status = 400
            return JSONResponse({"errors": [{"field": "batch_id", "message": "invalid batch id or status"}]}, status_code=400)
        if batch_id in self.scheduled:
            recorded.status = 400
            return JSONResponse({"errors": [{"field": None, "message": "batch already has a status; use PATCH"}]}, status_code=400)
        self.scheduled[batch_id] = status
        recorded.status = 201
        return JSONResponse({"batch_id": batch_id, "status": status}, status_code=201)

    async def _scheduled_send(self, request: Request) -> Response:
        """PATCH /v3/user/scheduled_sends/{batch_id} {"status": "pause"|"cancel"}: 204, or 404 for a batch without a status."""
        recorded, refusal = await self._admit(request)
        if refusal is not None:
            return refusal
        batch_id = request.path_params["batch_id"]
        status = recorded.body.get("status") if isinstance(recorded.body, dict) else None
        if batch_id not in self.scheduled:
            recorded.status = 404
            return JSONResponse({"errors": [{"field": None, "message": "batch id not found"}]}, status_code=404)
        if status not in ("pause", "cancel"):
            recorded.status = 400
            return JSONResponse({"errors": [{"field": "status", "message": "invalid status"}]}, status_code=400)
        self.scheduled[batch_id] = status
        recorded.status = 204
        return Response(status_code=204)


def _header_problems(headers: Any, where: str) -> list[dict[str, Any]]:
    """What SendGrid refuses in a `headers` object (SENDGRID.md §1.1): values that are not strings,
    keys that are not ASCII or hold a space, a key given twice (in any case), reserved names."""
    if headers is None:
        return []
    if not isinstance(headers, dict):
        return [{"field": where, "message": "The headers must be an object.", "help": None}]
    problems = []
    seen: set[str] = set()
    for key, value in headers.items():
        lowered = str(key).lower()
        if not isinstance(value, str):
            problems.append({"field": f"{where}.{key}", "message": "The header values must be strings.", "help": None})
        if not str(key).isascii() or " " in str(key) or not key:
            problems.append({"field": f"{where}.{key}", "message": "Header keys must be ASCII without spaces.", "help": None})
        if lowered in RESERVED_HEADERS:
            problems.append({"field": f"{where}.{key}", "message": f"The header {key} is reserved and cannot be set.", "help": None})
        if lowered in seen:
            problems.append({"field": f"{where}.{key}", "message": "You may not set the same header twice.", "help": None})
        seen.add(lowered)
        if any(c in str(value) for c in RESERVED_HEADER_CHARS):
            problems.append({"field": f"{where}.{key}", "message": "Header values cannot contain line breaks.", "help": None})
    return problems


def _bytes(values: dict[str, Any]) -> int:
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in values.items())


# -- as a script: `python tests/sendgrid_standin.py` -------------------------------------------
EXAMPLE = """\
example, from a fresh clone (after pip install -e '.[dev]'):
  python tests/sendgrid_standin.py --port 3025
  # in another terminal, in your office folder: put the api_url it prints in mailer.toml,
  #   [sendgrid]
  #   api_url = "http://127.0.0.1:3025"
  # export the made-up key it prints, then send as for real:
  export SENDGRID_API_KEY=SG.standin-key.secret
  mailer send releases/example.md --list lists/press.csv

Nothing leaves this computer: the stand-in checks each request as SendGrid would and answers
202 Accepted, and prints one line per request. Ctrl-C stops it."""


def main(argv: list[str] | None = None) -> int:
    """Start the stand-in, say what to put in mailer.toml and which key to export, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python tests/sendgrid_standin.py",
        description="A local stand-in for SendGrid's v3 API, to try `mailer send` without SendGrid.\n"
        "It prints the api_url to put in mailer.toml ([sendgrid] api_url) and a made-up\n"
        "SENDGRID_API_KEY to export, then serves until Ctrl-C.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; mailer takes http:// only there)")
    parser.add_argument("--port", type=int, default=3025, help="port to listen on (default: 3025; 0 for any free port)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering each Mail Send (default: 0)")
    args = parser.parse_args(argv)
    if MISSING is not None:
        print(
            f"The SendGrid stand-in needs the project's development install ({MISSING} is missing from {sys.executable}).\n"
            "Run it with the project's Python, .venv/bin/python tests/sendgrid_standin.py (.venv\\Scripts\\python on Windows),\n"
            "after .venv/bin/pip install -e '.[dev]' in the project folder.",
            file=sys.stderr,
        )
        return 1
    standin = SendGridStandIn()
    try:
        standin.start(host=args.host, port=args.port)
    except OSError as exc:
        print(f"Cannot listen on {args.host} port {args.port} ({exc.strerror}): give another with --port.", file=sys.stderr)
        return 1
    if args.delay > 0:
        standin.slow(args.delay)
    print(f"SendGrid stand-in listening on {standin.url}")
    print("Put this in mailer.toml:")
    print(f'  [sendgrid]\n  api_url = "{standin.url}"')
    print("and give mailer this made-up key (the stand-in takes no other):")
    print(f"  export SENDGRID_API_KEY={standin.api_key}")
    print("Ctrl-C stops it.", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill PID` stops it as Ctrl-C does
    shown = 0
    try:
        while True:
            time.sleep(0.2)
            for recorded in list(standin.requests[shown:]):
                if recorded.status is None:  # still being answered
                    break
                print(_line(recorded), flush=True)
                shown += 1
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
    from mailer.counting import counted

    accepted = sum(standin.accepted_addresses().values())
    print(f"\nStopped after {counted(len(standin.requests), 'request')}, {counted(accepted, 'recipient')} accepted.")
    return 0


def _line(recorded: Recorded) -> str:
    """One request as the script prints it: method, path, answer, and for a Mail Send how many recipients."""
    line = f"{recorded.method} {recorded.path} -> {recorded.status}"
    if recorded.path == "/v3/mail/send" and isinstance(recorded.body, dict):
        count = len(recorded.body.get("personalizations") or [])
        line += f" ({count} recipient{'s' if count != 1 else ''})"
    return line


if __name__ == "__main__":
    sys.exit(main())
