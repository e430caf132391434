"""SendGrid events: JSON or NDJSON in, ``Event`` records out, applied to the delivery log once.

    parse.py   webhook bodies -> Batch of Event (raw JSON kept, content hash for duplicates)
               and Quarantined (what cannot be read, raw, with the reason)
    files.py   JSON / NDJSON files -> Batches, streamed, each bad event named by file and line
    kinds.py   SendGrid's event types; what to say of events of another type (stored, no effect)
    apply.py   Event -> event rows, forward-only delivery, settled unknowns, suppressions
               (``apply`` for one batch; ``Ingest`` for many chunks in one transaction)
    imports.py events files -> Ingest, one transaction per file (``mailer events import``)
    webhook.py the signed event webhook (Starlette app), signature.py its ECDSA check
    suppression_sync.py  SendGrid's own suppression lists -> suppressions
    suppressions.py      suppressions added and lifted by hand (``mailer suppressions add/remove``)

Never imports: contacts, compose, send, transport, reports, cli.

In Python::

    batch = events.read_file(Path("sendgrid-events.json"))
    result = events.apply(engine, batch.events, source="import", block_threshold=3, quarantined=batch.quarantined)
"""

from __future__ import annotations

from mailer.events.apply import Applied, apply
from mailer.events.files import read_file
from mailer.events.parse import Batch, Event, Quarantined, from_object, parse_body

__all__ = ["Applied", "Batch", "Event", "Quarantined", "apply", "from_object", "parse_body", "read_file"]
