"""The delivery log's tables: campaign, message, event, suppression, archive, attachment, quarantine (see DESIGN.md).

SQLAlchemy Core tables, so the same code runs on an SQLite file and on PostgreSQL. Every instant
is a ``UTCDateTime`` (types.py): stored in UTC, read back aware, never naive.
Only ``store/<table>.py`` writes SQL for its table; everything else calls those modules.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy import event as sqlalchemy_event

from mailer.store.types import UTCDateTime

metadata = MetaData()

campaign = Table(
    "campaign",
    metadata,
    Column("id", String(120), primary_key=True),  # readable: 2026-02-19-release-slug[-2]
    Column("release_path", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("lists", JSON, nullable=False, default=list),
    Column("filters", JSON, nullable=False, default=dict),
    Column("mode", String(10), nullable=False),  # models.Mode
    Column("status", String(12), nullable=False),  # models.CampaignStatus
    Column("created_at", UTCDateTime(), nullable=False),
    Column("scheduled_at", UTCDateTime()),
    Column("sendgrid_batch_id", String(120)),
    Column("sender", JSON, nullable=False, default=dict),  # from/reply-to used, for status
    # A follow-up (``mailer send --follow-up``) names the campaign it follows up; NULL otherwise.
    Column("follow_up_of", String(120)),
    # Promise 6: the one process driving this campaign (send/lease.py); all NULL when none does.
    Column("lease_holder", String(40)),  # LEASE_HOLDER_MARK and a random token per run
    Column("lease_host", Text),
    Column("lease_pid", Integer),
    Column("lease_since", UTCDateTime()),
    Column("lease_heartbeat", UTCDateTime()),
    Column("lease_expires", UTCDateTime()),
    # Promise 2: the numbers of the requests the lease holder has sent and not yet logged the answer
    # of. Written, under the lease, in the transaction that lets a request leave; a run that finds
    # numbers here (its predecessor crashed) marks those requests' rows unknown. NULL or [] when none.
    Column("in_flight", JSON),
)

# Each language version a campaign sent, with its content hash (nc9 #17, review 10): "already
# received" is decided version by version, and a corrected copy of a release under another file
# name still finds the campaigns that sent its unchanged versions. Added without a schema version
# (a table create_all makes; a campaign logged without rows here compares as a whole).
campaign_version = Table(
    "campaign_version",
    metadata,
    Column("campaign_id", String(120), ForeignKey("campaign.id"), primary_key=True),
    Column("language", String(35), primary_key=True),
    Column("content_hash", String(64), nullable=False),
)
Index("ix_campaign_version_content", campaign_version.c.content_hash)

message = Table(
    "message",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(120), ForeignKey("campaign.id"), nullable=False),
    Column("message_key", String(40), nullable=False, unique=True),  # opaque, goes to custom_args, never an address
    Column("email", Text, nullable=False),
    Column("email_key", Text, nullable=False),  # lower-cased address
    Column("fields", JSON, nullable=False, default=dict),  # snapshot of the contact
    Column("source", Text),  # list file and row, for status and reports
    Column("state", String(10), nullable=False),  # models.MessageState
    Column("skip_reason", String(20)),  # models.RejectReason for skipped rows
    Column("request_no", Integer),  # which Mail Send request of the campaign
    Column("sg_message_id", String(120)),  # X-Message-Id of the accepting request
    Column("error", Text),
    Column("delivery", String(12)),  # models.Delivery, furthest reached
    Column("language", String(35)),  # the release version this recipient got (its language tag); None when skipped
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
# No (campaign_id, state) index: each state change would rewrite its entries (upgrade step 6).
# The dispatcher moves a whole request's messages in one UPDATE (WHERE campaign_id AND request_no AND state).
Index("ix_message_campaign_request", message.c.campaign_id, message.c.request_no)
# The look-ups by address, and promise 2 (one live row per address per campaign; skipped rows,
# duplicates among them, may repeat it), in ONE index entry per row (upgrade step 10): a row the
# plan sends is in the first index, a skipped row in the second. Both are keyed on skip_reason,
# which never changes after planning, so state updates leave them alone. A look-up of every row
# of an address asks both (``messages.to_address``); one of sent rows adds skip_reason IS NULL.
Index(
    "ux_message_address_campaign",
    message.c.email_key,
    message.c.campaign_id,
    unique=True,
    sqlite_where=text("skip_reason IS NULL"),
    postgresql_where=text("skip_reason IS NULL"),
)
Index(
    "ix_message_skipped_address",
    message.c.email_key,
    sqlite_where=text("skip_reason IS NOT NULL"),
    postgresql_where=text("skip_reason IS NOT NULL"),
)

# A press-mailer from before schema version 9 does not know the campaign's `in_flight` list: on a
# log this version drives, it would send a crashed run's requests in flight again. Every lease this
# version takes carries a holder token starting with LEASE_HOLDER_MARK; the log refuses any other
# (the older versions' tokens are bare hex), so such a send or resume stops at its first step,
# before any request leaves, with words that say what to do. A trigger on the campaign row fires
# only when a lease is taken, never on the per-journalist writes of a send.
LEASE_HOLDER_MARK = "listed:"
_OLDER_REFUSED = (
    "This delivery log is used by a newer press-mailer: update press-mailer on this computer "
    "(pip install -U press-mailer) before sending from it. Nothing was sent."
)
OLDER_REFUSED_DDL = {
    "sqlite": (
        (
            "CREATE TRIGGER IF NOT EXISTS campaign_lease_refused BEFORE UPDATE OF lease_holder ON campaign "
            f"WHEN NEW.lease_holder IS NOT NULL AND substr(NEW.lease_holder, 1, {len(LEASE_HOLDER_MARK)}) <> '{LEASE_HOLDER_MARK}' "
            f"BEGIN SELECT RAISE(ABORT, '{_OLDER_REFUSED}'); END"
        ),
    ),
    "postgresql": (
        (
            "CREATE OR REPLACE FUNCTION campaign_lease_refused() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_OLDER_REFUSED}'; END $$"
        ),
        "DROP TRIGGER IF EXISTS campaign_lease_refused ON campaign",
        (
            "CREATE TRIGGER campaign_lease_refused BEFORE UPDATE OF lease_holder ON campaign FOR EACH ROW "
            f"WHEN (NEW.lease_holder IS NOT NULL AND substr(NEW.lease_holder, 1, {len(LEASE_HOLDER_MARK)}) <> '{LEASE_HOLDER_MARK}') "
            "EXECUTE FUNCTION campaign_lease_refused()"
        ),
    ),
}
for _dialect, _statements in OLDER_REFUSED_DDL.items():
    for _statement in _statements:
        sqlalchemy_event.listen(campaign, "after_create", DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect))  # type: ignore[no-untyped-call]

event = Table(
    "event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sg_event_id", String(120), unique=True),
    Column("dedupe_key", String(64), nullable=False, unique=True),  # hash of the event's content
    Column("campaign_id", String(120)),
    Column("message_id", Integer),
    Column("event", String(30), nullable=False),
    Column("email", Text),
    Column("timestamp", BigInteger, nullable=False),
    Column("sg_message_id", String(200)),
    Column("reason", Text),
    Column("bounce_type", String(20)),
    Column("bounce_classification", String(60)),
    Column("machine_open", Boolean),
    Column("url", Text),
    Column("raw", Text, nullable=False),  # the event JSON as received
    # The event names a message key this log never gave out: mail sent with another delivery log
    # (another client's folder on the same SendGrid account, or its file imported here by mistake).
    # Kept unlinked; the look-ups by address that weigh this log's own mail leave it out (fix 15b).
    Column("other_log", Boolean, nullable=False, server_default=false()),
)
Index("ix_event_campaign_event", event.c.campaign_id, event.c.event)
Index("ix_event_message", event.c.message_id)
# Block counting and group (re)subscriptions look events up by address; partial indexes keep
# the webhook's inserts of opens and clicks (most events) from paying for them.
Index(
    "ix_event_bounce_email", event.c.email, sqlite_where=event.c.bounce_type.is_not(None), postgresql_where=event.c.bounce_type.is_not(None)
)
Index(
    "ix_event_group_email",
    event.c.email,
    sqlite_where=event.c.event.in_(("group_unsubscribe", "group_resubscribe")),
    postgresql_where=event.c.event.in_(("group_unsubscribe", "group_resubscribe")),
)

suppression = Table(
    "suppression",
    metadata,
    Column("email_key", Text, primary_key=True),
    Column("reason", String(20), nullable=False),  # models.SuppressionReason
    Column("source", String(20), nullable=False),  # webhook, import, sync, manual, forget
    Column("note", Text),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The send's check of every spelling of its Gmail addresses (store/inboxes.py) seeks ranges of the
# suppression key in code-point order: COLLATE "C" on a PostgreSQL log of another collation, which the
# key's own index does not serve (each range read the whole list: seconds a request; review 27a).
# Upgrade step 14 adds it to an older log.
SUPPRESSION_CODE_POINT_INDEX = 'CREATE INDEX IF NOT EXISTS ix_suppression_key_c ON suppression (email_key COLLATE "C")'
sqlalchemy_event.listen(suppression, "after_create", DDL(SUPPRESSION_CODE_POINT_INDEX).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]

# Who was taken off the suppression list, when and why: `suppressions remove --reason` keeps
# the answer to "why are we mailing this journalist again?".
suppression_removal = Table(
    "suppression_removal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email_key", Text, nullable=False, index=True),
    Column("previous_reason", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("removed_at", UTCDateTime(), nullable=False),
)

# Promise 9: exactly what a campaign sent, kept with it (send/archive.py writes it with the
# campaign row). Nothing personal: the parts in token form, and the request body every
# recipient shares (no personalizations). ``mailer show`` rebuilds any journalist's email from
# it and their message row.
archive = Table(
    "archive",
    metadata,
    Column("campaign_id", String(120), ForeignKey("campaign.id"), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("preheader", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("tokens", JSON, nullable=False),  # token -> [field, context, [[step, argument], ...]]
    Column("body", JSON, nullable=False),  # the common Mail Send body; parts and attachment bytes by reference
    Column("created_at", UTCDateTime(), nullable=False),
)

# Attachment bytes, one row per distinct content (SHA-256), shared by every campaign that sent it.
attachment = Table(
    "attachment",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Events that could not be read (issue 11): kept raw, with the reason, instead of failing the
# batch they came in. ``digest`` (SHA-256 of where, reason and raw) makes a re-import of the
# same file, or a retried batch, add nothing.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("source", String(20), nullable=False),  # webhook or import
    Column("origin", Text, nullable=False),  # "events.json line 14", "event 3", "body"
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # safe text: ASCII JSON, or bytes with \xNN escapes
    Column("received_at", UTCDateTime(), nullable=False),
)

# Folders mailer wrote journalists' data to on its own (a dry run's outbox, `mailer show`'s preview
# folder), absolute: `mailer forget` erases in each wherever it runs (without a mailer.toml, those
# folders are under the folder mailer ran in, while the log is in the user's data folder). A new
# table, no upgrade step: create_all adds it to an older log, and an older mailer leaves it alone.
written_folder = Table(
    "written_folder",
    metadata,
    Column("path", Text, primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Files `mailer show -o FILE` wrote (and the HTML page `--open` wrote beside one), absolute: the
# folder is the user's own, so `mailer forget` erases those files and nothing else there (walking a
# home folder and deleting every page or note naming the address would go past what it promises).
# A new table, no upgrade step, as written_folder.
written_file = Table(
    "written_file",
    metadata,
    Column("path", Text, primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The pages `mailer preview --contact` wrote for one journalist (absolute path, her address as the
# log keys it, the SHA-256 of what was written): they show her name and outlet, seldom her address,
# so `mailer forget` deletes each one still as written, whatever it holds, and drops her rows here
# (review 14 #1). A page written again since (another journalist's preview) is no longer hers, and
# stays. A new table, no upgrade step, as written_folder.
contact_page = Table(
    "contact_page",
    metadata,
    Column("path", Text, primary_key=True),
    Column("email_key", Text, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The rows of a large plan not yet in ``message`` (store/plan_parts.py): the run moves each part
# there before a request to one of its rows leaves, and deletes it. Upgrade step 13 keeps an older
# press-mailer, which would not know them, from opening a log that may hold them.
plan_part = Table(
    "plan_part",
    metadata,
    Column("campaign_id", String(120), ForeignKey("campaign.id"), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("rows", Integer, nullable=False),
    Column("planned", Integer, nullable=False),  # of them, rows of journalists to mail
    Column("size", Integer, nullable=False),  # bytes of the MessagePack before compression
    Column("data", LargeBinary, nullable=False),  # zstd
    Column("created_at", UTCDateTime(), nullable=False),  # the plan's time: its rows' created_at
)

# Who another delivery log sent which release (store/carried.py), carried over by `mailer carry-over`
# when an office moves to a new log (its own SQLite file to the team's PostgreSQL): promise 8 then
# holds across the move, as the plan skips them "already received in" that log's campaign (newcomer
# 26: a send of the same release from the team's log mailed them again). Only those it went out to
# (sending, accepted, unknown). ``origin`` names the log they came from. New tables, no upgrade step,
# as written_folder.
carried_campaign = Table(
    "carried_campaign",
    metadata,
    Column("origin", Text, primary_key=True),  # the log it was carried from: an SQLite file's absolute path, or a URL without password
    Column("campaign_id", String(120), primary_key=True),  # its id there
    Column("release_path", Text, nullable=False),
    Column("release_key", Text),  # the release file inside the office folder (campaigns.RELEASE)
    Column("content_hash", String(64), nullable=False),
    Column("versions", JSON),  # language -> content hash of each version; NULL when that log did not keep them
    Column("subject", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("carried_at", UTCDateTime(), nullable=False),
)
Index("ix_carried_campaign_content", carried_campaign.c.content_hash)
carried_message = Table(
    "carried_message",
    metadata,
    Column("origin", Text, primary_key=True),
    Column("campaign_id", String(120), primary_key=True),
    Column("email_key", Text, primary_key=True),  # lower-cased address
    Column("language", String(35)),  # the version it got
    Column("state", String(10), nullable=False),  # sending, accepted or unknown there
)
Index("ix_carried_message_address", carried_message.c.email_key)
