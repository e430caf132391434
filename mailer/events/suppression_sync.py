"""Pull SendGrid's own suppression lists into the delivery log's suppression table.

SendGrid keeps five suppression lists (SENDGRID.md §3.1): bounces, blocks, invalid emails, spam
reports and global unsubscribes. Copying them here lets `lists prune`, `send` and reports know
about addresses that bounced or unsubscribed while this log was not listening. Each list is
paged with ``limit``/``offset`` (at most 500 per page).

The blocks list is read and counted but suppresses nobody: a block is a server refusing one
email for its content or the sender's reputation, not a fact about the mailbox, and "Twilio
SendGrid will not suppress future messages to blocked addresses" (its Blocks API page). The log's
own events suppress an address blocked [webhook] block_threshold times (events/apply.py); the
sync made every address SendGrid had ever blocked once a suppression for good (review 23b #1).

The ``sendgrid`` library logs the Authorization header at DEBUG level, so its HTTP client's
logger is held at WARNING while we use it (SENDGRID.md §5).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.error import URLError

from pydantic import SecretStr
from python_http_client.exceptions import HTTPError
from sqlalchemy import Engine

from mailer import mailbox
from mailer import sendgrid_api as api
from mailer.errors import AuthError, TransportError, Unavailable
from mailer.models import SuppressionReason
from mailer.store import clock
from mailer.store import suppressions as suppression_store

__all__ = ["GROUP_LIST", "LISTS", "SyncResult", "sync"]

# SendGrid list (path under /v3/suppression/) -> why we suppress its addresses (None: counted, not suppressed).
LISTS: Mapping[str, SuppressionReason | None] = {
    "bounces": SuppressionReason.BOUNCE,
    "blocks": None,
    "invalid_emails": SuppressionReason.INVALID,
    "spam_reports": SuppressionReason.SPAM_REPORT,
    "unsubscribes": SuppressionReason.UNSUBSCRIBE,
}
PAGE_SIZE = 500
MAX_PAGES = 10_000  # 5 million addresses: a guard against a server that never ends a list


@dataclass(frozen=True, slots=True)
class SyncResult:
    """Per SendGrid list: how many addresses it holds and how many were new here."""

    found: Mapping[str, int]
    added: Mapping[str, int]


def sync(
    engine: Engine,
    *,
    api_key: SecretStr,
    api_url: str,
    timeout: float,
    page_size: int = PAGE_SIZE,
    on_page: Callable[[str, int], None] | None = None,
    group_id: int | None = None,
) -> SyncResult:
    """Copy every address on SendGrid's suppression lists into the suppression table, but the blocks
    list's (counted in ``found``, never ``added``: see the module's docstring)."""
    logging.getLogger("python_http_client").setLevel(logging.WARNING)
    found: dict[str, int] = {}
    added: dict[str, int] = {}
    for name, reason in LISTS.items():
        records: list[suppression_store.Suppression] = []
        counted = 0
        listing = api.endpoint(api_key, api_url, ("suppression", name), timeout=timeout)  # never follows a redirect
        for page in _pages(listing, name, api_url=api_url, page_size=page_size):
            listed = [item for item in page if isinstance(item, dict) and item.get("email")]
            counted += len(listed)
            if reason is not None:
                records.extend(_suppression(item, reason) for item in listed)
            if on_page:
                on_page(name, len(page))
        found[name] = counted
        if reason is None:
            added[name] = 0
            continue
        with engine.begin() as connection:
            added[name] = suppression_store.insert(connection, records)
    if group_id is not None:
        found[GROUP_LIST], added[GROUP_LIST] = _sync_group(engine, group_id, api_key=api_key, api_url=api_url, timeout=timeout)
        if on_page:
            on_page(GROUP_LIST, found[GROUP_LIST])
    return SyncResult(found=found, added=added)


GROUP_LIST = "group_unsubscribes"  # the unsubscribe group's list, in SyncResult (with [sendgrid] asm_group_id)


def _sync_group(engine: Engine, group_id: int, *, api_key: SecretStr, api_url: str, timeout: float) -> tuple[int, int]:
    """Copy the unsubscribes of the office's unsubscribe group ([sendgrid] asm_group_id): (on SendGrid, new here).

    In that mode a journalist's Unsubscribe lands on the group, not on the global list, and only a
    group_unsubscribe event told the log: with the webhook down past SendGrid's 24 hours of retries,
    the sync (the README's remedy) never read it, and she was mailed once the office changed its
    unsubscribe mode or group (review 23b #4). Its note does not start with ``GROUP_NOTE``: a group
    resubscribe lifts such a note when the log holds no group unsubscribe standing, and with no
    event behind this one, a resubscribe to another group (a newsletter's) would lift it; lifting it
    is the office's (`mailer suppressions remove`). ``GET /v3/asm/groups/{id}/suppressions`` answers
    a plain array of addresses, unpaged (SENDGRID.md §3.1).
    """
    name = f"unsubscribe group {group_id}"
    listing = api.endpoint(api_key, api_url, ("asm", "groups", str(group_id), "suppressions"), timeout=timeout)
    listed = _listed(listing, name, api_url=api_url)
    addresses = [item if isinstance(item, str) else item.get("email") for item in listed if isinstance(item, (str, dict))]
    now = clock.now(engine)
    note = f"unsubscribed from SendGrid's unsubscribe group {group_id} (copied by suppressions sync)"
    records = [
        suppression_store.Suppression(mailbox.key(address), SuppressionReason.UNSUBSCRIBE, "sync", note, now)
        for address in addresses
        if isinstance(address, str) and address.strip()
    ]
    with engine.begin() as connection:
        return len(records), suppression_store.insert(connection, records)


def _pages(endpoint: api.Endpoint, name: str, *, api_url: str, page_size: int) -> Iterator[list[object]]:
    """Every page of one list, until a short page says there is no more."""
    for page_number in range(MAX_PAGES):
        page = _listed(endpoint, name, api_url=api_url, query={"limit": page_size, "offset": page_number * page_size})
        yield page
        if len(page) < page_size:
            return


def _listed(endpoint: api.Endpoint, name: str, *, api_url: str, query: dict[str, int] | None = None) -> list[object]:
    """One GET of a list (``query``: its page), as the JSON array SendGrid answers; our errors otherwise."""
    try:
        response = endpoint.get(query_params=query) if query is not None else endpoint.get()
    except HTTPError as exc:
        raise _transport_error(exc, name) from None
    except (URLError, TimeoutError, OSError) as exc:
        raise Unavailable(
            f"Cannot reach SendGrid at {api_url} to read the {name} list.",
            hint="Check the network connection and [sendgrid] api_url, then run the sync again.",
        ) from exc
    try:
        listed = json.loads(response.body or b"[]")
    except ValueError as exc:
        raise TransportError(f"SendGrid's answer for the {name} list is not JSON.", hint="Run the sync again later.") from exc
    if not isinstance(listed, list):
        raise TransportError(f"SendGrid's answer for the {name} list is not a list.", hint="Run the sync again later.")
    return listed


def _transport_error(exc: HTTPError, name: str) -> TransportError:
    """SendGrid's HTTP error as ours, without headers (they would carry the key)."""
    status = int(getattr(exc, "status_code", 0) or 0)
    if status in (401, 403):
        return AuthError(
            f"SendGrid refused to show the {name} list ({status}).",
            hint="The API key needs the Suppressions permission (Settings > API Keys > Edit > Suppressions: Read Access).",
            status=status,
        )
    if 300 <= status < 400:
        return TransportError(
            f"SendGrid's address answered {status}, a redirect elsewhere, for the {name} list. press-mailer never follows "
            "one: it would carry the API key there.",
            hint="Check [sendgrid] api_url (SendGrid's is https://api.sendgrid.com).",
            status=status,
        )
    if status == 429 or status >= 500:
        return Unavailable(
            f"SendGrid could not answer for the {name} list ({status}).", hint="Run the sync again in a few minutes.", status=status
        )
    return TransportError(f"SendGrid refused to list {name} ({status}).", hint="Check [sendgrid] api_url.", status=status)


def _suppression(item: Mapping[str, object], reason: SuppressionReason) -> suppression_store.Suppression:
    created = item.get("created")
    when = datetime.fromtimestamp(created, UTC) if isinstance(created, (int, float)) else datetime.now(UTC)
    detail = " ".join(str(item[k]) for k in ("status", "reason") if item.get(k))
    return suppression_store.Suppression(
        email_key=mailbox.key(str(item["email"])),  # as the list row's key, however SendGrid spells it
        reason=reason,
        source="sync",
        note=f"SendGrid: {detail}" if detail else "SendGrid list",
        created_at=when,
    )
