"""A transport that sends nothing: it writes what SendGrid would have received.

For each request, ``request-0001.json`` holds the exact request body. Each ``.eml`` is built
FROM that body by ``eml.build`` (what SendGrid makes of a personalization), so headers,
attachments and inline images added to the body show in the proof with no other code path.

At 100,000 recipients one file per journalist is most of the work and most of the disk, so
by default only a sample gets an ``.eml`` (the first ``[compose] dry_run_eml`` recipients);
``eml_limit=None`` (``--eml all``) writes everyone's. Rows that get no email are listed with
their reason in ``skipped.csv``. Each campaign gets a folder of its own: a folder left by
another campaign with the same id (another log, a deleted log) is never reused.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from mailer import safefile, unsubscribe
from mailer.config import SenderConfig, SendGridConfig
from mailer.counting import counted
from mailer.errors import ConfigError
from mailer.models import Message, Rendered
from mailer.spreadsheet import safe_cell
from mailer.transport import eml
from mailer.transport.base import Ready, Request, RequestResult, Withheld
from mailer.transport.mailsend import CommonBodies, build_body
from mailer.unsubscribe import OneClick

__all__ = ["MARKER", "DryRunTransport", "eml_name", "estimate", "file_size"]

_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9@._+-]")
MARKER = ".campaign"  # which campaign (id and creation time) a folder belongs to
SKIPPED_COLUMNS = ("email", "reason", "detail", "source")


def estimate(rendered: Rendered) -> int:
    """About how many bytes one journalist's .eml takes: the text and HTML parts and the
    attachments, as MIME encodes them (base64 and quoted-printable: about 4/3), and the headers."""
    parts = len(rendered.text.encode()) + len(rendered.html.encode()) + sum(len(a.content) for a in rendered.attachments)
    return parts * 4 // 3 + 2048


def file_size(size: int) -> str:
    """``size`` bytes in words: 850 KB, 1.2 GB (decimal units, as file managers show)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if size < 10 * scale else f"{size // scale:,} {unit}"
    return f"{size} bytes"


def eml_name(number: int, position: int, email: str) -> str:
    """``0001-0002-jane@example.org.eml``: request, position in it, address (forget finds it by name)."""
    return f"{number:04d}-{position:04d}-{_UNSAFE_FILE_CHARS.sub('_', email)[:80]}.eml"


