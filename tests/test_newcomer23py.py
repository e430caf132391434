"""Newcomer trial 23py: a press office's in-house developer drives mailer from her own scripts.

Following README's "Using it from Python" literally, she checks a list, previews, test-sends,
sends live to the local SendGrid stand-in, resumes a send SendGrid stopped (503), cancels,
imports events, exports reports, follows up and forgets a journalist, and asks of each call
whether it does what the command does and tells her what the command tells. Each test is a
finding (each failed before its fix, session 23).
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from send_fixtures import only_campaign_id
from sqlalchemy import Engine

from mailer import config
from mailer.errors import SendError
from mailer.models import MessageState
from mailer.send import campaign, status
from mailer.store import messages

ROOT = Path(__file__).parent.parent


def office_config(folder: Path, standin: Any, db_url: str) -> config.Config:
    """config.example.toml copied to ``folder``/mailer.toml and loaded from there, pointed at the
    stand-in (batches of 10, no retries) and the test's log, as README's live-send block does."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config.example.toml", folder / "mailer.toml")
    base = config.load(folder / "mailer.toml")
    return base.model_copy(
        update={
            "sendgrid": base.sendgrid.model_copy(update={"api_url": standin.url, "batch_size": 10, "retries": 0}),
            "database": base.database.model_copy(update={"url": db_url}),
        }
    )


def stopped_send(engine: Engine, cfg: config.Config, standin: Any) -> str:
    """README's live send of the example release to lists/press.csv, SendGrid answering 503 after
    its first request: the campaign id, the rest of its journalists left planned."""
    prepared = campaign.prepare_send(engine, cfg, "releases/example.md", ["lists/press.csv"])
    prepared.check()
    standin.answer(503, times=1_000, match=lambda r: len(standin.mail_sends) >= 2)
    with pytest.raises(SendError):
        campaign.start(engine, cfg, prepared, environ={"SENDGRID_API_KEY": standin.api_key})
    standin.reset()
    campaign_id = str(only_campaign_id(engine))
    with engine.connect() as connection:
        assert messages.counts(connection, campaign_id)["planned"] > 3
    return campaign_id


def opt_out(list_file: Path, engine: Engine, campaign_id: str, how_many: int) -> set[str]:
    """Write "yes" in a new "Opt-out" column of ``list_file`` for ``how_many`` journalists the
    stopped campaign has not mailed yet: their addresses."""
    with engine.connect() as connection:
        planned = {email.lower() for email in messages.addresses(connection, campaign_id, state=MessageState.PLANNED)}
    rows = list(csv.reader(list_file.open(encoding="utf-8", newline="")))
    rows[0].append("Opt-out")
    chosen: set[str] = set()
    for row in rows[1:]:
        if not row:
            continue
        mark = len(chosen) < how_many and row[0].strip().lower() in planned
        row.append("yes" if mark else "")
        if mark:
            chosen.add(row[0].strip().lower())
    with list_file.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    assert len(chosen) == how_many
    return chosen


# -- 1. a resume's result does not say whom the lists now kept out --------------------------------


def test_resume_result_counts_those_the_lists_now_keep_out(project: Path, standin: Any, store: Engine, db_url: str) -> None:
    """`mailer resume` says "Skipped: 3 journalists the lists now mark as opted out or without
    consent"; `campaign.resume(...)` returned a Sent whose outcome counted them among all the
    skipped rows (invalid, duplicate, ...), so a script could only learn it by passing ``warn`` and
    parsing its words. Sent.kept_out now gives reason -> how many, as the command counts them."""
    cfg = office_config(project, standin, db_url)
    campaign_id = stopped_send(store, cfg, standin)
    gone = opt_out(project / "lists" / "press.csv", store, campaign_id, 3)
    sent = campaign.resume(store, cfg, campaign_id, environ={"SENDGRID_API_KEY": standin.api_key})
    assert dict(sent.kept_out) == {"opted out": 3}
    assert not gone & set(standin.accepted_addresses())
    assert status.status(store, campaign_id).skipped.get("opted out") == 3


# -- 2. a send started from Python in another folder than mailer.toml's: its resume mailed opt-outs --


