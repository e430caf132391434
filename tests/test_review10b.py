# ruff: noqa: F811  (the `project` fixture, imported from test_languages_send, is each test's argument)
"""Review 10b: attacks on 4b8e5e5 / 356bdb1 ("already received" version by version through the
campaign_version table; a journalist only planned in a stopped campaign of other content is mailed
now). Each test says what the press office should see; each failed before its fix."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_languages_send import KEY, SEND, SUBJECTS, WHO_GETS, mailer, project  # noqa: F401
from test_review10 import FRENCH_AND_GERMAN, _correct_english, _edit, _sent_to


def _stopped_send(project: Path, standin: Any) -> str:
    """``mailer send`` while SendGrid answers 503 (no retries): the campaign stops with every row
    planned, and the output names it for ``mailer resume``. Returns its id."""
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")
    standin.answer(503, times=100)
    stopped = mailer(*SEND, "--yes")
    assert stopped.exit_code != 0, stopped.output
    standin.reset()
    named = re.search(r"mailer resume (\S+)", stopped.output)
    assert named is not None, stopped.output
    return named.group(1)


def _corrected_copy(project: Path) -> str:
    """launch-corrected.md (+ its French file): the English figure fixed, French and German unchanged."""
    releases = project / "releases"
    shutil.copy(releases / "launch.md", releases / "launch-corrected.md")
    shutil.copy(releases / "launch.fr.md", releases / "launch-corrected.fr.md")
    _edit(releases / "launch-corrected.md", "412 volunteers", "413 volunteers")
    return "releases/launch-corrected.md"


# --- 1. Planned rows of a stopped campaign of other content no longer count -----------------


def test_resuming_a_stopped_send_after_a_corrected_copy_went_out_does_not_mail_unchanged_versions_twice(
    project: Path, standin: Any
) -> None:
    """A send stops before mailing anyone (SendGrid down). The office saves its English correction as
    launch-corrected.md and sends that: the French and German journalists, only planned in the stopped
    campaign, are mailed now (review 10 #3). Then someone resumes the stopped campaign, as its own
    message says to (launch.md never changed, so resume accepts): the French and German journalists
    must not get, byte for byte, the same version a second time (promise 8)."""
    stopped = _stopped_send(project, standin)
    corrected = mailer("send", _corrected_copy(project), "--list", "press.csv", "--force-embargo", "--yes")
    assert corrected.exit_code == 0, corrected.output
    resumed = mailer("resume", stopped, "--yes")
    assert resumed.exit_code in (0, 1), resumed.output
    accepted = standin.accepted_addresses()
    assert {email: accepted[email] for email in FRENCH_AND_GERMAN} == dict.fromkeys(FRENCH_AND_GERMAN, 1)  # main: 2 each


def test_resuming_a_stopped_send_after_its_file_was_restored_does_not_mail_unchanged_versions_twice(project: Path, standin: Any) -> None:
    """The same story with one file: corrected in place and sent, then the correction undone (the
    office restores launch.md from its backup to look at it) and the stopped campaign resumed."""
    stopped = _stopped_send(project, standin)
    main_file = project / "releases" / "launch.md"
    original = main_file.read_text(encoding="utf-8")
    _edit(main_file, "412 volunteers", "413 volunteers")
    corrected = mailer(*SEND, "--yes")
    assert corrected.exit_code == 0, corrected.output
    main_file.write_text(original, encoding="utf-8")
    resumed = mailer("resume", stopped, "--yes")
    assert resumed.exit_code in (0, 1), resumed.output
    accepted = standin.accepted_addresses()
    assert {email: accepted[email] for email in FRENCH_AND_GERMAN} == dict.fromkeys(FRENCH_AND_GERMAN, 1)  # main: 2 each


def test_a_correction_sent_while_the_first_send_is_between_its_plan_and_its_lease_mails_unchanged_versions_once(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One terminal sends the release: its rows are committed, and it is about to take the campaign's
    lease (a moment, longer on a busy PostgreSQL or a large plan's checkpoint). A colleague sends the
    English correction from another terminal in that moment. Each French and German journalist must
    get their (unchanged) version once (promises 2, 6, 8)."""
    _correction_between_plan_and_run(project, standin, monkeypatch)


def _correction_between_plan_and_run(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch, *, began: datetime | None = None
) -> None:
    """The release sent (its plan written at ``began``, else now) while a colleague's corrected copy
    is sent between its plan and its run: each French and German journalist gets their version once."""
    from mailer import config
    from mailer.send import campaign, delivery, prepare
    from mailer.store import connect

    cfg = config.from_environment()
    engine = connect(cfg.database.url)
    lists = [project / "press.csv"]
    first = prepare.prepare_send(engine, cfg, project / "releases" / "launch.md", lists, force_embargo=True)
    run = delivery.run
    colleague: list[Any] = []

    def between_plan_and_lease(*args: Any, **kwargs: Any) -> Any:
        if not colleague:  # the first send's rows are in the log
            monkeypatch.setattr(delivery, "run", run)  # the colleague's own send runs as usual
            second = prepare.prepare_send(engine, cfg, project / _corrected_copy(project), lists, force_embargo=True)
            colleague.append(campaign.start(engine, cfg, second, environ={"SENDGRID_API_KEY": KEY}))
        return run(*args, **kwargs)

    monkeypatch.setattr(delivery, "run", between_plan_and_lease)
    campaign.start(engine, cfg, first, environ={"SENDGRID_API_KEY": KEY}, now=began)
    engine.dispose()
    assert colleague, "the colleague's send never ran"
    accepted = standin.accepted_addresses()
    assert {email: accepted[email] for email in FRENCH_AND_GERMAN} == dict.fromkeys(FRENCH_AND_GERMAN, 1)


def test_a_correction_sent_while_the_first_send_is_stalled_mails_unchanged_versions_once(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first send mails one request, then its process stalls for three minutes (the laptop's lid
    closed, Ctrl-Z in the terminal): its lease expires, nobody takes it over. A colleague sends the
    English correction meanwhile; the French and German journalists still planned in the stalled send
    are mailed by the colleague. When the first process wakes it renews its lease and goes on: they
    must not get their (unchanged) version a second time (promises 2, 6, 8)."""
    from datetime import timedelta

    from mailer import config
    from mailer.send import campaign, prepare
    from mailer.send import reached as reached_module
    from mailer.send.dispatch import utcnow
    from mailer.store import connect

    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 1\nconcurrency = 1"), encoding="utf-8")
    cfg = config.from_environment()
    engine = connect(cfg.database.url)
    lists = [project / "press.csv"]
    first = prepare.prepare_send(engine, cfg, project / "releases" / "launch.md", lists, force_embargo=True)
    transport = campaign.transport_for(cfg, first.mode, {"SENDGRID_API_KEY": KEY})
    send = transport.send
    colleague: list[Any] = []

    def then_stall(*args: Any, **kwargs: Any) -> Any:
        result = send(*args, **kwargs)
        if not colleague:  # the first request went; the process stalls, its lease runs out meanwhile
            colleague.append(None)
            woken = utcnow() + timedelta(minutes=3)
            with monkeypatch.context() as later:
                later.setattr(reached_module, "utcnow", lambda *_: woken)
                second = prepare.prepare_send(engine, cfg, project / _corrected_copy(project), lists, force_embargo=True)
                colleague.append(campaign.start(engine, cfg, second, environ={"SENDGRID_API_KEY": KEY}))
        return result

    monkeypatch.setattr(transport, "send", then_stall)
    campaign.start(engine, cfg, first, environ={"SENDGRID_API_KEY": KEY}, transport=transport)
    engine.dispose()
    assert len(colleague) == 2, "the colleague's send never ran"
    accepted = standin.accepted_addresses()
    assert {email: accepted[email] for email in FRENCH_AND_GERMAN} == dict.fromkeys(FRENCH_AND_GERMAN, 1)  # main: 2 each


def test_journalists_waiting_in_a_send_whose_process_died_are_not_stranded_by_a_correction(project: Path, standin: Any) -> None:
    """The send's process dies mid-way (its terminal window closed, kill -9): its lease stays in the log
    until it expires, two minutes later. The office fixes the English figure and sends again at once.
    The French and German journalists, only planned in the dead send, must get their version: skipped
    as "waiting" there, they are stranded, since `mailer resume` refuses a campaign whose file changed
    (review 10 #3, inside the lease's two minutes)."""
    import subprocess
    import sys

    from mailer import config
    from mailer.send import lease
    from mailer.send.dispatch import utcnow
    from mailer.store import campaigns, connect
    from mailer.store.schema import LEASE_HOLDER_MARK

    stopped = _stopped_send(project, standin)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    engine = connect(config.from_environment().database.url)
    with engine.begin() as connection:  # as the killed process left it: its lease, unexpired
        now = utcnow()
        taken = campaigns.take_lease(
            connection,
            stopped,
            holder=LEASE_HOLDER_MARK + "0" * 32,
            host=lease._host(),
            pid=int(dead.stdout),
            now=now,
            expires=now + lease.TTL,
            replacing=None,
        )
        assert taken
    engine.dispose()
    _edit(project / "releases" / "launch.md", "412 volunteers", "413 volunteers")
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    # main: "3 journalists are skipped: 2026-..-launch, a send of this same release, is mailing them right
    # now" (its process is gone); resuming it, as the office then would, is refused: launch.md changed since.
    mailer("resume", stopped, "--yes")
    assert _sent_to(standin) == {email: SUBJECTS[language] for email, language in WHO_GETS.items()}


# --- 2. A copy under another name -----------------------------------------------------------


def _english_only_copy(project: Path) -> str:
    """launch-en.md: launch.md without its translations (the English version, byte for byte)."""
    releases = project / "releases"
    full = (releases / "launch.md").read_text(encoding="utf-8")
    head, _, rest = full.partition("translations:\n")
    (releases / "launch-en.md").write_text(head + "---\n" + rest.split("\n---\n", 1)[1], encoding="utf-8")
    return "releases/launch-en.md"


@pytest.mark.parametrize(
    ("copy", "others"),
    [
        pytest.param(_corrected_copy, "3 English journalists", id="corrected copy"),
        pytest.param(_english_only_copy, "3 French and German journalists", id="English-only copy"),
    ],
)
def test_a_copy_under_another_name_asks_before_mailing_who_got_another_version(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch, copy: Any, others: str
) -> None:
    """The log knows the copy is this release (its other versions are unchanged, byte for byte: they are
    skipped as already received). The journalists who got another version of it are then in the same
    place as with the release's own file corrected: "N of these journalists already received an earlier
    version", and the question, answered no here, so nobody is mailed. Main mails the {others} the
    corrected (or English) version without a word."""
    from mailer.cli import send as send_cli

    assert mailer(*SEND, "--yes").exit_code == 0
    target = copy(project)
    standin.reset()
    monkeypatch.setattr(send_cli, "stdin_is_terminal", lambda: True)
    asked = mailer("send", target, "--list", "press.csv", "--force-embargo", input="y\nn\nn\n")
    said = " ".join(asked.output.split())
    assert "3 of these journalists already received an earlier version of this release" in said, said
    assert _sent_to(standin) == {}


def test_a_send_stopped_by_ctrl_c_after_its_plan_does_not_strand_its_journalists_from_a_correction(project: Path, standin: Any) -> None:
    """Ctrl-C the moment the plan is written, then correct the English text and send at once: the
    stopped send is marked paused (a plan still `planned` might be about to go out, and would keep its
    journalists waiting in it), so the French and German journalists get their version from the
    correction instead of waiting in a send that can no longer be resumed (its file changed)."""
    _ctrl_c_after_plan(*SEND, "--yes")
    _correct_english(project)
    again = mailer(*SEND, "--yes")
    assert again.exit_code == 0, again.output
    assert _sent_to(standin) == {email: SUBJECTS[language] for email, language in WHO_GETS.items()}
    english = next(r.body for r in standin.mail_sends if r.body["subject"] == SUBJECTS["en"])
    assert "413 volunteers" in " ".join(english["content"][0]["value"].split())


def _ctrl_c_after_plan(*args: str) -> None:
    """``mailer`` with these arguments, stopped by Ctrl-C the moment its plan is committed."""
    from mailer.send import delivery

    record = delivery.record

    def then_ctrl_c(*a: Any, **kw: Any) -> Any:
        record(*a, **kw)
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delivery, "record", then_ctrl_c)
        assert mailer(*args).exit_code != 0