class DryRunTransport:
    """Writes request bodies and (a sample of) .eml files under ``outbox/<campaign-id>/``."""

    def __init__(
        self,
        *,
        outbox: Path,
        sendgrid: SendGridConfig,
        sender: SenderConfig,
        unsubscribe_tag: str,
        one_click: OneClick | None = None,
        eml_limit: int | None = None,
    ) -> None:
        self.outbox = outbox
        self.eml_limit = eml_limit
        self._common = CommonBodies(sendgrid=sendgrid, sender=sender, unsubscribe_tag=unsubscribe_tag, one_click=one_click)
        self._folders: dict[str, Path] = {}
        self._chosen: dict[str, frozenset[str]] = {}
        self._written: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def common(self) -> CommonBodies:
        """The common bodies this transport writes (the archive keeps the same one)."""
        return self._common

    def check_writable(self, versions: Sequence[Rendered] = (), recipients: int = 0) -> int:
        """Raise ConfigError when the outbox folder cannot be made or written to, or has no room for
        the .eml files of ``recipients`` journalists of the largest of ``versions`` (``estimate``):
        checked before the campaign is logged, so a dry run that cannot write leaves no campaign to
        resume (newcomer review 8). Returns the estimate, in bytes."""
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.outbox, prefix=".mailer-check-"):
                pass
            free = shutil.disk_usage(self.outbox).free
        except OSError as exc:
            raise ConfigError(
                f"Cannot write the dry run's files in {self.outbox} ([compose] outbox_dir): {exc.strerror or exc}. Nothing was logged.",
                hint="Run mailer from a folder you can write to, or set outbox_dir under [compose] in mailer.toml to one.",
            ) from exc
        written = recipients if self.eml_limit is None else min(recipients, self.eml_limit)
        needed = max((estimate(version) for version in versions), default=0) * written
        if needed > free:
            raise ConfigError(
                f"The dry run would write about {file_size(needed)} of .eml files ({counted(written, 'journalist')}) in {self.outbox}, "
                f"but only {file_size(free)} are free there. Nothing was logged.",
                hint="Free some space, or set outbox_dir under [compose] in mailer.toml to a larger disk"
                + (", or leave out --eml all (an .eml is then written for a sample only)." if self.eml_limit is None else "."),
            )
        return needed

    def open(self, campaign_id: str, *, created_at: datetime, sample: Collection[str] | None = None) -> Path:
        """Claim a folder for the campaign and say which message keys get an .eml.

        ``outbox/<id>`` when it is free or already this campaign's (a resumed dry run), else
        ``outbox/<id>-2``, ``-3``...: never a folder another campaign left. ``sample`` (message
        keys) overrides "the first ``eml_limit`` written".
        """
        stamp = f"{campaign_id} {created_at.astimezone(UTC).isoformat()}\n"
        with self._lock:
            number = 1
            while True:
                folder = self.outbox / (campaign_id if number == 1 else f"{campaign_id}-{number}")
                marker = folder / MARKER
                if not folder.exists():
                    folder.mkdir(parents=True)
                    safefile.write_own(marker, stamp.encode("utf-8"))
                    break
                if marker.is_file() and marker.read_text(encoding="utf-8") == stamp:
                    break
                number += 1
            self._folders[campaign_id] = folder
            if sample is not None:
                self._chosen[campaign_id] = frozenset(sample)
        return folder

    def folder(self, campaign_id: str) -> Path:
        """Where the files of one campaign go."""
        with self._lock:
            found = self._folders.get(campaign_id)
            if found is None:
                found = self._folders[campaign_id] = self.outbox / campaign_id
                found.mkdir(parents=True, exist_ok=True)
            return found

    def write_skipped(self, campaign_id: str, rows: Iterable[Message], *, delimiter: str = ",") -> Path | None:
        """``skipped.csv``: every row that gets no email, and why (None when there are none),
        UTF-8 with a byte-order mark and ``delimiter`` (the first list's, as ``lists clean`` writes).

        Spreadsheet-safe (``spreadsheet.safe_cell``): a rejected cell such as ``=HYPERLINK(...)``
        is written as text, not as a formula (review 8)."""
        skipped = [tuple(map(safe_cell, (m.email, m.skip_reason or "", m.detail or "", m.source or ""))) for m in rows]
        if not skipped:
            return None
        path = self.folder(campaign_id) / "skipped.csv"
        # The dialect of `lists clean` (README): a byte-order mark so Excel shows accents, the
        # list's own delimiter so a semicolon list opens in columns in European Excel.
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=delimiter)
        writer.writerow(SKIPPED_COLUMNS)
        writer.writerows(skipped)
        safefile.write_own(path, text.getvalue().encode("utf-8-sig"))  # a link left there is replaced (review 24k #3)
        return path

    def send(self, request: Request, ready: Ready | None = None) -> RequestResult:
        """Write the request body and the .eml of each sampled recipient; 'accept' it.

        Raises Withheld, having written nothing, when ``ready`` says no.
        """
        common = self._common.get(request)
        body = build_body(request, common, one_click=self._common.one_click)
        if ready is not None and not ready():
            raise Withheld
        folder = self.folder(request.campaign_id)
        if request.rendered.unsubscribe_proof == unsubscribe.PAGE_NAME:  # where the .eml files' unsubscribe link points
            unsubscribe.write_preview_page(folder, sender=common["from"].get("name", ""))
        safefile.write_own(folder / f"request-{request.number:04d}.json", json.dumps(body, ensure_ascii=False).encode("utf-8"))
        date = request.created_at or datetime.now(UTC)
        links = eml.proof_links(request.rendered)
        for index, message in enumerate(request.messages):
            if self._wanted(request.campaign_id, message.message_key):
                data = eml.build(body, index, date=date, message_id=eml.message_id(message.message_key), proof_links=links)
                safefile.write_own(folder / eml_name(request.number, index + 1, message.email), data)
        return RequestResult(status=202, message_id=f"dry-run-{request.number}")

    def _wanted(self, campaign_id: str, key: str) -> bool:
        if self.eml_limit is None:
            return True
        chosen = self._chosen.get(campaign_id)
        if chosen is not None:
            return key in chosen
        with self._lock:
            written = self._written.get(campaign_id, 0)
            if written >= self.eml_limit:
                return False
            self._written[campaign_id] = written + 1
            return True