def test_resume_from_elsewhere_reads_the_lists_the_send_read(
    project: Path, standin: Any, store: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Her script keeps mailer.toml in the office folder and runs in its own folder, lists named
    from there ("lists/press.csv"). `mailer send --config ...` from that folder logs the list by its
    whole path; `campaign.prepare_send` logged "lists/press.csv" as typed, so a resume run later from
    any other folder (a cron job, the office folder) found no such list, warned, and mailed the
    journalists who had opted out in it meanwhile. The log now names the list as the command does."""
    office = project / "office"
    cfg = office_config(office, standin, db_url)
    campaign_id = stopped_send(store, cfg, standin)
    gone = opt_out(project / "lists" / "press.csv", store, campaign_id, 3)
    monkeypatch.chdir(office)
    warned: list[str] = []
    sent = campaign.resume(store, cfg, campaign_id, environ={"SENDGRID_API_KEY": standin.api_key}, warn=warned.append)
    assert not gone & set(standin.accepted_addresses()), warned
    assert dict(sent.kept_out) == {"opted out": 3}
    assert not [words for words in warned if "not here" in words or "cannot" in words]


# -- 3. a follow-up of the same release to those who did not open: "none ... is left" ------------


def test_follow_up_with_the_same_release_says_they_already_received_it(project: Path, standin: Any, store: Engine, db_url: str) -> None:
    """She follows up the non-openers with the release itself, as a "resend to non-openers". The
    39 who had not opened were all skipped as having received this exact release, and
    `prepared.check()` (and `mailer send --follow-up`) said "Nobody to follow up: none of the 41
    journalists of ... is left (not opened).", pointing at the report, which shows 39 who did not
    open. It now says they already received this release, and how to send it again to them."""
    from mailer import errors, events

    cfg = office_config(project, standin, db_url)
    prepared = campaign.prepare_send(store, cfg, "releases/example.md", ["lists/press.csv"])
    sent = campaign.start(store, cfg, prepared, environ={"SENDGRID_API_KEY": standin.api_key})
    opened = {"email": "li.wei@example.org", "event": "open", "timestamp": int(time.time()) + 5, "sg_event_id": "o1"}
    Path("events.ndjson").write_text(json.dumps({**opened, "campaign": sent.campaign_id}) + "\n", encoding="utf-8")
    events.apply(store, events.read_file("events.ndjson"), source="import", block_threshold=3)
    follow = campaign.prepare_follow_up(store, cfg, "releases/example.md", sent.campaign_id, who="not-opened")
    with pytest.raises(errors.SendError) as caught:
        follow.check()
    assert "40 journalists of" in caught.value.message and "already received this exact release" in caught.value.message
    assert "none of the" not in caught.value.message
    assert "--include-previous" in str(caught.value.hint) and "include_previous=True" in str(caught.value.hint)
    again = campaign.prepare_follow_up(store, cfg, "releases/example.md", sent.campaign_id, who="not-opened", include_previous=True)
    assert len(again.plan.recipients) == 40


# -- 4. status as README writes it counts opted-out journalists among those a resume would mail ---


def test_status_as_readme_writes_it_counts_who_the_lists_now_keep_out(project: Path, standin: Any, store: Engine, db_url: str) -> None:
    """README: "`mailer.send.status.status(engine, campaign_id)` is `mailer status`". For a send
    stopped by SendGrid's 503, `mailer status` says a resume would now skip the 3 journalists who
    opted out in the list since; the call as README writes it did not read the lists (only given
    ``config=``), so its next steps had a resume mail them all. Without a config it reads the
    lists as the command would from this folder."""
    cfg = office_config(project, standin, db_url)
    campaign_id = stopped_send(store, cfg, standin)
    opt_out(project / "lists" / "press.csv", store, campaign_id, 3)
    told = " ".join(status.status(store, campaign_id).next_steps)
    assert "opted out" in told, told
    assert told == " ".join(status.status(store, campaign_id, config=cfg).next_steps)


# -- 5. README's events call suppresses after 3 blocks whatever mailer.toml says ---------------


def test_readme_events_import_call_uses_the_offices_block_threshold(project: Path, store: Engine) -> None:
    """README's Python events import passes ``block_threshold=3``. An office whose mailer.toml
    says `[webhook] block_threshold = 5` had a script suppress a journalist after 3 blocks whom
    `mailer events import` of the same file keeps mailing. README now passes the config's value,
    and the call as written suppresses exactly whom the command suppresses."""
    from mailer import events

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = readme[readme.index("In Python: `mailer.events.read_file(path)`") :].split("\n\n")[0]
    assert "block_threshold=3" not in said
    assert "block_threshold=cfg.webhook.block_threshold" in said
    cfg = config.Config.model_validate({"webhook": {"block_threshold": 5}})

    def blocks(address: str) -> events.Batch:
        three = [
            {"email": address, "event": "bounce", "type": "blocked", "timestamp": 1_790_000_000 + i, "sg_event_id": f"{address}{i}"}
            for i in range(3)
        ]
        Path("blocks.ndjson").write_text("\n".join(json.dumps(event) for event in three) + "\n", encoding="utf-8")
        return events.read_file("blocks.ndjson")

    batch = blocks("li.wei@example.org")
    applied = events.apply(store, batch.events, source="import", block_threshold=cfg.webhook.block_threshold, quarantined=batch.quarantined)
    assert (applied.added, applied.suppressed) == (3, 0)
    assert events.apply(store, blocks("ana@example.org").events, source="import", block_threshold=3).suppressed == 1  # README's old call


# -- 6. a resume's result does not say whom another send of the release reached meanwhile --------


def test_resume_result_names_the_send_that_reached_them_meanwhile(project: Path, standin: Any, store: Engine, db_url: str) -> None:
    """A send stopped at SendGrid's 503; a colleague sent the release to the list again, reaching
    those it had left. `mailer resume` then says "Skipped: 31 journalists another send of this same
    release has reached since"; `campaign.resume(...)` gave a Sent whose outcome only had 31 more
    skipped rows, no word of which send reached them. Sent.elsewhere now holds it (per campaign)."""
    cfg = office_config(project, standin, db_url)
    campaign_id = stopped_send(store, cfg, standin)
    with store.connect() as connection:
        left = messages.counts(connection, campaign_id)["planned"]
    again = campaign.prepare_send(store, cfg, "releases/example.md", ["lists/press.csv"], include_previous=True)
    other = campaign.start(store, cfg, again, environ={"SENDGRID_API_KEY": standin.api_key}).campaign_id
    sent = campaign.resume(store, cfg, campaign_id, environ={"SENDGRID_API_KEY": standin.api_key})
    assert sent.elsewhere is not None and dict(sent.elsewhere.reached_since) == {other: left}
    assert sent.elsewhere.skipped == left and sent.elsewhere.words()
