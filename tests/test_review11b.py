# ruff: noqa: F811  (the `project` fixture, imported from test_languages_send, is each test's argument)
"""Review 11b: hostile review of the take-back of journalists left to another send, settle, the
stalled lease, Endpoint, the link token and safe_cell. Each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_languages_send import KEY, SEND, mailer, project  # noqa: F401

WORKTREE = Path(__file__).resolve().parents[1]


def _other_terminal(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``mailer ARGS`` in another process (another terminal), in the office's folder."""
    env = {**os.environ, "SENDGRID_API_KEY": KEY, "PYTHONPATH": str(WORKTREE)}
    return subprocess.run(
        [sys.executable, "-m", "mailer", *args], check=False, cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


def _ids() -> list[str]:
    return [c["id"] for c in json.loads(mailer("campaigns", "--json").stdout)]


def _no_retries(project: Path) -> None:
    toml = project / "mailer.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("batch_size = 10", "batch_size = 10\nretries = 0"), encoding="utf-8")


def test_a_journalist_the_other_send_mails_while_the_question_waits_is_not_taken_back(
    project: Path, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send to Hans (--where outlet=FAZ) stops before mailing him. The office sends the release to
    the whole list: Hans is skipped, "waiting in" the first send. While the question waits, a
    colleague resumes the first send in another terminal: Hans gets the release. The whole-list send
    then stops half-way (SendGrid down) and is resumed: Hans must not be "taken back" and mailed again."""
    from mailer.cli import send as send_cli

    _no_retries(project)
    standin.answer(503, times=100)
    stopped = mailer(*SEND, "--where", "outlet=FAZ", "--yes")
    assert stopped.exit_code != 0, stopped.output
    standin.reset()
    [first] = _ids()
    real_confirm = send_cli._confirm

    def colleague_resumes_first_while_asked(question: str, **kwargs: Any) -> None:
        resumed = _other_terminal(project, "resume", first, "--yes")  # while this terminal's question waited
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        standin.answer(503, times=100)  # the whole-list send then stops at once
        real_confirm(question, **kwargs)

    monkeypatch.setattr(send_cli, "_confirm", colleague_resumes_first_while_asked)
    whole = mailer(*SEND, "--yes")
    assert "waiting in" in " ".join(whole.output.split()), whole.output
    monkeypatch.setattr(send_cli, "_confirm", real_confirm)
    before = standin.accepted_addresses()
    assert before == {"hans@example.de": 1}, before  # the colleague's resume
    standin.reset()
    [second] = [cid for cid in _ids() if cid != first]
    resumed = mailer("resume", second, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "hans@example.de" not in standin.accepted_addresses(), resumed.output


def test_a_resume_with_someone_left_mails_them_even_if_others_were_both_reached_and_suppressed(project: Path, standin: Any) -> None:
    """A send stops before mailing anyone. A colleague sends the release again with --include-previous
    to five of the six; all five bounce (suppressed). Resuming the first send: the five are skipped
    (reached since, and suppressed), Amy is left. The resume said "Nothing to resume: nobody is left to
    send ... to", sent nothing and asked for another resume: each of the five was counted twice."""
    _no_retries(project)
    standin.answer(503, times=100)
    assert mailer(*SEND, "--yes").exit_code != 0
    standin.reset()
    [first] = _ids()
    five = mailer(*SEND, "--include-previous", "--where", "outlet=Le Monde,La Presse,FAZ,Asahi,Courier", "--yes")
    assert five.exit_code == 0, five.output
    for address in ("claire@example.fr", "jean@example.ca", "hans@example.de", "yuki@example.jp", "pat@example.com"):
        added = mailer("suppressions", "add", address, "--reason", "bounced")
        assert added.exit_code == 0, added.output
    standin.reset()
    resumed = mailer("resume", first, "--yes")
    said = " ".join(resumed.output.split())
    assert "nobody is left" not in said, said
    assert set(standin.accepted_addresses()) == {"amy@example.com"}, said


def _six_left_to_a_cancelled_send(project: Path, standin: Any, *, batch_size: int = 10) -> str:
    """test_fix11's story (``left_to_another_terminal``), the first send then cancelled. Returns the
    second's id."""
    from test_fix11 import left_to_another_terminal

    if batch_size != 10:  # with no retries, as _stopped_send sets them for 10 (the 503s are not waited out: 25 s)
        toml = project / "mailer.toml"
        changed = toml.read_text(encoding="utf-8").replace("batch_size = 10", f"batch_size = {batch_size}\nretries = 0")
        toml.write_text(changed, encoding="utf-8")
    first, second = left_to_another_terminal(project, standin)
    assert mailer("cancel", first).exit_code == 0
    return second


def test_taken_back_journalists_of_other_languages_are_not_logged_accepted_by_the_english_request(project: Path, standin: Any) -> None:
    """The six taken back are English, French and German. SendGrid accepts the English request and
    is down for the rest: the French and German journalists must stay planned for the next resume,
    not be logged "accepted" (then nobody ever mails them: "Nothing to resume")."""
    from test_languages_send import SUBJECTS

    second = _six_left_to_a_cancelled_send(project, standin)
    standin.answer(503, times=1_000, match=lambda r: r.body.get("subject") != SUBJECTS["en"])
    resumed = mailer("resume", second, "--yes")
    assert resumed.exit_code != 0, resumed.output  # stopped: SendGrid down for the other versions
    mailed = set(standin.accepted_addresses())
    assert mailed == {"yuki@example.jp", "pat@example.com", "amy@example.com"}, mailed
    status = " ".join(mailer("status", second).stdout.split())
    assert "3 planned" in status, status
    standin.reset()
    again = mailer("resume", second, "--yes")
    assert again.exit_code == 0, again.output
    assert set(standin.accepted_addresses()) == {"claire@example.fr", "jean@example.ca", "hans@example.de"}, again.output


def test_suppressions_import_says_when_a_second_address_column_is_not_imported(logged: Path) -> None:
    """An agency's opt-out export has a work and a personal address per person ("Email", "E-mail").
    Only the first column is read; `mailer lists check` says so (newcomer 11), `mailer suppressions
    import` says nothing: the office believes both addresses are never mailed again."""
    Path("optouts.csv").write_text(
        "Name,Email,E-mail\nAna Diaz,ana@daily.example,ana.diaz@home.example\nBo Lund,bo@news.example,bo.lund@home.example\n",
        encoding="utf-8",
    )
    imported = mailer("suppressions", "import", "optouts.csv", "--reason", "agency opt-outs")
    assert imported.exit_code == 0, imported.output
    listed = mailer("suppressions", "list").output
    said = " ".join(imported.output.split())
    assert "ana.diaz@home.example" in listed or '"E-mail"' in said, said


def test_taken_back_journalists_go_in_requests_no_larger_than_the_batch_size(project: Path, standin: Any) -> None:
    """[sendgrid] batch_size = 2 (a small account, or a colleague's advice). The six taken back by the
    resume must go two at a time, as every other request of the office's sends."""
    second = _six_left_to_a_cancelled_send(project, standin, batch_size=2)
    assert "batch_size = 2" in (project / "mailer.toml").read_text(encoding="utf-8")
    resumed = mailer("resume", second, "--yes")
    assert resumed.exit_code == 0, resumed.output
    sizes = [len(r.body["personalizations"]) for r in standin.mail_sends]
    assert sum(sizes) == 6 and max(sizes) <= 2, sizes


def test_the_resume_question_does_not_count_a_taken_back_journalist_who_unsubscribed(project: Path, standin: Any) -> None:
    """Of the six a cancelled send left, Claire unsubscribed meanwhile. The resume takes the six back
    and skips Claire (promise 3); its question must count the five it will mail (review 8b)."""
    second = _six_left_to_a_cancelled_send(project, standin)
    assert mailer("suppressions", "add", "claire@example.fr", "--reason", "asked by phone").exit_code == 0
    resumed = mailer("resume", second, "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "claire@example.fr" not in standin.accepted_addresses()
    assert "Left:       5 journalists to send to" in resumed.output, resumed.output
