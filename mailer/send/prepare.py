"""Before a send: read the release and lists, apply filters and suppressions, build the plan.

Nothing here writes to the log or makes a request. ``Prepared`` carries what a person must
see (the plan, warnings) and confirm (``questions``), and the reason the send must not start
at all, if there is one (``check``): nobody to send to, an embargo not yet lifted, no postal
address for a live send.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from mailer import compose, contacts, unsubscribe
from mailer import scheduled as scheduled_words
from mailer.compose import labels, release
from mailer.compose.render import EXAMPLE_POSTAL_WORDS, example_postal_address
from mailer.compose.versions import language_name
from mailer.config import Config, reserved_for_examples
from mailer.config_files import logged_list_paths, office_of
from mailer.contacts import headers
from mailer.contacts.addresses import typed_key
from mailer.contacts.listfile import display_name
from mailer.counting import all_of, counted
from mailer.errors import ConfigError, ListError, ReleaseError, SendError, TemplateError
from mailer.models import (
    NO_CONSENT_IN_LIST,
    OPTED_OUT_IN_LIST,
    CampaignStatus,
    Contact,
    ContactList,
    ContactTable,
    Filter,
    MessageState,
    Mode,
    RejectedRow,
    RejectReason,
    Rendered,
    SuppressionReason,
    suppressed_apart,
    texts,
)
from mailer.send import follow_up, lease, reached, recipients, schedule, status
from mailer.send import plan as plan_module
from mailer.send.dispatch import utcnow
from mailer.store import campaigns, carried, clock, follow_ups, messages
from mailer.store import suppressions as suppression_store
from mailer.store.bulk import chunks
from mailer.store.failures import display_url, in_words

__all__ = ["Prepared", "held_other_version", "prepare_follow_up", "prepare_send", "prepare_test"]


@dataclass(frozen=True)
class Prepared:
    """A send ready to start: its plan, and what a person must see or confirm first.

    `mailer send` asks, in order: each of ``questions``; ``correction`` when set (a "no" sends
    ``without_correction()``); and, when ``never_test_sent``, "Send it anyway, without a test
    send?" (unless --no-test-ok). A script that asks its own person asks the same. ``check()``
    raises ``problem`` (SendError or ConfigError) when the send must not go at all.
    """

    plan: plan_module.Plan
    mode: Mode
    slug: str
    lists: tuple[str, ...]
    filters: Mapping[str, Any]
    sender: Mapping[str, Any]  # from_email, from_name, reply_to as this send uses them
    scheduled: datetime | None = None
    is_test: bool = False
    warnings: tuple[str, ...] = ()  # suppression overrides and the release's own warnings
    questions: tuple[str, ...] = ()  # to confirm before a live send, in order
    # A correction: "Send the corrected version to those N journalists too?", asked after the
    # questions; "no" sends to the others only (``without_correction``; newcomer 10 #3).
    correction: str | None = None
    earlier_version: Mapping[str, str] = field(default_factory=dict, repr=False)  # address -> the campaign that reached them
    never_test_sent: bool = False  # this exact content was never test-sent to staff, or only from another sender
    # When the content was test-sent, but from another From or Reply-To: what to say instead of
    # "This exact content was never test-sent" (review 18p #1).
    untested: str = ""
    include_previous: bool = False  # send even to journalists who already received this content
    # Per list, the columns of its own that turned rows away, for the plan's Skipped line (review 22b #8)
    turned_away: tuple[str, ...] = ()
    follow_up_of: str | None = None  # the campaign this send follows up (prepare_follow_up)
    follow_up: str | None = None  # the plan's line about it: "312 of 1,000 journalists of ...: 600 opened, ..."
    problem: SendError | ConfigError | TemplateError | None = field(default=None, repr=False)
    # The suppressed addresses the plan knew of: those suppressed later (while the question waited)
    # are skipped when the campaign is written (delivery.record; review 9b). None: not checked again.
    suppressions_seen: frozenset[str] | None = field(default=None, repr=False)
    # When it was planned (the wall clock): with --include-previous, those another send of the release
    # reached after it (while its question waited) are skipped when it is written (review 24s #4).
    planned_at: datetime | None = field(default=None, repr=False)

    @property
    def rendered(self) -> Rendered:
        return self.plan.rendered

    def check(self) -> None:
        """Raise the reason this send must not start, if there is one: SendError (nobody to send to,
        the embargo, a time too close) or ConfigError (no postal address, an example sender)."""
        if self.problem is not None:
            raise self.problem

    def without_correction(self) -> Prepared:
        """This send without the journalists an earlier version of the release reached (the answer
        "no" to ``correction``): skipped as not sent the correction, the others still sent to."""

        def reason(key: str) -> tuple[str, str] | None:
            campaign_id = self.earlier_version.get(key)
            if campaign_id is None:
                return None
            return RejectReason.NOT_CORRECTED.value, f"received an earlier version in {campaign_id}; not sent the correction"

        fewer, _ = plan_module.skip_for(self.plan, reason)
        return replace(self, plan=fewer, correction=None, earlier_version={})


@in_words
def prepare_send(
    engine: Engine,
    config: Config,
    release_path: Path | str,
    list_paths: Sequence[Path | str] | Path | str,
    *,
    where: Sequence[str] | str = (),
    tags: Sequence[str] | str = (),
    dry_run: bool = False,
    at: str | datetime | None = None,
    overrides: Sequence[str] | str = (),
    force_embargo: bool = False,
    include_previous: bool = False,
    now: datetime | None = None,
) -> Prepared:
    """Plan a send of a release to press lists; never writes. ``prepared.check()`` then raises
    when it must not go (nobody to send to, the embargo, no postal address).

    Raises ReleaseError or TemplateError for a release that cannot be rendered, ListError for a
    list that cannot be used or a --where that is not a filter, SendError for an ``at`` time
    mailer cannot read, StoreError when the log fails.

    Journalists an earlier live campaign already sent this exact content are skipped ("already
    received in CAMPAIGN") unless ``include_previous``. When an earlier live campaign came from
    the same release file with other content (a correction), a question says how many of these
    journalists got that earlier version.
    """
    from mailer.contacts.loader import list_paths as named_lists

    # One path alone is one list, not a list of its letters; named in the log as `mailer send` names it.
    list_paths = logged_list_paths(named_lists(list_paths), office_folder(config))
    release_path = Path(release_path)
    overrides, where, tags = texts(overrides), texts(where), texts(tags)  # one value alone, not its letters
    planned_at = utcnow(engine)  # the wall clock, whatever ``now`` a script gives: rows others log after it were not seen
    embargo_now = now or clock.earliest(engine)  # never early, whichever clock is ahead (store.clock)
    now = now or planned_at
    scheduled = schedule.parse_at(at, now=now, office_zone=config.reports.time_zone) if at else None
    versions = list(compose.render_versions(release.load(release_path), config=config, now=embargo_now).values())
    rendered = versions[0]
    chosen = contacts.parse_filter(where, tags)
    loaded = contacts.load(list_paths, prefer=chosen, consent_on=delivery_day(scheduled))
    contact_list = contacts.apply_filter(loaded, chosen)
    mode = Mode.DRY_RUN if dry_run else Mode.LIVE
    with engine.connect() as connection:
        planned = _planned(
            connection, config, versions, contact_list, release_path, mode, overrides=overrides, include_previous=include_previous
        )
        # Suppressions do not end it: `mailer suppressions sync` fills a new log's list from SendGrid, not its sends (review 17y).
        new_log = mode is Mode.LIVE and not campaigns.count(connection, mode=Mode.LIVE)
        left_behind = _left_behind(connection, config, engine, new_log=new_log) if mode is Mode.LIVE else None
        forgotten_behind = _forgotten_behind(connection, config, engine) if mode is Mode.LIVE else []
        moved_in = new_log and bool(carried.carried(connection))  # an old log carried over: this one knows who had what
    the_plan, warnings, questions = planned.plan, planned.warnings, planned.questions
    if new_log and not moved_in:
        warnings.insert(0, new_log_warning(engine.url.render_as_string(hide_password=False)))  # the log in use, whatever the config says
    if mode is Mode.DRY_RUN:
        warnings.extend(_embargo_note(rendered, release_path, scheduled, embargo_now, force=force_embargo))
    warnings.extend(_forced_past_embargo(rendered, mode, scheduled or embargo_now, force=force_embargo, scheduled=scheduled))
    warnings.extend(_dated_before_delivery(release_path, scheduled))
    warnings.extend(forgotten_behind)
    # Which address of a cell of several is mailed: said by `lists check`, and here for an office
    # that sends without checking first (review 18h #11).
    warnings.extend(f"{summary.path}: {note}" for summary in loaded.files for note in summary.send_notes)
    warnings.extend(_misspelt(the_plan))  # "gmail.con": valid, so mailed, and it bounces (newcomer 26 #8)
    problem: SendError | ConfigError | TemplateError | None = None
    stale_problem = None
    if mode is Mode.LIVE and planned.stale is not None:  # older than a colleague's version (newcomer 22 #1)
        stale_problem = _stale_problem(
            planned.stale, planned.held_earlier, {} if include_previous else planned.earlier_version, include_previous=include_previous
        )
    if left_behind is not None:  # first: what the old log holds changes whom the plan skips (review 27b)
        problem = left_behind
    elif not the_plan.recipients:
        turned_away = [row for row in loaded.rejected if row.reason is RejectReason.SUPPRESSED]
        problem = _nobody(
            the_plan,
            list_paths,
            planned,
            filtered_on=_values_held(loaded.contacts, chosen),
            opted_out=len(turned_away),
            without_consent=sum(1 for row in turned_away if row.without_consent),
            turned_away_people=len({typed_key(row.email)[0] for row in turned_away}),
            dry_run=mode is Mode.DRY_RUN,
        )
    elif stale_problem is not None:
        problem = stale_problem
    elif mode is Mode.LIVE and planned.held_earlier:
        problem = _held_earlier_problem(planned.held_earlier, planned.late_cancelled)
    elif mode is Mode.LIVE:
        problem = left_behind or _live_problem(rendered, config, scheduled or embargo_now, force_embargo=force_embargo, versions=versions)
        warnings.extend(_cancel_window(scheduled, now))
        questions.insert(0, f"Send this release to {counted(len(the_plan.recipients), 'journalist')}?")
    return Prepared(
        plan=the_plan,
        mode=mode,
        slug=_slug(release_path),
        lists=tuple(map(display_name, list_paths)),
        filters={
            "where": list(where),
            "tag": list(tags),
            **_overrides(overrides),
            **_delimiter(contacts.shared_delimiter(loaded)),
            **_office_path(config, release_path),
            **_sources(versions),
        },
        sender=_sender(rendered, config),
        scheduled=scheduled,
        warnings=tuple(warnings),
        questions=tuple(questions),
        correction=planned.correction,
        earlier_version=planned.earlier_version,
        never_test_sent=planned.never_test_sent and mode is Mode.LIVE,
        untested=planned.untested,
        suppressions_seen=planned.suppressions_seen,
        include_previous=include_previous,
        problem=problem,
        turned_away=turned_away_by(loaded.rejected),
        planned_at=planned_at,
    )


def turned_away_by(rejected: Iterable[RejectedRow]) -> tuple[str, ...]:
    """Per list, the columns of its own (opt-out, consent) that turned rows away, with how many and why:
    'lists/beat.csv: "DNC" 1 opted out, "Newsletter opt-in" 2 without consent (...)'. The plan said only
    "2 without consent" (review 22b #8: a heading read as consent by mistake could not be told apart)."""
    import re

    per_list: dict[str, Counter[tuple[str, str]]] = {}
    ending: dict[str, Counter[str]] = {}  # per list: the day the email goes out -> rows whose consent ends before it
    for row in rejected:
        if row.reason is not RejectReason.SUPPRESSED:
            continue
        named = re.search(r'\("(.*)"(?:: .*| is empty)\)$', row.detail, flags=re.DOTALL)
        column = named[1] if named else ""  # "(row 4 says so)": another row of the address
        why = "without consent" if row.without_consent else "opted out" if row.detail.startswith(OPTED_OUT_IN_LIST) else ""
        if why:
            per_list.setdefault(row.source, Counter())[column, why] += 1
        before = re.search(r", before the email goes out on (\S+)\)$", row.detail)
        if before:
            ending.setdefault(row.source, Counter())[before[1]] += 1
    lines = []
    for source, counts in per_list.items():
        parts = [f'"{column}" {n:,} {why}' for (column, why), n in sorted(counts.items()) if column]
        others = sum(n for (column, _), n in counts.items() if not column)
        if others:
            parts.append(f"{others:,} as another row of the address says")
        # review 24s #2: lists check reads consent for today, and names no row whose consent runs until the scheduled day
        late = [f"{n:,} of them because their consent ends before the email goes out on {day}" for day, n in ending.get(source, {}).items()]
        lines.append(f"{source}: {', '.join(parts + late)} (mailer lists check {source} names each row)")
    return tuple(lines)


# A live send from a delivery log that has never sent live (newcomer 17: a
# colleague's mailer.toml without the team's [database] url started a new, empty log, and a live
# send from it would mail every journalist who unsubscribed, bounced or already had the release).
NEW_LOG_WARNING = (
    "This delivery log has never sent a live release: it cannot skip journalists who already had this release, or "
    "who unsubscribed or bounced, through your office's usual log. If your office keeps its log elsewhere (your "
    "team's shared log on a database server, another folder's out/mailer.db), stop here and set [database] url in "
    "mailer.toml; if this is your office's first send from this log, go ahead."
)


def _left_behind(connection: Connection, config: Config, engine: Engine, *, new_log: bool) -> SendError | None:
    """The refusal of a live send while an earlier log of this office (``earlier.left_behind``) holds
    what this log does not know: live sends not carried over (their journalists would get the same
    release again; newcomer 26's promise 8), or, for this log's first live send, suppressions while it
    holds none (the team's new shared log would mail again the journalists who bounced, unsubscribed
    or were forgotten: newcomer 26 #7). `mailer carry-over` (the hint) ends it."""
    import shlex

    from sqlalchemy import func, select

    from mailer.store import earlier
    from mailer.store.schema import suppression

    url = engine.url.render_as_string(hide_password=False)
    found = earlier.left_behind(config, url)
    if found is None:
        return None
    path, suppressed, live = found
    uncarried = carried.missing(connection, earlier.live_sends(path)) if live else []
    outgrown: list[str] = []
    if live:  # carried, then resumed from that log (or still sending as it was carried): review 27b
        origin = str(path.resolve())  # as `mailer carry-over` names it
        here = {one.campaign_id for one in carried.carried(connection) if one.origin == origin and one.campaign_id not in uncarried}
        counts = earlier.went_out(path, sorted(here))
        outgrown = carried.outgrown(connection, origin, counts, lambda cid: earlier.went_out_to(path, cid))
    called_off = carried.cancelled_since(connection, str(path.resolve()), earlier.cancelled(path)) if live else []
    unsuppressed = bool(suppressed) and new_log and not connection.scalar(select(func.count()).select_from(suppression))
    since = carried.last_carried(connection, str(path.resolve())) if suppressed and not unsuppressed else None
    if since is not None:  # suppressed there after the carry-over (a colleague still on it): review 27b
        later = earlier.suppressed_since(path, since)
        later -= (
            set(connection.scalars(select(suppression.c.email_key).where(suppression.c.email_key.in_(list(later))))) if later else set()
        )
        unsuppressed, suppressed = bool(later), len(later)
    elif suppressed:  # no carried campaign dates a carry-over (that log sent none): its suppressions one by one (carry28)
        unsuppressed, suppressed = _unknown_suppressions(connection, path, first=unsuppressed)
    if not uncarried and not outgrown and not unsuppressed and not called_off:
        return None
    hint = f"Carry them over first: mailer carry-over {shlex.quote(str(path))}, and send again. If that log is not your office's any more, "
    hint += "move it out of the way."
    # Carried, then cancelled there (a scheduled send called off): nobody had it (review 27b).
    off = (
        f"{path}, the log this office used before, holds {counted(len(called_off), 'send')} cancelled there since it was carried over "
        f"({', '.join(called_off[:3])}{', ...' if len(called_off) > 3 else ''}): nobody had it, yet a send from this delivery log "
        f"({display_url(url)}) would skip its journalists as having had it."
        if called_off
        else ""
    )
    if not uncarried and not outgrown and not unsuppressed:
        return SendError(
            f"Nothing sent: {off}", hint=hint.replace("Carry them over first", "Carry that log over again (it takes them out)")
        )
    held, whom = [], []
    if unsuppressed:
        held.append(counted(suppressed, "suppressed address", "suppressed addresses"))
        whom.append("journalists who bounced, unsubscribed or were forgotten")
    if uncarried or outgrown:
        whom.append(f"{'those' if unsuppressed else 'journalists'} who already had a release it sent")
    if uncarried:
        held.append(f"{counted(len(uncarried), 'live send')} ({_some(uncarried)})")
    parts = [f"{' and '.join(held)} that this delivery log ({display_url(url)}) does not know of"] if held else []
    if outgrown:  # carried, yet it knows only those the send had reached then (carry28: "does not know of" was wrong)
        one = len(outgrown) == 1
        parts.append(
            f"{counted(len(outgrown), 'live send')} ({_some(outgrown)}) that went out to more journalists there after "
            f"{'it was' if one else 'they were'} carried over into this delivery log"
            + ("" if held else f" ({display_url(url)}), which does not know who had {'it' if one else 'them'} since")
        )
    if not held:
        hint = hint.replace("Carry them over first", "Carry that log over again (it adds who had them since)")
    return SendError(
        f"Nothing sent: {path}, the log this office used before, holds {', and '.join(parts)}: a send from it would mail "
        f"again {' and '.join(whom)}.{' ' + off if off else ''}",
        hint=hint,
    )


def _unknown_suppressions(connection: Connection, path: Path, *, first: bool) -> tuple[bool, int]:
    """Whether the earlier log at ``path`` suppresses addresses this log does not know of, and how many: neither
    suppressed here nor taken off this list since that log suppressed them (carried, then lifted: she asked to be
    mailed again). Asked for this log's first live send while it holds no suppression (``first``), and once some of
    that log's are here (it was carried): a bounce added there since must come over too (carry28: with no
    campaign carried, nothing said when, and the team's log mailed her)."""
    from sqlalchemy import select

    from mailer.store import earlier
    from mailer.store.bulk import chunks
    from mailer.store.schema import suppression

    theirs = earlier.suppressions_of(path)
    held: set[str] = set()
    for chunk in chunks(list(theirs), 500):
        held.update(connection.scalars(select(suppression.c.email_key).where(suppression.c.email_key.in_(chunk))))
    if not first and not held:  # never carried here: an office's own old file, as before (the first send's check)
        return False, 0
    lifted: dict[str, datetime] = {}
    for removal in suppression_store.removals(connection):  # newest first
        lifted.setdefault(removal.email_key, removal.removed_at)
    left = [key for key, at in theirs.items() if key not in held and (key not in lifted or lifted[key] < at)]
    return bool(left), len(left)


def _forgotten_behind(connection: Connection, config: Config, engine: Engine) -> list[str]:
    """The warning when this office's earlier log forgot journalists (`mailer forget`) after it was carried over
    here, whom this log still holds among who had which release: already suppressed here (a bounce carried
    before), they are not mailed, so no send is refused, and nothing else would ask for the carry-over that
    erases them (carry28)."""
    import shlex

    from mailer.store import earlier

    found = earlier.left_behind(config, engine.url.render_as_string(hide_password=False))
    since = carried.last_carried(connection, str(found[0].resolve())) if found is not None and found[1] else None
    if found is None or since is None:
        return []
    held = carried.holding(connection, earlier.suppressed_since(found[0], since, reason=SuppressionReason.FORGOTTEN.value))
    if not held:
        return []
    words = (
        f"{found[0]}, the log this office used before, forgot {counted(len(held), 'journalist')} since it was carried over into "
        f"this delivery log (mailer forget), whom this log still holds among who had which release. Run mailer carry-over "
        f"{shlex.quote(str(found[0]))} to erase them here too."
    )
    return [words]


def _some(campaign_ids: list[str]) -> str:
    """The first three of ``campaign_ids``, then "..." for the rest."""
    return ", ".join(campaign_ids[:3]) + (", ..." if len(campaign_ids) > 3 else "")


def _misspelt(the_plan: plan_module.Plan) -> list[str]:
    """The plan's warning of recipients whose address's domain is likely a typo (``addresses.misspelt_warning``):
    only those it mails (newcomer 28 #6: a bounced, suppressed "gmail.con" was still named, as if about to be mailed)."""
    import numpy as np
    import pyarrow as pa

    from mailer.contacts.addresses import misspelt_warning
    from mailer.models import ContactTable

    people = the_plan.contact_list.contacts
    emails = people.column("email") if isinstance(people, ContactTable) else pa.array([c.email for c in people], pa.string())
    found = misspelt_warning(emails.filter(pa.array(np.asarray(the_plan.request_of) != plan_module.SKIPPED)))
    return [found] if found else []


def new_log_warning(url: str) -> str:
    """NEW_LOG_WARNING naming the log: `-q` and `--json` print no "Log:" line (newcomer 17b #7)."""
    return f"{NEW_LOG_WARNING} This log: {display_url(url)}."


def _forced_past_embargo(rendered: Rendered, mode: Mode, goes_out: datetime, *, force: bool, scheduled: datetime | None) -> list[str]:
    """The plan's word on a live send forced past the embargo (newcomer 28 #7: it said nothing of it); a dry run
    stays quiet (test_preflight)."""
    if mode is not Mode.LIVE or not force or rendered.embargo is None or goes_out >= rendered.embargo:
        return []
    when = f"at {schedule.describe(scheduled)}" if scheduled else "now"
    return [
        (
            f"--force-embargo: journalists get it {when}, before the embargo lifts at {schedule.describe(rendered.embargo)}; "
            "the email still says it is embargoed until then."
        )
    ]


def _cancel_window(scheduled: datetime | None, now: datetime) -> list[str]:
    """The warning of a live send scheduled inside SendGrid's 10-minute cancel window (newcomer 14 #9)."""
    note = schedule.cancel_window_note(scheduled, now=now) if scheduled is not None else None
    return [note] if note else []


def _unfinished_warning(original_id: str, unsent: int, in_flight: int = 0, *, running: bool = False) -> str:
    """The plan's word when the original has not finished (newcomer 16 #9): its journalists not sent
    yet never had the release, so no follow-up is for them (they count as "not sent"); the resume
    of the original is what reaches them. Those of a request in flight when it stopped may have
    it: named apart, in `mailer status`'s words, so the plan's "6 not sent" adds up (review 16r #10:
    it read "6 not sent" beside "2 journalists ... have not been sent"). ``running``: another process
    drives the original right now, so nothing was stopped and a resume would be refused: it says to
    let that send finish instead."""
    if running:
        waiting = unsent + in_flight
        return (
            f"{original_id} is still being sent by another process: {counted(waiting, 'journalist')} of it "
            f"{'has' if waiting == 1 else 'have'} not had the release yet, and a follow-up leaves them out. Let that "
            f"send finish (mailer status {original_id} shows how far it got), then plan the follow-up again."
        )
    were = "was" if in_flight == 1 else "were"
    settle = f"they may already have it; mailer status {original_id} says how to settle them"
    if not unsent:
        return (
            f"{counted(in_flight, 'journalist')} of {original_id} {were} on their way to SendGrid when that send stopped (no "
            f"answer logged): {settle}. A follow-up leaves them out."
        )
    have = "has" if unsent == 1 else "have"
    flying = f", and {in_flight:,} more {were} on their way to SendGrid when it stopped (no answer logged: {settle})" if in_flight else ""
    return (
        f"{counted(unsent, 'journalist')} of {original_id} {have} not been sent the release yet{flying}: that send has not "
        f"finished, and a follow-up leaves them out. Send it to {'those not sent yet' if in_flight else 'them'} with: "
        f"mailer resume {original_id}"
    )


def _held_words(original: campaigns.Campaign, *, now: datetime) -> str | None:
    """Why no follow-up of ``original`` may go out yet: a scheduled send whose time is still ahead,
    which SendGrid holds (review 24s #1: the reminder of one scheduled for the evening went out at
    once, to everyone, hours before the release itself). Who opened, clicked or received it can be
    known only from its events, after that time, and a follow-up chosen now, even one scheduled
    later, goes to everyone as "not opened". None once its time has passed."""
    if original.scheduled_at is None or original.scheduled_at <= now:
        return None
    return (
        f"{original.id} has not gone out yet: SendGrid holds it until {schedule.describe(original.scheduled_at)}, so none of "
        "its journalists has it, and nobody can know who opened or received it. A follow-up now would reach them before "
        "the release itself."
    )


def _no_events_warning(original_id: str, described: str) -> str:
    """The plan's word when the log holds no event of the original (newcomer 14 #7): opens, clicks
    and deliveries are known only from SendGrid's events, so "not opened" would be everyone and
    "opened" no one."""
    return (
        f"The delivery log holds no SendGrid event of {original_id} (opens, clicks, deliveries): none was imported "
        f'and the webhook received none. So nobody is known to have opened, clicked or received it, and "{described}" '
        "is decided as if nothing happened. Bring SendGrid's events in first (mailer events import FILE, or run "
        "mailer webhook), then plan the follow-up again."
    )


@in_words
def prepare_follow_up(
    engine: Engine,
    config: Config,
    release_path: Path | str,
    original_id: str,
    *,
    who: str,
    list_paths: Sequence[Path | str] | Path | str = (),
    where: Sequence[str] | str = (),
    tags: Sequence[str] | str = (),
    dry_run: bool = False,
    at: str | datetime | None = None,
    overrides: Sequence[str] | str = (),
    force_embargo: bool = False,
    include_previous: bool = False,
    now: datetime | None = None,
) -> Prepared:
    """Plan a follow-up of the live campaign ``original_id`` to the journalists ``who`` names; never writes.

    ``who`` is a key of ``follow_up.WHO`` (not-opened, opened, clicked, not-clicked, delivered).
    The recipients are the original's journalists that match, with the original's contact
    fields, less those who bounced since, suppressed addresses, and (when ``list_paths`` are
    given) anyone not on those lists; ``where`` / ``tags`` narrow them as in any send. See
    send/follow_up.py for the order reasons are counted in. Raises SendError for a ``who`` that
    is not one of those, or when the original is not in the log, or is a dry run, a test send or
    a cancelled send.
    """
    from mailer.contacts.loader import list_paths as named_lists

    if who not in follow_up.WHO:  # was a bare KeyError from deep inside (newcomer 16py)
        raise SendError(
            f'Follow-up: "{who}" is not a group of journalists mailer knows.',
            hint=f"Choose who= one of: {', '.join(follow_up.WHO)} (as mailer send --follow-up ... --who offers).",
        )
    list_paths = logged_list_paths(named_lists(list_paths), office_folder(config))
    release_path = Path(release_path)
    overrides, where, tags = texts(overrides), texts(where), texts(tags)
    planned_at = utcnow(engine)  # the wall clock, as prepare_send keeps it
    embargo_now = now or clock.earliest(engine)
    now = now or planned_at
    scheduled = schedule.parse_at(at, now=now, office_zone=config.reports.time_zone) if at else None
    versions = list(compose.render_versions(release.load(release_path), config=config, now=embargo_now).values())
    rendered = versions[0]
    narrowing = contacts.load(list_paths, consent_on=delivery_day(scheduled)) if list_paths else None
    on_lists = {c.email_key for c in narrowing.contacts} if narrowing is not None else None
    mode = Mode.DRY_RUN if dry_run else Mode.LIVE
    with engine.connect() as connection:
        original = _original(connection, original_id)
        waiting = messages.counts(connection, original.id)
        unsent = waiting[MessageState.PLANNED.value] + waiting[MessageState.SENDING.value]
        flying = messages.planned_in(connection, original.id, campaigns.in_flight(connection, original.id)) if unsent else 0
        unsent -= flying
        running = bool(unsent or flying) and lease.driving(connection, original.id, now=now) is not None
        bounced_later = follow_ups.bounced_since(connection, original.id, since=original.created_at)
        without_events = not follow_ups.has_events(connection, original.id)
        kept_out, unread, broken, _ = kept_out_now(
            original,
            list_paths,
            office=office_folder(config),
            earlier=followed_up(connection, original),
            consent_on=delivery_day(scheduled),
        )
        selection = follow_up.select(
            follow_ups.journalists(connection, original.id),
            original=original.id,
            who=who,
            bounced_later=bounced_later,
            on_lists=on_lists,
            kept_out=kept_out,
        )
        contact_list = contacts.apply_filter(selection.contacts, contacts.parse_filter(where, tags))
        planned = _planned(
            connection, config, versions, contact_list, release_path, mode, overrides=overrides, include_previous=include_previous
        )
    the_plan, warnings, questions = planned.plan, planned.warnings, planned.questions
    described, _ = follow_up.WHO[who]
    if unread:
        warnings.insert(0, lists_not_here(original.id, unread))
    for name, why in broken.items():  # review 22b #9: one such list made the follow-up read none
        warnings.insert(0, list_unreadable(original.id, name, why))
    if without_events:
        warnings.insert(0, _no_events_warning(original.id, described))
    if unsent or flying:
        warnings.insert(0, _unfinished_warning(original.id, unsent, flying, running=running))
    held = _held_words(original, now=now)
    if mode is Mode.DRY_RUN:
        warnings.extend(_embargo_note(rendered, release_path, scheduled, embargo_now, force=force_embargo))
        if held is not None:
            warnings.insert(0, f"{held} A live follow-up is refused until then.")
    warnings.extend(_forced_past_embargo(rendered, mode, scheduled or embargo_now, force=force_embargo, scheduled=scheduled))
    problem: SendError | ConfigError | TemplateError | None = None
    received = the_plan.skipped().get(RejectReason.ALREADY_RECEIVED.value, 0)
    if mode is Mode.LIVE and held is not None and original.scheduled_at is not None:  # held: SendGrid holds it until then
        problem = SendError(
            f"{held} Nothing was logged or sent.",
            hint=f"Plan the follow-up after {schedule.describe(original.scheduled_at)}, once SendGrid's events of {original.id} "
            "are in (mailer webhook, or mailer events import).",
        )
    elif not the_plan.recipients and received:
        # newcomer 23py #3: a follow-up with the release itself ("resend to non-openers") was "none of the 41
        # journalists is left", while the report showed 40 who had not opened: each had this release already.
        problem = SendError(
            f"Nobody to follow up: the {counted(received, 'journalist')} of {original.id} left ({described}) already "
            "received this exact release.",
            hint="A follow-up usually sends a new release (a reminder): write one and plan the follow-up with it. To send "
            "this same release to them again, add --include-previous (in Python: include_previous=True).",
        )
    elif not the_plan.recipients:
        problem = SendError(
            f"Nobody to follow up: none of the {counted(selection.total, 'journalist')} of {original.id} is left ({described}).",
            hint=f"`mailer report {original.id}` shows who opened, clicked and bounced.",
        )
    elif mode is Mode.LIVE:
        problem = _live_problem(rendered, config, scheduled or embargo_now, force_embargo=force_embargo, versions=versions)
        warnings.extend(_cancel_window(scheduled, now))
        questions.insert(0, f"Send this follow-up to {counted(len(the_plan.recipients), 'journalist')}?")
    return Prepared(
        plan=the_plan,
        mode=mode,
        slug=_slug(release_path),
        lists=(f"{original.id} ({described})", *map(display_name, list_paths)),
        filters={
            "where": list(where),
            "tag": list(tags),
            "follow_up": {"of": original.id, "who": who},
            **_overrides(overrides),
            # The lists it is narrowed to, else the original's: its journalists came from those.
            **_delimiter(contacts.shared_delimiter(narrowing) if narrowing is not None else original.delimiter),
            **_office_path(config, release_path),
            **_sources(versions),
        },
        sender=_sender(rendered, config),
        scheduled=scheduled,
        warnings=tuple(warnings),
        questions=tuple(questions),
        correction=planned.correction,
        earlier_version=planned.earlier_version,
        never_test_sent=planned.never_test_sent and mode is Mode.LIVE,
        untested=planned.untested,
        suppressions_seen=planned.suppressions_seen,
        include_previous=include_previous,
        follow_up_of=original.id,
        follow_up=follow_up.describe(selection, len(the_plan.recipients), the_plan.skipped()),
        problem=problem,
        planned_at=planned_at,
    )


@dataclass(frozen=True)
class _Planned:
    plan: plan_module.Plan
    warnings: list[str]  # suppression overrides, every version's warnings (each once), an earlier version's reach
    questions: list[str]  # to confirm before a live send
    never_test_sent: bool
    waiting: dict[str, int] = field(default_factory=dict)  # campaign -> journalists skipped as waiting in it
    untested: str = ""  # why it counts as never test-sent, when its content was (Prepared.untested)
    sending: dict[str, int] = field(default_factory=dict)  # campaign -> journalists skipped: it is sending to them now
    suppressions_seen: frozenset[str] = frozenset()  # the suppressed addresses when it was planned
    correction: str | None = None  # the correction question (Prepared.correction)
    earlier_version: Mapping[str, str] = field(default_factory=dict)  # who got an earlier version -> where
    # campaign -> (journalists skipped: SendGrid holds this release for them until, the time)
    scheduled: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    # campaign -> (journalists it holds an earlier version for, until): a live send now would mail them twice
    held_earlier: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)  # campaign -> journalists skipped whose request's fate is unknown there
    # campaign of ``scheduled`` or ``held_earlier`` -> what to do after its late cancel (status.late_cancel_words):
    # waiting for its time, not the same cancel again (newcomer 13 #7)
    late_cancelled: dict[str, str] = field(default_factory=dict)
    # campaign of ``waiting`` -> why a resume of it is refused (a cancel of it came late, or got no
    # answer) and what to do instead (review 18z #4: the refusal said "Finish that send with: mailer resume")
    unresumable: dict[str, str] = field(default_factory=dict)
    # This copy of the release is older than the version ``earlier_version`` or ``held_earlier``
    # names: a colleague corrected it since (newcomer 22 #1). None: it is not, or nobody can tell.
    stale: _Stale | None = None


@dataclass(frozen=True)
class _Stale:
    """A copy of the release whose text was first meant to go out (``first``, a live campaign,
    perhaps cancelled since) before another version of the release went out or was scheduled
    (``newer``: campaign -> when it was created): the newer one is the correction, not this."""

    release: str  # the release file as the command names it
    first: str
    first_at: datetime
    newer: dict[str, datetime]
    # None of these journalists had another version: the newer one went to others (review 22b #3)
    to_others: bool = False

    def words(self, campaign_id: str) -> str:
        """ "your copy, releases/x.md, is the text of A (created ...), which B (created ...) replaced"."""
        return (
            f"your copy, {self.release}, is the text of {self.first} (created {schedule.describe(self.first_at)}), "
            f"which {campaign_id} (created {schedule.describe(self.newer[campaign_id])}) replaced"
        )

    def hint(self, campaign_id: str, *, what: str) -> str:
        return f"A colleague has probably corrected the release since: send from their copy (mailer show {campaign_id} shows {what})."


def _stale_copy(
    connection: Connection, the_plan: plan_module.Plan, release_path: Path, earlier: Mapping[str, str], *, key: str | None
) -> _Stale | None:
    """``_Stale`` when the text these journalists (``earlier``: address -> a campaign of another
    version of the release) would now get was first meant to go out (a live campaign, cancelled
    or not) before any of those campaigns was made. Only their versions are compared: a version
    the correction left unchanged was in the first campaign too. When none of them had another
    version, ``_stale_to_others``: the newer version went to other journalists."""
    others = set(earlier.values())
    if not others:
        return _stale_to_others(connection, the_plan, release_path, key=key)
    versions = the_plan.all_versions
    if len(versions) == 1:
        hashes = {versions[0].content_hash}
    else:
        hashes = {versions[number].content_hash for key, number in the_plan.recipient_versions() if key in earlier}
    first = campaigns.first_live_with(connection, hashes)
    if first is None:
        return None
    made = {cid: found.created_at for cid in others if (found := campaigns.get(connection, cid)) is not None}
    newer = {cid: at for cid, at in made.items() if at > first[1]}
    return _Stale(display_name(release_path), first[0], first[1], newer) if newer else None


def _stale_to_others(connection: Connection, the_plan: plan_module.Plan, release_path: Path, *, key: str | None) -> _Stale | None:
    """``_Stale`` (``to_others``) when a version these journalists would get was first meant to go out
    before a live campaign of this release (sent, or scheduled) that gave its language another text:
    a colleague's correction, sent to other journalists (review 22b #3: the older copy, sent to a list
    that had neither version, mailed the figure the office had corrected, and nothing said so)."""
    release = campaigns.live_with(connection, release_path=str(release_path.resolve()), release_key=key)
    versions = the_plan.all_versions
    if all(content in {the_plan.content_hash, *(version.content_hash for version in versions)} for _, content in release):
        return None  # the first send of the release, or sends of this same text: nothing to walk the plan for
    used = {number for _, number in the_plan.recipient_versions()}
    mine = {versions[number].content_hash for number in used}
    others = [cid for cid, content in release if content not in mine and content != the_plan.content_hash]
    if not others:
        return None
    made = {cid: found for cid in others if (found := campaigns.get(connection, cid)) is not None}
    for number in sorted(used):
        version = versions[number]
        first = campaigns.first_live_with(connection, {version.content_hash})
        if first is None:
            continue
        newer: dict[str, datetime] = {}
        for cid, found in made.items():
            if found.created_at <= first[1]:
                continue
            theirs = campaigns.version_hashes(connection, cid)
            if theirs is None:  # logged before versions were kept: compared as a whole, for a release in one language
                differs = len(versions) == 1 and found.content_hash != version.content_hash
            else:
                differs = theirs.get(version.language) not in (None, version.content_hash)
            if differs:
                newer[cid] = found.created_at
        if newer:
            return _Stale(display_name(release_path), first[0], first[1], newer, to_others=True)
    return None


def _to_others_words(stale: _Stale) -> str:
    """A copy older than a version of the release that went to other journalists than these."""
    latest = max(stale.newer, key=lambda cid: stale.newer[cid])
    return (
        f"None of these journalists had this release, but {stale.words(latest)}: they would get the older text, not the one {latest} sent."
    )


def _planned(
    connection: Connection,
    config: Config,
    versions: Sequence[Rendered],
    contact_list: ContactList,
    release_path: Path,
    mode: Mode,
    *,
    overrides: Sequence[str],
    include_previous: bool,
) -> _Planned:
    """What a send and a follow-up share once their journalists are chosen: suppressions (with
    overrides), each version's fields checked, the plan, journalists the same content already
    reached skipped (promise 8) unless ``include_previous``, and how many got an earlier version
    of this release file (a correction: a warning, and a question before a live send)."""
    reasons = suppression_store.reasons(connection, noted=True)  # a skipped row's log says the note too (fix12r)
    contact_list, notes = recipients.suppress(contact_list, reasons, overrides, erase_forgotten=True)
    never_test_sent, untested = _untested(connection, config, versions)
    if never_test_sent and not untested:
        untested = _dated_differently(connection, config, release_path)
    defaulted = compose.unknown_fields(versions, contact_list.contacts, read_as=headers.read_as)
    _check_fields(versions, contact_list.contacts)
    the_plan = plan_module.build(
        versions[0],
        contact_list,
        batch_size=config.sendgrid.batch_size,
        reserve=unsubscribe.reserved_bytes(config),
        versions=versions[1:],  # each journalist gets the version of their language
    )
    dated_notes: list[str] = []  # journalists skipped who had this release on another day
    waiting: dict[str, int] = {}
    sending: dict[str, int] = {}  # campaign -> journalists another process is sending it to right now
    scheduled: dict[str, tuple[int, datetime]] = {}
    key = reached.office_path(config, release_path)
    found = reached.reached(connection, the_plan, release_path=release_path, release_key=key)
    if found.received and not include_previous:
        planned_there = found.planned_only()
        scheduled = _held_for_later(connection, {key: cid for key, cid in found.received.items() if key not in planned_there})
        later = {cid: schedule.describe(at) for cid, (_, at) in scheduled.items()}
        the_plan, _ = plan_module.skip_received(the_plan, found.received, waiting=planned_there.keys(), scheduled=later)
        stopped = set(_stopped(connection, sorted(set(planned_there.values()))))
        waiting = dict(Counter(cid for cid in planned_there.values() if cid in stopped))
        sending = dict(Counter(cid for cid in planned_there.values() if cid not in stopped))
    elif include_previous:  # who had it is mailed again; who a scheduled send holds has nothing yet (review 24s #5)
        held, scheduled = _held_elsewhere(connection, the_plan, release_path, key)
        later = {cid: schedule.describe(at) for cid, (_, at) in scheduled.items()}
        the_plan, _ = plan_module.skip_received(the_plan, held, scheduled=later)
    got_earlier = found.earlier_version  # journalists of a changed version only (nc9 #17)
    if got_earlier and not include_previous:
        # The same release on another day: an undated release is dated the day it is sent, so
        # Monday's journalists read as having "an earlier version" on Tuesday (review 18p #7).
        dated = _sent_on_another_day(connection, config, release_path, set(got_earlier.values()))
        same = {key: cid for key, cid in got_earlier.items() if cid in dated}
        if same:
            the_plan, _ = plan_module.skip_received(the_plan, same)
            got_earlier = {key: cid for key, cid in got_earlier.items() if key not in same}
            for cid, count in Counter(same.values()).items():
                dated_notes.append(
                    f"{counted(count, 'journalist')} already received this release in {cid}, dated {dated[cid].isoformat()}: it has "
                    "no date: line, so each send is dated its own day, and nothing else in it changed. They are skipped; "
                    "--include-previous mails them again."
                )
        # The same release, written differently by a newer press-mailer (an upgrade changed how it inlines,
        # escapes or spaces an email): what the office wrote is unchanged, so it is no correction (lead 28).
        unchanged = _same_source(connection, versions, set(got_earlier.values()))
        version_of = dict(the_plan.recipient_versions())  # a version added since leaves the others' unchanged (review28)
        same = {
            key: cid
            for key, cid in got_earlier.items()
            if key in version_of and versions[version_of[key]].language in unchanged.get(cid, ())
        }
        if same:
            kept_back = _held_for_later(connection, same)  # a scheduled send of it: nobody has it yet, SendGrid holds it
            later = {cid: schedule.describe(at) for cid, (_, at) in kept_back.items()}
            the_plan, _ = plan_module.skip_received(the_plan, same, scheduled=later)
            scheduled = {**scheduled, **kept_back}
            got_earlier = {key: cid for key, cid in got_earlier.items() if key not in same}
            for cid, count in Counter(cid for cid in same.values() if cid not in kept_back).items():
                dated_notes.append(
                    f"{counted(count, 'journalist')} already received this release in {cid}: the release, its template "
                    "and the settings it shows are unchanged since, and only this press-mailer writes the email a little "
                    "differently (a newer version). They are skipped; --include-previous mails them again."
                )
    # An earlier version a scheduled send still holds at SendGrid: nobody has it yet, and it goes
    # out at its time whatever this send does (newcomer 12b #1: everyone mailed twice).
    stale = _stale_copy(connection, the_plan, release_path, got_earlier, key=key)  # before the held ones are taken out
    if stale is not None and stale.to_others and (mode is not Mode.LIVE or include_previous):
        warnings_stale = [_to_others_words(stale)]
    else:
        warnings_stale = []
    held_earlier = _held_for_later(connection, got_earlier)
    got_earlier = {key: cid for key, cid in got_earlier.items() if cid not in held_earlier}
    # Every version's warnings (pre-flight reads them all), each once.
    warnings = list(
        dict.fromkeys(
            [*notes, *defaulted, *(warning for version in versions for warning in version.warnings), *dated_notes, *warnings_stale]
        )
    )
    questions: list[str] = []
    correction: str | None = None
    if got_earlier:
        # Of a send whose cancel was asked late, nobody is known to have received it: say what
        # status says of it, by its events (newcomer 15 #11: "already received" where status said
        # most likely nobody got it).
        late = _late_cancel_facts(connection, set(got_earlier.values()))
        received = [cid for cid in got_earlier.values() if cid not in late]
        newer = [cid for cid in received if stale is not None and cid in stale.newer]
        if newer and stale is not None:
            warnings.append(_received_newer_words(stale, newer))
        elif received:
            shown = ", ".join(sorted(set(received)))
            warnings.append(f"{len(received):,} of these journalists already received an earlier version of this release ({shown}).")
        for cid, count in sorted(Counter(cid for cid in got_earlier.values() if cid in late).items()):
            warnings.append(
                f"{count:,} of these journalists {'was' if count == 1 else 'were'} to get an earlier version of this "
                f"release in {cid}. {late[cid]}."
            )
        if mode is Mode.LIVE:
            them = "that journalist" if len(got_earlier) == 1 else f"those {len(got_earlier):,} journalists"
            if stale is not None and any(cid in stale.newer for cid in got_earlier.values()):
                correction = f"Send this older version, not the one they had, to {them} too?"
            else:
                correction = f"Send the {_versions_named(found.changed, the_plan)} to {them} too?"
    if not got_earlier:  # a corrected copy under another name of a one-language send that stopped (nc11b)
        path = str(release_path.resolve())
        hashes = [version.content_hash for version in the_plan.all_versions]
        linked = {cid for cid, _ in campaigns.live_with(connection, content_hash=the_plan.content_hash)}
        linked |= {cid for cid, _ in campaigns.live_with(connection, version_of=hashes)}  # a copy sharing a version: compared
        for cid, earlier, left in campaigns.paused_with_subject(connection, versions[0].subject, other_than=path, other_than_key=key):
            if cid not in linked:
                warnings.append(_same_subject_words(cid, earlier, left, release_path))
    unknown = plan_module.unknown_languages(the_plan)
    if unknown:
        warnings.append(_unknown_language_words(unknown, the_plan.rendered.language))
    unresumable = _unresumable(connection, waiting)
    for cid, count in waiting.items():
        if the_plan.recipients:  # someone is left to send to: a warning; nobody is `_nobody`'s refusal
            way = unresumable.get(cid) or f"`mailer resume {cid}` sends to them; `mailer cancel {cid}` calls it off."
            warnings.append(f"{_waiting_words(cid, count)} {way}")
    for cid, count in sending.items():
        if the_plan.recipients:
            warnings.append(_sending_words(cid, count))
    unknown = dict(Counter(found.unknown.values())) if not include_previous else {}
    for cid, count in unknown.items():
        if the_plan.recipients:
            warnings.append(f"{_unknown_words(cid, count)} They are skipped; `mailer resume {cid} --resend-unknown` sends to them.")
    late_cancelled = _late_cancelled(connection, [*scheduled, *held_earlier])
    for cid, (count, at) in scheduled.items():
        if the_plan.recipients:
            way_out = late_cancelled.get(cid) or (
                _dry_run_held(cid)
                if mode is Mode.DRY_RUN
                else f"To send it to them now instead, cancel that send first: mailer cancel {cid}."
            )
            warnings.append(f"{_scheduled_words(cid, count, at)} {way_out}")
    if held_earlier and mode is not Mode.LIVE:
        warnings.append(_held_earlier_words(held_earlier, stale))
    return _Planned(
        the_plan,
        warnings,
        questions,
        never_test_sent,
        waiting,
        untested,
        sending,
        frozenset(reasons),
        correction,
        got_earlier,
        scheduled,
        held_earlier,
        unknown,
        late_cancelled,
        unresumable,
        stale,
    )


def _held_earlier_words(held: Mapping[str, tuple[int, datetime]], stale: _Stale | None = None) -> str:
    cid, (count, at) = next(iter(held.items()))
    if stale is not None and cid in stale.newer:  # this copy is the older text (newcomer 22 #1)
        return (
            f"{count:,} of these journalists {'is' if count == 1 else 'are'} scheduled to get a newer version of this "
            f"release at {schedule.describe(at)} in {cid} (SendGrid holds it until then): {stale.words(cid)}. Sending it "
            "would mail them twice, once with the older text."
        )
    return (
        f"{count:,} of these journalists {'is' if count == 1 else 'are'} scheduled to get an earlier version of this "
        f"release at {schedule.describe(at)} in {cid} (SendGrid holds it until then): sending this version now would mail "
        "them twice."
    )


def _received_newer_words(stale: _Stale, newer: Sequence[str]) -> str:
    """Journalists who already had a newer version of the release than this copy."""
    latest = max(set(newer), key=lambda cid: stale.newer[cid])
    return (
        f"{len(newer):,} of these journalists already received a newer version of this release in {latest}: "
        f"{stale.words(latest)}. Sending it would mail them twice, once with the older text."
    )


def _stale_problem(
    stale: _Stale, held: Mapping[str, tuple[int, datetime]], received: Mapping[str, str], *, include_previous: bool = False
) -> SendError | None:
    """A live send of an older copy of the release than a colleague's version that went out or is
    scheduled: nothing is sent (newcomer 22 #1: the old figure went out again, after the correction,
    to everyone, on a "Send the corrected version to them too?" that --yes answered); nor to other
    journalists than the colleague's version went to (review 22b #3), unless ``include_previous``."""
    if stale.to_others:
        if include_previous:
            return None
        latest = max(stale.newer, key=lambda cid: stale.newer[cid])
        return SendError(
            f"{_to_others_words(stale)} Nothing was logged or sent.",
            hint=f"{stale.hint(latest, what='what went out')} To send this older text all the same, add --include-previous.",
        )
    held_newer = [cid for cid in held if cid in stale.newer]
    if held_newer:
        cid = held_newer[0]
        return SendError(
            f"{_held_earlier_words({cid: held[cid]}, stale)} Nothing was logged or sent.",
            hint=f"{stale.hint(cid, what='what SendGrid holds')} Cancel {cid} only if its text is the wrong one.",
        )
    newer = [cid for cid in received.values() if cid in stale.newer]
    if not newer:
        return None
    latest = max(set(newer), key=lambda cid: stale.newer[cid])
    return SendError(
        f"{_received_newer_words(stale, newer)} Nothing was logged or sent.",
        hint=f"{stale.hint(latest, what='what went out')} To send this older text to them all the same, add --include-previous.",
    )


def _held_earlier_problem(held: Mapping[str, tuple[int, datetime]], late_cancelled: Mapping[str, str]) -> SendError:
    """A live send of a corrected release while a scheduled send holds its earlier version (after
    a late cancel of it: wait for its time, newcomer 13 #7)."""
    first = next(iter(held))
    if first in late_cancelled:
        return SendError(
            f"{_held_earlier_words(held)} Nothing was logged or sent.",
            hint=f"{late_cancelled[first]} Then send this version again: it asks before mailing those who had the earlier one.",
        )
    return SendError(
        f"{_held_earlier_words(held)} Nothing was logged or sent.",
        hint=f"Cancel that send first: mailer cancel {first} (up to 10 minutes before its time), then send again: "
        "everyone gets this version, once.",
    )


def _late_cancelled(connection: Connection, campaign_ids: Iterable[str]) -> dict[str, str]:
    """Of these campaigns, those a cancel was asked of too late to be sure (campaign -> what to do instead)."""
    found = {cid: campaigns.get(connection, cid) for cid in dict.fromkeys(campaign_ids)}
    now = utcnow(connection)
    words = {cid: status.late_cancel_words(info, now=now) for cid, info in found.items() if info is not None}
    return {cid: said for cid, said in words.items() if said is not None}


def _unresumable(connection: Connection, campaign_ids: Iterable[str]) -> dict[str, str]:
    """Of these stopped campaigns, those a resume is refused for (``campaign.check_resumable``): a
    cancel of it was asked too late to be sure, or got no answer (campaign -> the cancel's words)."""
    words = {}
    for cid in dict.fromkeys(campaign_ids):
        found = campaigns.get(connection, cid)
        now = utcnow(connection)
        said = None if found is None else status.late_cancel_words(found, now=now) or status.unanswered_cancel_words(found, now=now)
        if said is not None:
            words[cid] = f"{cid} cannot be resumed: {said}"
    return words


def _late_cancel_facts(connection: Connection, campaign_ids: Iterable[str]) -> dict[str, str]:
    """Of these campaigns, those whose time has passed after a cancel asked late: campaign -> what
    its events say of it (``scheduled.late_cancel``: most likely nobody got it, or it went out)."""
    now = utcnow(connection)
    facts: dict[str, str] = {}
    for cid in sorted(set(campaign_ids)):
        found = campaigns.get(connection, cid)
        if found is None or found.late_cancel is None or found.scheduled_at is None or found.scheduled_at > now:
            continue
        fact = scheduled_words.late_cancel(found, now=now, went_out=messages.went_out(connection, cid))
        if fact is not None:
            facts[cid] = fact
    return facts


def _held_elsewhere(
    connection: Connection, the_plan: plan_module.Plan, release_path: Path, key: str | None
) -> tuple[dict[str, str], dict[str, tuple[int, datetime]]]:
    """For --include-previous, which mails again those who had this release, never two copies at
    once: the plan's journalists a scheduled send of this same content still holds at SendGrid
    (address -> it). They have nothing yet and get it at its time whatever this send does, so
    mailed now they had two copies (review 24s #5). Also, per campaign, (how many, when it goes)."""
    now = utcnow(connection)
    same = {the_plan.content_hash, *(version.content_hash for version in the_plan.all_versions)}
    ahead: dict[str, datetime] = {}
    for cid, content in reached.compared(connection, the_plan, release_path=release_path, release_key=key).items():
        found = campaigns.get(connection, cid) if content in same else None
        if found is not None and found.scheduled_at is not None and found.scheduled_at > now:
            ahead[cid] = found.scheduled_at
    if not ahead:
        return {}, {}
    held: dict[str, str] = {}
    for some in chunks(the_plan.email_keys()):  # a list of 100,000: not one statement of 100,000 values
        for email_key, cid, _at, _answered in messages.held_for_later(connection, some, now=now):
            if cid in ahead:
                held.setdefault(email_key, cid)
    return held, {cid: (count, ahead[cid]) for cid, count in Counter(held.values()).items()}


def _held_for_later(connection: Connection, received: Mapping[str, str]) -> dict[str, tuple[int, datetime]]:
    """Of the journalists "already received" (address -> campaign), those of a scheduled send whose
    time has not come: SendGrid holds their email, nobody has it yet (review 12a #13).
    Campaign -> (how many, when it goes)."""
    now = utcnow(connection)
    held: dict[str, tuple[int, datetime]] = {}
    for cid, count in Counter(received.values()).items():
        found = campaigns.get(connection, cid)
        if found is not None and found.scheduled_at is not None and found.scheduled_at > now:
            held[cid] = (count, found.scheduled_at)
    return held


def _unknown_words(campaign_id: str, count: int) -> str:
    return (
        f"{counted(count, 'journalist')} {'was' if count == 1 else 'were'} in a request of {campaign_id} whose answer never "
        "came (unknown): SendGrid may or may not have taken it."
    )


# A dry run is no reason to call off the live send SendGrid holds (newcomer 24 #2: the dry run to the
# "Regional" journalists after scheduling the release said "To send it now instead: mailer cancel ...").
# --include-previous leaves them out too (review 24s #5), so the email to see is the one SendGrid holds
# (review 24y #3: this said to add --include-previous to see them, and that dry run said the same again).
def _dry_run_held(campaign_id: str) -> str:
    return (
        "This dry run leaves them out, as a send now would (with --include-previous too); the scheduled send is not "
        f"changed. To see the email one of them gets: mailer show {campaign_id} --contact EMAIL"
    )


def _scheduled_words(campaign_id: str, count: int, at: datetime) -> str:
    return (
        f"{counted(count, 'journalist')} {'is' if count == 1 else 'are'} scheduled to get this exact release at "
        f"{schedule.describe(at)} in {campaign_id} (SendGrid holds it until then), so they are skipped."
    )


def _same_subject_words(campaign_id: str, earlier: str, left: int, release_path: Path) -> str:
    """A stopped send with this subject from another file: if this is its corrected copy, nothing
    links the two, and resuming it would mail the old text after this one (nc11b: everyone twice)."""
    return (
        f"{campaign_id}, a send with this same subject from {Path(earlier).name}, stopped with {counted(left, 'journalist')} "
        f"not yet mailed. If {release_path.name} is its corrected copy, press-mailer cannot tell: do not resume "
        f"{campaign_id} after this send (its journalists would get the old text too), or send the correction from "
        f"{Path(earlier).name} itself, which press-mailer compares with what went out."
    )


def _versions_named(languages: Sequence[str], the_plan: plan_module.Plan) -> str:
    """The versions a correction question offers: "corrected version" for a release in one
    language; "current English version", "current English and French versions" for one in several
    (the versions those journalists would get now: corrected, or in another language than the one
    they got, a translation added since; nc9 #17)."""
    if len(the_plan.all_versions) < 2 or not languages:
        return "corrected version"
    names = [language_name(language) for language in languages]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"current {listed} version{'s' * (len(names) > 1)}"


def _unknown_language_words(unknown: Mapping[str, int], main_language: str, *, shown: int = 8) -> str:
    """Journalists whose language cell names no language (nc9 #20: "Français" and "french" silently
    got the English version; those are read now, but "française" or "n/a" still are not): which
    cells, how many journalists each, and the version they get."""
    total = sum(unknown.values())
    cells = [f'"{cell}" {count:,}' for cell, count in itertools.islice(unknown.items(), shown)]
    if len(unknown) > shown:
        cells.append(f"{len(unknown) - shown:,} more")
    return (
        f"{counted(total, 'journalist')} {'has' if total == 1 else 'have'} a language mailer does not know ({', '.join(cells)}): they get the main version "
        f"({main_language}). Write a language tag (fr, de, fr-CA) or a language's name (French, Français) in the list's "
        "language column."
    )


def _stopped(connection: Connection, campaign_ids: Sequence[str]) -> list[str]:
    """Those of these campaigns no process is sending right now (stopped, or never started)."""
    now = utcnow(connection)
    stopped = []
    for campaign_id in campaign_ids:
        if lease.driving(connection, campaign_id, now=now) is None:
            stopped.append(campaign_id)
    return stopped


def _sending_words(campaign_id: str, count: int) -> str:
    """Journalists skipped because another process is sending them this release right now (review
    8b: they were called "already received", with --include-previous as the way out)."""
    return (
        f"{counted(count, 'journalist')} {'is' if count == 1 else 'are'} skipped: {campaign_id}, a send of this same release, is mailing them right now "
        f"(another terminal or computer; `mailer status {campaign_id}` shows how far it got)."
    )


def _waiting_words(campaign_id: str, count: int) -> str:
    """Journalists skipped because an unsent campaign of the same release holds them (review 8:
    they were called "already received", and the way out offered was --include-previous)."""
    return (
        f"{counted(count, 'journalist')} {'is' if count == 1 else 'are'} skipped: they are waiting in {campaign_id}, a send of this same release "
        "that stopped before it mailed them."
    )


def kept_out_now(
    original: campaigns.Campaign,
    list_paths: Sequence[Path] = (),
    *,
    office: Path | None = None,
    earlier: Sequence[campaigns.Campaign] = (),
    consent_on: date | None = None,
) -> tuple[dict[str, str], list[str], dict[str, str], frozenset[str]]:
    """The addresses the original's lists (those still here) and the follow-up's ``--list`` files keep
    out now, each with why ("opted out", "without consent"), the original's list files not found, and
    those here that cannot be read as a list now (name -> why): a "withdrawn" written in the list after
    the original went out (review 22 #11: it was mailed). A list that cannot be read leaves the others read
    (review 22b #9: it made the follow-up read none, and called them all "not here"). A resume reads
    its own campaign's lists so (session 23: a journalist who opted out in the list while the send
    was stopped was mailed by its resume). ``earlier``: the campaigns ``original`` follows up, whose
    lists its journalists came from (review 23c: a follow-up's resume read none and mailed who had
    opted out in them). A relative name is the office folder's (``office``, mailer.toml's; the log
    names lists so: cli.send.logged_paths), else the current folder's (review 23c: resumed from
    releases/, the list was "not here" and who had opted out there was mailed). Last, the addresses
    kept out only as their consent cell is empty (silence is no consent, but nobody said no: a
    consent column added empty, review 23c). ``consent_on``: the day the email goes out (``delivery_day``),
    which a "Consent until" cell must reach."""
    given = {Path(path).resolve() for path in list_paths}
    # The lists as the campaigns named them (a follow-up's own "CAMPAIGN (not opened)" is no file)
    named = list(
        dict.fromkeys(
            name
            for sent in (original, *earlier)
            for name in sent.lists
            if Path(name).suffix and not (sent.follow_up_of and name.startswith(f"{sent.follow_up_of} ("))
        )
    )
    found = {name: _list_here(name, office) for name in named}
    # One file named two ways (a link to it, a campaign logged before review 25l #1 naming it twice) is read once:
    # contacts.load refuses a file named twice.
    here_named: dict[Path, str] = {}
    for name, path in found.items():
        if path is not None and path.resolve() not in given and path.resolve() not in {known.resolve() for known in here_named}:
            here_named[path] = name
    here = list(here_named)
    unread = [name for name, path in found.items() if path is None]
    paths = [*list_paths, *here]
    broken: dict[str, str] = {}
    if not paths:
        return {}, unread, broken, frozenset()
    try:
        loaded = contacts.load(paths, consent_on=consent_on)
    except ListError:  # an original list no longer usable as a list: the others are read, it is said apart
        readable = []
        for path in here:
            try:
                contacts.load([path], consent_on=consent_on)
                readable.append(path)
            except ListError as error:
                broken[here_named[path]] = error.message
        if not list_paths and not readable:
            return {}, unread, broken, frozenset()
        loaded = contacts.load(
            [*list_paths, *readable], consent_on=consent_on
        )  # a --list file's own error is the follow-up's, said as it is
    mailed = {contact.email_key for contact in loaded.contacts}
    kept_out: dict[str, str] = {}
    said: set[str] = set()
    for row in loaded.rejected:
        if row.reason is RejectReason.SUPPRESSED:
            key = typed_key(row.email)[0]
            if key not in mailed:
                kept_out.setdefault(key, "without consent" if row.without_consent else "opted out")
                if not row.detail.startswith(NO_CONSENT_IN_LIST):
                    said.add(key)
    return kept_out, unread, broken, frozenset(key for key in kept_out if key not in said)


@dataclass(frozen=True, slots=True)
class ListsNow:
    """A stopped campaign's lists read again before its resume (``lists_now``): the addresses they
    keep out now (lower-cased -> "opted out" or "without consent"), and what could not be read."""

    campaign_id: str
    kept_out: dict[str, str]
    unread: list[str]  # the campaign's list files not here
    broken: dict[str, str]  # here but not readable as a list: name -> why
    silent: frozenset[str] = frozenset()  # of ``kept_out``, those only an empty consent cell keeps out

    def warnings(self) -> list[str]:
        """What to tell the user of the lists that could not be read."""
        said = [lists_not_here(self.campaign_id, self.unread, resume=True)] if self.unread else []
        return said + [list_unreadable(self.campaign_id, name, why, resume=True) for name, why in self.broken.items()]


def lists_now(engine: Engine, config: Config, found: campaigns.Campaign) -> ListsNow:
    """``found``'s lists as they are now (``kept_out_now``), for its resume: a journalist who opted out
    or withdrew consent in them while the send was stopped is skipped, not mailed (session 23). A
    follow-up's are those of the campaigns it follows up too, where its journalists came from."""
    with engine.connect() as connection:
        earlier = followed_up(connection, found)
    kept_out, unread, broken, silent = kept_out_now(
        found, office=office_folder(config), earlier=earlier, consent_on=delivery_day(found.scheduled_at)
    )
    return ListsNow(found.id, kept_out, unread, broken, silent)


def delivery_day(scheduled: datetime | None) -> date | None:
    """The day (on this computer's calendar, as a "Consent until" cell is read today) a send scheduled
    for ``scheduled`` reaches journalists; None for a send going out now (review 24s #2)."""
    return None if scheduled is None else scheduled.astimezone().date()


def followed_up(connection: Connection, found: campaigns.Campaign) -> list[campaigns.Campaign]:
    """The campaigns ``found`` follows up, nearest first (a follow-up of a follow-up: each in turn)."""
    chain: list[campaigns.Campaign] = []
    seen = {found.id}
    following = found.follow_up_of
    while following is not None and following not in seen:
        seen.add(following)
        original = campaigns.get(connection, following)
        if original is None:
            break
        chain.append(original)
        following = original.follow_up_of
    return chain


def office_folder(config: Config) -> Path | None:
    """The office folder (mailer.toml's), where the log's relative list names are (None without one)."""
    return office_of(config.source)


def _list_here(name: str, office: Path | None) -> Path | None:
    """The list file the log names ``name``: taken from the office folder, then the current one; None if neither has it."""
    path = Path(name)
    for candidate in ([office / path] if office is not None and not path.is_absolute() else []) + [path]:
        if candidate.is_file():
            return candidate
    return None


def list_unreadable(original_id: str, name: str, why: str, *, resume: bool = False) -> str:
    """The warning for an original's list a follow-up (or a campaign's list its ``resume``) found but could not read as a list."""
    if resume:
        return (
            f"{original_id} was planned from {name}, which cannot be read now ({_sentence_inside(why)}): a journalist who has "
            f"since opted out or withdrawn consent in it is not known to this resume. `mailer lists check {name}` says what is "
            "wrong; to leave someone out now: mailer suppressions add ADDRESS."
        )
    return (
        f"{original_id} went out from {name}, which cannot be read now ({_sentence_inside(why)}): a journalist who has since "
        f"opted out or withdrawn consent in it is not known to this follow-up. `mailer lists check {name}` says what is "
        "wrong; put it right, or name the list as it is now with --list."
    )


def _sentence_inside(text: str) -> str:
    """``text`` on one line, its sentence's full stop left out (inside brackets)."""
    return " ".join(text.split()).rstrip(".")


def lists_not_here(original_id: str, unread: Sequence[str], *, resume: bool = False) -> str:
    """The warning for an original's lists a follow-up (or a campaign's lists its ``resume``) could not read."""
    names = ", ".join(unread[:-1]) + f" and {unread[-1]}" if len(unread) > 1 else unread[0]
    one = len(unread) == 1
    if resume:
        return (
            f"{original_id} was planned from {names}, which {'is' if one else 'are'} not here: a journalist who has since opted "
            f"out or withdrawn consent in {'it' if one else 'them'} is not known to this resume. Resume it in the folder it was "
            "sent from, or leave someone out with: mailer suppressions add ADDRESS."
        )
    return (
        f"{original_id} went out from {names}, which {'is' if one else 'are'} not here: a journalist who has since opted out "
        f"or withdrawn consent in {'it' if one else 'them'} is not known to this follow-up. Name the list as it is now with "
        "--list (or run the follow-up in the folder the original was sent from)."
    )


def _original(connection: Connection, campaign_id: str) -> campaigns.Campaign:
    """The campaign a follow-up follows: in the log, live, and not cancelled."""
    found = campaigns.get(connection, campaign_id)
    moved = carried.sent_elsewhere(connection, campaign_id) if found is None else None
    if moved is not None:  # carried over from the office's old log: who had it, no names nor events (carry28)
        raise SendError(
            f"Nothing sent: {moved[0]}. This log keeps neither their names and fields nor SendGrid's events (who opened, clicked, "
            "bounced), so a follow-up from here cannot choose its journalists.",
            hint=carried.elsewhere_hint(moved[1], f"send RELEASE --follow-up {campaign_id} --who WHO")
            + ". Then run mailer carry-over here again, so this log knows who had the follow-up.",
        )
    if found is None:
        raise SendError(
            f'No campaign "{campaign_id}" in the delivery log to follow up.', hint=campaigns.unknown_id_hint(connection, campaign_id)
        )
    if found.mode is not Mode.LIVE:
        what = "a test send to staff" if found.mode is Mode.TEST else "a dry run (nothing was sent)"
        raise SendError(
            f"{campaign_id} is {what}: a follow-up follows a live send to journalists.",
            hint="`mailer campaigns` lists the live ones.",
        )
    if found.status is CampaignStatus.CANCELLED:
        raise SendError(f"{campaign_id} was cancelled before it went out: there is nothing to follow up.")
    if found.sandboxed:
        raise SendError(
            f"{campaign_id} went to SendGrid's sandbox ([sendgrid] sandbox = true): SendGrid checked it and delivered it to "
            "nobody, so there is nothing to follow up.",
            hint="Send the release itself first: mailer send RELEASE --list LIST",
        )
    return found


def _check_fields(versions: Sequence[Rendered], people: Sequence[Contact]) -> None:
    """Each version's contact fields, checked against the journalists who get that version (a list
    held column by column is split by version a column at a time)."""
    if len(versions) == 1:
        compose.check_fields(versions[0], people)
        return
    pick_version = plan_module.VersionPicker(versions)
    if isinstance(people, ContactTable):
        import numpy as np

        chosen = pick_version.of_table(people)
        for number, version in enumerate(versions):
            compose.check_fields(version, people.take(np.flatnonzero(chosen == number)))
        return
    for number, version in enumerate(versions):
        compose.check_fields(version, (person for person in people if pick_version(person.fields.get("language")) == number))


def _values_held(people: Sequence[Contact], chosen: Filter, *, shown: int = 8) -> list[str]:
    """For each field a filter looks at, the values the lists hold (a few, sorted): what the user
    can compare a --where or --tag that matched nobody with (review 8)."""
    words = []
    for name, wanted in [*chosen.where.items(), *([("tags", chosen.tags)] if chosen.tags else [])]:
        seen: set[str] = set()
        if isinstance(people, ContactTable):  # a column's distinct values, not a Contact per row
            cells: Iterable[str] = people.column(name).unique().to_pylist() if name in people.field_names else []
        else:
            cells = (person.fields.get(name, "") for person in people)
        for value in cells:
            parts = value.split(";") if name == "tags" else [value]
            seen.update(part.strip() for part in parts if part.strip())
            if len(seen) > 200:  # enough to show a few
                break
        values = sorted(seen, key=str.casefold)
        listed = ", ".join(values[:shown]) + (", ..." if len(values) > shown else "") if values else "nothing"
        asked = ", ".join(sorted(chosen.spellings.get(value, value) for value in wanted))  # as typed (newcomer 18)
        words.append(f"{'--tag ' + asked if name == 'tags' else f'--where {name}={asked}'} (the lists' {name}: {listed})")
    return words


def _nobody(
    the_plan: plan_module.Plan,
    list_paths: Sequence[Path],
    planned: _Planned,
    *,
    filtered_on: Sequence[str] = (),
    opted_out: int = 0,
    without_consent: int = 0,
    turned_away_people: int | None = None,
    dry_run: bool = False,
) -> SendError:
    """Why nobody is left: everyone is waiting in a stopped send of the same release, being sent it
    right now, or already received it, or every row is skipped for list reasons. ``opted_out``: the
    rows the lists' own opt-out or consent columns turned away, before any --where or --tag;
    ``without_consent`` of them, a consent column's (empty, or anything but yes);
    ``turned_away_people``: how many journalists those rows are (one on two lists has two rows)."""
    # The plan's "opted out" and "without consent" (the lists' own columns) counted with the log's
    # suppressions here, as ``opted_out`` and ``without_consent`` tell them apart again.
    skipped: dict[str, int] = {}
    for reason, count in the_plan.skipped().items():
        key = RejectReason.SUPPRESSED.value if reason in (RejectReason.OPTED_OUT.value, RejectReason.NO_CONSENT.value) else reason
        skipped[key] = skipped.get(key, 0) + count
    unknown = sum(planned.unknown.values())
    received = skipped.get(RejectReason.ALREADY_RECEIVED.value, 0) - unknown  # those known to have it
    # Those a scheduled send holds and those whose request's fate is unknown are named with what to
    # do for them: --include-previous would mail them twice (review 12b #10, newcomer 12b #2).
    held = [_scheduled_words(cid, count, at) for cid, (count, at) in planned.scheduled.items()]
    maybe = [_unknown_words(cid, count) for cid, count in planned.unknown.items()]
    if (held or maybe) and not planned.waiting and not planned.sending:
        got = [f"{counted(received, 'journalist')} already received this exact release."] if received else []
        if held:
            first = next(iter(planned.scheduled))
            hint = planned.late_cancelled.get(first) or (
                f"To send it now instead: mailer cancel {first} (up to 10 minutes before its time), then run this send again."
            )
            if dry_run and not maybe and first not in planned.late_cancelled:
                return SendError("Nobody to send to: " + " ".join([*got, *held]), hint=_dry_run_held(first))
        else:
            first = next(iter(planned.unknown))
            hint = f"To send to them (they may get it twice): mailer resume {first} --resend-unknown"
        return SendError(
            "Nobody to send to: " + " ".join([*got, *maybe, *held]),
            # --include-previous leaves to a scheduled send whom it holds (review 24s #5): no word of it then
            hint=hint + ("" if held else " --include-previous would mail everyone again."),
        )
    received += unknown
    lead = f"{counted(received, 'journalist')} already received this exact release; " if received else ""
    if planned.waiting:  # review 8b: also when some already received it (a send stopped half-way)
        first = next(iter(planned.waiting))
        stuck = planned.unresumable.get(first)
        return SendError(
            f"Nobody to send to: {lead}{' '.join(_waiting_words(cid, count) for cid, count in planned.waiting.items())}",
            hint=f"{stuck} Then send this release again: it skips those that send reached."
            if stuck
            else f"Finish that send with: mailer resume {first}; or, if it mailed nobody yet, call it off with: "
            f"mailer cancel {first}, then send again.",
        )
    if planned.sending:
        first = next(iter(planned.sending))
        return SendError(
            f"Nobody to send to: {lead}{' '.join(_sending_words(cid, count) for cid, count in planned.sending.items())}",
            hint=f"Let it finish; `mailer status {first}` shows how far it got.",
        )
    if received:
        return SendError(
            f"Nobody to send to: {all_of(received, 'journalist')} already received this exact release.",
            hint="To send it to them again anyway, add --include-previous.",
        )
    filtered = skipped.get(RejectReason.FILTERED.value, 0)
    # Those the filter chose that the log's suppressions then took out (a list's own opt-out rows
    # are turned away before any filter): the filter matched them (newcomer 18: "matched none").
    chosen_suppressed = skipped.get(RejectReason.SUPPRESSED.value, 0) - opted_out
    if filtered and chosen_suppressed:
        return SendError(
            f"Nobody to send to: {all_of(chosen_suppressed, 'journalist')} --where/--tag chose "
            f"{'is' if chosen_suppressed == 1 else 'are'} suppressed (unsubscribed, bounced, erased with mailer forget or "
            f"added by hand); the other {counted(filtered, 'journalist')} of the lists do not match it.",
            hint="mailer suppressions list shows who and why. Suppressed addresses are never mailed: "
            'mailer suppressions remove EMAIL --reason "..." only for a journalist who asked to be mailed again.',
        )
    if filtered:  # `lists check` knows nothing of --where and --tag (newcomer review 8)
        return SendError(
            f"Nobody to send to: --where/--tag matched none of the {counted(filtered, 'journalist')} they were tried on"
            + (f": {'; '.join(filtered_on)}." if filtered_on else "."),
            hint="Check the values against the list: --tag TAG matches one tag of the Tags column, --where FIELD=VALUE "
            "a field's whole value, in any case.",
        )
    # `lists check` knows nothing of the log's suppressions (newcomer 17b #6: it said 'rejected: none').
    check = "mailer lists check " + " ".join(map(str, list_paths))
    suppressed = skipped.get(RejectReason.SUPPRESSED.value, 0)
    if suppressed and suppressed == sum(skipped.values()) and opted_out:
        return _kept_out(suppressed, check, opted_out=opted_out, without_consent=without_consent, people=turned_away_people)
    if suppressed and suppressed == sum(skipped.values()):
        return SendError(
            f"Nobody to send to: {all_of(suppressed, 'journalist')} of the lists "
            f"{'is' if suppressed == 1 else 'are'} suppressed (unsubscribed, bounced or added by hand).",
            hint="mailer suppressions list shows who and why. Suppressed addresses are never mailed: "
            'mailer suppressions remove EMAIL --reason "..." only for a journalist who asked to be mailed again.',
        )
    if suppressed:
        # The lists' own opt-out and consent rows are counted as `lists check` counts them; only
        # the log's suppressions are "suppressed" (review 21 #1).
        logged = suppressed - opted_out
        reasons = ", ".join(
            part
            for reason, count in skipped.items()
            if count
            for part in (
                suppressed_apart(count, opted_out=opted_out, without_consent=without_consent)
                if reason == RejectReason.SUPPRESSED.value
                else [f"{count:,} {reason}"]
            )
        )
        return SendError(
            f"Nobody to send to: every row of the lists is skipped ({reasons}).",
            hint=f"See the rows the lists turn away with: {check}"
            + ("; the suppressed addresses with: mailer suppressions list" if logged else ""),
        )
    return SendError("Nobody to send to: every row of the lists is skipped.", hint="See why with: " + check)


def _kept_out(suppressed: int, check: str, *, opted_out: int, without_consent: int, people: int | None = None) -> SendError:
    """Nobody to send to, every row kept out, some by the lists' own opt-out or consent columns
    (``opted_out`` rows, ``without_consent`` of them a consent column's), the rest suppressed in
    the log: each counted under what keeps them out (review 21 #1: rows without consent were
    "suppressed (unsubscribed, bounced or added by hand)", and `mailer suppressions list` showed nobody).
    ``people``: how many journalists the rows the lists turned away are, when all of them are (a
    journalist on two lists said no twice: "both journalists (3 rows)", not "all 3 journalists")."""
    logged, list_opted = suppressed - opted_out, opted_out - without_consent
    who = all_of(suppressed, "journalist")
    if people is not None and people != suppressed and not logged:
        who = f"{all_of(people, 'journalist')} (in {suppressed:,} rows)"
    consent_hint = "Only a row whose consent column says yes (or gives the day consent was given) is mailed. "
    log_hint = (
        "mailer suppressions list shows who and why. Suppressed addresses are never mailed: "
        'mailer suppressions remove EMAIL --reason "..." only for a journalist who asked to be mailed again.'
    )
    if without_consent == suppressed:
        return SendError(
            f"Nobody to send to: {who} of the lists gave no consent to email (the lists' consent column does not say yes).",
            hint=f"{consent_hint}See who with: {check}",
        )
    if list_opted == suppressed:
        return SendError(
            f"Nobody to send to: {who} of the lists opted out of email (the lists' own column says so).",
            hint=f"See who with: {check}",
        )
    kinds = [
        *([f"{without_consent:,} gave no consent to email"] if without_consent else []),
        *([f"{list_opted:,} opted out of email"] if list_opted else []),
    ]
    lists_said = f"{', '.join(kinds)} (the lists' own {'columns say' if len(kinds) > 1 else 'column says'} so)"
    logged_said = f"{logged:,} {'is' if logged == 1 else 'are'} suppressed (unsubscribed, bounced or added by hand)"
    return SendError(
        f"Nobody to send to: of the {counted(suppressed, 'journalist')} of the lists, "
        + (f"{lists_said} and {logged_said}." if logged else f"{lists_said}."),
        hint=(consent_hint if without_consent else "") + f"See who with: {check}" + (f"; {log_hint}" if logged else ""),
    )


@in_words
def prepare_test(
    engine: Engine,
    config: Config,
    release_path: Path | str,
    *,
    to: Sequence[str] | str = (),
    as_email: str | None = None,
    list_paths: Sequence[Path | str] | Path | str = (),
    dry_run: bool = False,
    overrides: Sequence[str] | str = (),
    language: str | None = None,
) -> Prepared:
    """Plan a test send to staff: the same email with a [TEST] subject and a banner.

    ``to`` replaces the staff list; ``as_email`` fills in the fields of that journalist from
    ``list_paths``. ``language`` picks a language version (README, Languages; the main one by
    default): a test send is one campaign per version, since staff get every version. Raises
    SendError when nobody is left to send to or a ``to`` is not an email address (checked as
    strictly as list rows; one address alone may be given as text), ConfigError when there is no
    ``to`` and no staff list, ReleaseError for a language the release lacks, ListError for a list
    that cannot be used.
    """
    from mailer.contacts.loader import list_paths as named_lists

    list_paths = logged_list_paths(named_lists(list_paths), office_folder(config))
    release_path = Path(release_path)
    overrides = texts(overrides)
    loaded = release.load(release_path)
    version = loaded
    if language is not None:
        found = loaded.all_versions()
        chosen = labels.pick(found, language)
        if chosen is None:
            raise ReleaseError(
                f'{release_path} has no "{language}" version.',
                hint=f"Its versions: {', '.join(found)}. A version is a file such as "
                f"{release_path.stem}.{language}{release_path.suffix} beside it (README, Languages).",
            )
        version = found[chosen]
    rendered = compose.render(version, config=config, test=True)
    journalist = contacts.find(list_paths, as_email) if as_email else None
    people = recipients.staff(config, to)
    staff = recipients.test_recipients(rendered, people, journalist=journalist)
    with engine.connect() as connection:
        staff, notes = recipients.suppress(staff, suppression_store.reasons(connection), overrides)
        held = held_other_version(connection, config, release_path, rendered.content_hash)
        stopped = suppression_store.find(connection, as_email) if as_email else None
    if stopped is not None:  # the proof goes to staff, but the journalist it is made as gets no email (review 23a, left)
        said = f"{as_email} will not get this release: the address is on the suppression list ({stopped.why()}), so mailer send skips it."
        notes = [*notes, f"{said} The proof shows the email as it would have been."]
    the_plan = plan_module.build(rendered, staff, batch_size=config.sendgrid.batch_size, reserve=unsubscribe.reserved_bytes(config))
    if not the_plan.recipients:
        suppressed = [r.email for r in staff.rejected if r.reason is RejectReason.SUPPRESSED]
        if suppressed:
            verb = "is" if len(suppressed) == 1 else "are"
            raise SendError(
                f"Nobody to send the test to: {', '.join(suppressed)} {verb} on the suppression list.",
                hint=f"To send the test anyway: add --override-suppression {suppressed[0]}",
            )
        too_large = [
            detail for reason, detail in the_plan.skips.values() if reason == RejectReason.INVALID.value and "SendGrid allows" in detail
        ]
        if too_large:  # review 23a #2: "Nobody to send the test to" to a press officer who had passed --to
            whose = f"the fields of {as_email}" if as_email else "the staff's own fields"
            skipped = f"mailer send skips {as_email} too" if as_email else "mailer send skips a journalist with fields as large too"
            raise SendError(
                f"The proof cannot be sent: with {whose}, {too_large[0]}. {skipped} (as invalid, saying why).",
                hint="Shorten that journalist's long cells in the list (a notes column pasted from a media database, "
                "most often), or take the field out of the release.",
            )
        raise SendError("Nobody to send the test to.", hint="Pass --to EMAIL, or check the staff list.")
    return Prepared(
        plan=the_plan,
        mode=Mode.DRY_RUN if dry_run else Mode.TEST,
        slug=_slug(release_path) + ("-test" if version is loaded else f"-{version.language.lower()}-test"),
        lists=tuple(recipients.staff_lists(config, to)),
        filters={**({"as": as_email} if as_email else {}), **_overrides(overrides)},
        sender=_sender(rendered, config),
        is_test=True,
        warnings=(
            *notes,
            *version.notes,
            *_staff_at_examples(the_plan, config, to, every=False),
            *held,
        ),  # a version lacking the main file's texts
        problem=None
        if dry_run
        else (_sender_problem(rendered, config) or _staff_problem(the_plan, config, to) or unsubscribe.check(config)),  # a real email too
    )


def held_other_version(connection: Connection, config: Config, release_path: Path, proof_hash: str) -> list[str]:
    """Words for each live send of this release that SendGrid holds for a later time with other
    content than this proof's (``proof_hash``, its version's ``Rendered.content_hash``): a scheduled
    send hands SendGrid the emails at once, so a release fixed afterwards, proofread and found right,
    is not what journalists get (review 18p #4; `mailer test`, a dry run and `mailer preview` say it)."""
    now = utcnow(connection)
    found = []
    key = reached.office_path(config, release_path)
    for campaign_id, content_hash in campaigns.live_with(connection, release_path=str(release_path.resolve()), release_key=key):
        held = campaigns.get(connection, campaign_id)
        if held is None or held.scheduled_at is None or held.scheduled_at <= now or held.late_cancel is not None:
            continue
        if proof_hash in {content_hash, *(campaigns.version_hashes(connection, campaign_id) or {}).values()}:
            continue  # this very content: the proof is what they get
        accepted = campaigns.rows(connection, campaign_ids=[campaign_id])[0][MessageState.ACCEPTED.value]
        first = campaigns.first_live_with(connection, {proof_hash})
        if accepted and first is not None and first[1] < held.created_at:  # this proof is the older text (newcomer 22 #1)
            found.append(
                f"This proof is not what journalists get: SendGrid holds {campaign_id}, a newer version of this release, "
                f"for {counted(accepted, 'journalist')}, to deliver at {schedule.describe(held.scheduled_at)}: this copy, "
                f"{display_name(release_path)}, is the text of {first[0]}, which {campaign_id} replaced. A colleague has "
                f"probably corrected the release since: proofread their copy (mailer show {campaign_id} shows what SendGrid holds)."
            )
        elif accepted:
            found.append(
                f"This proof is not what journalists get: SendGrid holds {campaign_id}, an earlier version of this release, "
                f"for {counted(accepted, 'journalist')}, to deliver at {schedule.describe(held.scheduled_at)}. "
                f"To send this version instead: mailer cancel {campaign_id} (up to 10 minutes before its time), then send again."
            )
    return found


def _untested(connection: Connection, config: Config, versions: Sequence[Rendered]) -> tuple[bool, str]:
    """(True when some version was never test-sent as this send sends it, what to say when that
    version's content was test-sent but from another From or Reply-To). A `from:` or `reply_to:`
    edited in the release, or [sender] in mailer.toml, changes none of the content, and staff
    proofread the sender too (review 18p #1)."""
    for version in versions:
        tested = campaigns.test_senders(connection, version.content_hash)
        now = _sender(version, config)
        if not tested:
            return True, ""
        if not any(_same_sender(sender, now) for _, sender in tested):
            campaign_id, sender = tested[-1]
            return True, (
                f"This content was test-sent to staff ({campaign_id}) from {_sender_words(sender)}, but this send comes from "
                f"{_sender_words(now)}: colleagues have not proofread it from this sender. Test-send it again (mailer test) "
                "to check it."
            )
    return False, ""


def _dated_before_delivery(release_path: Path, scheduled: datetime | None) -> list[str]:
    """A warning when a release without ``date:`` is scheduled for a later day: it is dated the day
    it is made ("December 2, 2026 - ... today published"), and journalists read it on the day SendGrid
    delivers it, with no word in the plan (review 23a #4)."""
    if scheduled is None:
        return []
    probe = date(2000, 1, 1)
    if release.load(release_path, today=probe).date != probe:
        return []  # dated in the file, or by its embargo
    made = release.load(release_path).date
    delivered = scheduled.astimezone().date()  # the day as this computer's clock reads it, as the date is made
    if delivered <= made:
        return []
    words = (
        f"The release has no date: line, so it is dated {made.isoformat()}, the day it is made, but SendGrid delivers it on "
        f"{delivered.isoformat()}: journalists would read a release dated {counted((delivered - made).days, 'day')} before it "
        f"reached them. To date it the day it goes out, add  date: {delivered.isoformat()}  to the release (and test-send it again)."
    )
    return [words]


def _dated_differently(connection: Connection, config: Config, release_path: Path) -> str:
    """What to say when this release has no ``date:`` and a test send of it differs from this send
    by its date alone (tested in the evening, sent the next morning): "never test-sent" was
    untrue, since staff had read every word (review 18p #5). "" otherwise."""
    probe = date(2000, 1, 1)
    if release.load(release_path, today=probe).date != probe:
        return ""  # dated in the file, or by its embargo
    today = release.load(release_path).date
    key = reached.office_path(config, release_path)
    for campaign_id, created in campaigns.tests_of_release(connection, str(release_path.resolve()), key):
        for day in _days_around(created):
            if day == today:
                continue
            then = compose.render_versions(release.load(release_path, today=day), config=config).values()
            if all(campaigns.was_test_sent(connection, version.content_hash) for version in then):
                return (
                    f"The release has no date: line, so each email is dated the day it is made: the test send {campaign_id} "
                    f"was dated {day.isoformat()}, this send is dated {today.isoformat()}; nothing else changed since the "
                    "test send."
                )
    return ""


def _days_around(moment: datetime) -> list[date]:
    """The days an undated release made at ``moment`` may carry: its UTC and this computer's, and those either side."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return list(dict.fromkeys(d + timedelta(days=shift) for d in (moment.date(), moment.astimezone().date()) for shift in (0, -1, 1)))


def _sent_on_another_day(connection: Connection, config: Config, release_path: Path, campaign_ids: Iterable[str]) -> dict[str, date]:
    """Of these campaigns of the release, those whose content is exactly this release rendered on
    another day (it has no ``date:``), with that day: it was not changed, only dated again."""
    probe = date(2000, 1, 1)
    if release.load(release_path, today=probe).date != probe:
        return {}  # dated in the file, or by its embargo
    today = release.load(release_path).date
    found: dict[str, date] = {}
    moved = carried.by_label(connection, set(campaign_ids))  # carried over from an old log (`mailer carry-over`)
    for campaign_id in sorted(campaign_ids):
        earlier = moved.get(campaign_id) or campaigns.get(connection, campaign_id)
        if earlier is None:
            continue
        for day in _days_around(earlier.created_at):
            if day == today:
                continue
            versions = list(compose.render_versions(release.load(release_path, today=day), config=config).values())
            if plan_module.content_hash(versions) == earlier.content_hash:
                found[campaign_id] = day
                break
    return found


def _same_source(connection: Connection, versions: Sequence[Rendered], campaign_ids: Iterable[str]) -> dict[str, set[str]]:
    """Of these campaigns of the release, those that recorded what the office wrote
    (``campaigns.SOURCES``) and found each of their language versions as it is now, with those languages:
    their journalists who now get one of them already have it. A version added since (a translation)
    leaves the others unchanged; one taken out since is compared as before (the question says who gets which)."""
    now = {version.language: version.source_hash for version in versions}
    found: dict[str, set[str]] = {}
    for campaign_id in sorted(campaign_ids):
        earlier = campaigns.get(connection, campaign_id)
        recorded = earlier.filters.get(campaigns.SOURCES) if earlier is not None else None
        if not isinstance(recorded, dict) or not recorded:
            continue  # logged before it was kept, or carried over from an old log: compared by content alone
        if all(now.values()) and all(language in now and now[language] == value for language, value in recorded.items()):
            found[campaign_id] = set(recorded)
    return found


def _same_sender(tested: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """The same From address and name, and Reply-To, as a test send's (a campaign logged without them: not compared)."""
    if not tested:
        return True
    return all((tested.get(key) or "") == (now.get(key) or "") for key in ("from_email", "from_name", "reply_to"))


def _sender_words(sender: Mapping[str, Any]) -> str:
    """ "Press Office <press@example.org>, replies to desk@example.org", as the plan's From line says it."""
    name = f"{sender.get('from_name')} <{sender.get('from_email')}>" if sender.get("from_name") else str(sender.get("from_email"))
    return name + (f", replies to {sender['reply_to']}" if sender.get("reply_to") else "")


def _staff_at_examples(the_plan: plan_module.Plan, config: Config, to: Sequence[str], *, every: bool) -> list[str]:
    """Words for a test send's addresses at domains kept for examples (nobody's: config.example.toml's
    staff list is four of them), when the requests go to SendGrid itself: with ``every``, only when
    all of them are (then nobody would read the proof), else only when some are."""
    if not config.sendgrid.is_sendgrid:
        return []
    addresses = [message.email for message in the_plan.recipients]
    nobodys = [address for address in addresses if reserved_for_examples(address)]
    if not nobodys or (len(nobodys) == len(addresses)) != every:
        return []
    where = "--to" if to else f"the staff list {config.lists.staff}"
    shown = ", ".join(nobodys[:3]) + (", ..." if len(nobodys) > 3 else "")
    verb = "is" if len(nobodys) == 1 else "are"
    return [
        f"{counted(len(nobodys), 'address', 'addresses')} of {where} ({shown}) {verb} at a domain kept for examples: nobody can read the proof there."
    ]


def _staff_problem(the_plan: plan_module.Plan, config: Config, to: Sequence[str]) -> ConfigError | None:
    """A test send whose every address is at a domain kept for examples (newcomer 12 #2: SendGrid
    takes them, nobody proofreads, and the live send no longer asks whether it was test-sent)."""
    found = _staff_at_examples(the_plan, config, to, every=True)
    if not found:
        return None
    return ConfigError(
        f"{found[0]} Nothing was logged or sent.",
        hint="Put your colleagues' addresses in the staff list ([lists] staff in mailer.toml), or send the test to "
        "yourself: mailer test RELEASE --to you@your-office.org",
    )


def _live_problem(
    rendered: Rendered, config: Config, goes_out: datetime, *, force_embargo: bool, versions: Sequence[Rendered] = ()
) -> SendError | ConfigError | TemplateError | None:
    """Why a live send must not start: before the embargo, without the office's postal address, or
    with a template that has no unsubscribe link."""
    try:
        schedule.check_embargo(rendered, goes_out, force=force_embargo)
    except SendError as exc:
        return exc
    for version in versions or (rendered,):
        missing = compose.unsubscribe_missing(version)
        if missing:  # review 17c #16: an office's template without its footer went out without a way to unsubscribe
            return TemplateError(
                f"The email has no unsubscribe link in its {missing}: journalists would have no way to unsubscribe, "
                "which anti-spam laws and Gmail and Yahoo require. Nothing was logged or sent.",
                hint="Put {{ unsubscribe_url }} in the template's footer (.html.j2 and .txt.j2), as templates/release.html.j2 "
                "and release.txt.j2 do; mailer preview shows the result.",
            )
    if not config.sender.postal_address:
        return ConfigError(
            "A live send needs the office's postal address in the email footer.",
            hint='Add postal_address = "..." under [sender] in mailer.toml (anti-spam laws require it).'
            + (
                ""
                if config.source is not None
                else " No mailer.toml was found: copy config.example.toml to mailer.toml in your press office's folder first."
            ),
        )
    if config.sendgrid.is_sendgrid and example_postal_address(config):  # newcomer 28 #2
        return ConfigError(
            f"{EXAMPLE_POSTAL_WORDS}. Nothing was logged or sent.",
            hint=_setting("Edit postal_address under [sender] in", config) + ".",
        )
    return _sender_problem(rendered, config) or unsubscribe.check(config)


def _sender_problem(rendered: Rendered, config: Config) -> ConfigError | None:
    """A From address SendGrid will refuse for certain: one at a domain kept for examples
    (the built-in press@example.org), when the requests go to SendGrid itself."""
    from_email = str(_sender(rendered, config)["from_email"])
    if not (config.sendgrid.is_sendgrid and reserved_for_examples(from_email)):
        return None
    in_release = from_email != config.sender.from_email
    where = "from: in the release's front matter" if in_release else _setting("from_email under [sender] in", config)
    return ConfigError(
        f"The email would come from {from_email}, an address at a domain kept for examples: SendGrid refuses to send "
        "from an address it has not verified, and it can never verify this one. Nothing was logged or sent.",
        hint=f"Set {where} to your office's address, verified in SendGrid (Settings > Sender Authentication).",
    )


def _setting(key: str, config: Config) -> str:
    """``key`` followed by the config file's name, or by mailer.toml when none was found."""
    return f"{key} {config.source}" if config.source is not None else f"{key} mailer.toml (copy config.example.toml to make one)"


def _embargo_note(rendered: Rendered, release_path: Path, scheduled: datetime | None, now: datetime, *, force: bool) -> list[str]:
    """A dry run goes ahead before the embargo, but says that the live send would not."""
    goes_out = scheduled or now
    if rendered.embargo is None or goes_out >= rendered.embargo or force:
        return []
    # now on the embargo's clock too, as the embargo is said (office 27: "until ... (10:00 Europe/Berlin), so a live
    # send now (2026-12-02 17:20 UTC)" left the officer to work out her own time)
    when = f"at {schedule.describe(scheduled)}" if scheduled else f"now ({schedule.describe(now.astimezone(rendered.embargo.tzinfo))})"
    # In the zone the embargo was written in, as a press officer types it (newcomer 24 #7: "00:01 Europe/London"
    # was offered as --at "2026-12-03T00:01+00:00", and as "+01:00" in summer).
    zone = getattr(rendered.embargo.tzinfo, "key", None)
    at = (
        f"{rendered.embargo:%Y-%m-%d %H:%M} {zone}"
        if zone and zone.upper() not in ("UTC", "GMT", "ETC/UTC")
        else rendered.embargo.isoformat(timespec="minutes")
    )
    message = (
        f"{release_path}: the release is embargoed until {schedule.describe(rendered.embargo)}, so a live send {when} "
        f'would be refused. Schedule it with --at "{at}" (or later; --at reaches '
        "72 hours ahead at most), or add --force-embargo if journalists should get it early."
    )
    return [message]


def _sender(rendered: Rendered, config: Config) -> dict[str, Any]:
    return {
        "from_email": rendered.from_email or config.sender.from_email,
        "from_name": rendered.from_name or config.sender.from_name,
        "reply_to": rendered.reply_to or config.sender.reply_to,
    }


def _overrides(overrides: Sequence[str]) -> dict[str, list[str]]:
    """The addresses let through by name, recorded with the campaign: a resume keeps them in (promise 3)."""
    return {"override_suppression": sorted({address.strip().lower() for address in overrides})} if overrides else {}


def _delimiter(delimiter: str | None) -> dict[str, str]:
    """The delimiter the press lists share, recorded with the campaign: its report CSVs are written
    with it, so a semicolon office's reports open in columns in European Excel (newcomer 12 #6)."""
    return {campaigns.DELIMITER: delimiter} if delimiter is not None else {}


def _sources(versions: Sequence[Rendered]) -> dict[str, dict[str, str]]:
    """Each version's fingerprint of what the office wrote (``Rendered.source_hash``), recorded with the
    campaign (``campaigns.SOURCES``); nothing when one is unknown."""
    found = {version.language: version.source_hash for version in versions}
    return {campaigns.SOURCES: found} if all(found.values()) else {}


def _office_path(config: Config, release_path: Path) -> dict[str, str]:
    """The release file's path inside the office folder, recorded with the campaign: a colleague's
    copy of the release is the same release (newcomer 13 #1)."""
    key = reached.office_path(config, release_path)
    return {campaigns.RELEASE: key} if key is not None else {}


def _slug(path: Path) -> str:
    """The campaign id's part from the release's file name: ASCII letters, digits and hyphens, at most
    60 characters, other scripts spelt out (python-slugify: März -> marz, Пресс-релиз -> press-reliz)."""
    from slugify import slugify

    return slugify(path.stem, max_length=60) or "release"
