"""SendGrid events: JSON or NDJSON in, ``Event`` records out, applied to the delivery log once.

    parse.py   webhook bodies and files -> Event (raw JSON kept, content hash for duplicates)
    apply.py   Event -> event rows, forward-only delivery, settled unknowns, suppressions
    imports.py events files -> apply, in chunks (``mailer events import``)
    webhook.py the signed event webhook (Starlette app), signature.py its ECDSA check
    suppression_sync.py  SendGrid's own suppression lists -> suppressions

Never imports: contacts, compose, send, transport, reports, cli.

In Python::

    batch = events.read_file(Path("sendgrid-events.json"))
    result = events.apply(engine, batch, source="import", block_threshold=3)
"""

from __future__ import annotations

from mailer.events.apply import Applied, apply
from mailer.events.parse import Event, from_object, parse_body, read_file

__all__ = ["Applied", "Event", "apply", "from_object", "parse_body", "read_file"]
