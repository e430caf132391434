"""Review 22b: a hostile review of the changes merged on 2 December 2026 (the older-copy refusal, the
consent reading, [reports] time_zone, cancel latest), looking for what would hurt a press office: above
all a journalist who consented, silently not mailed. Each test is a finding, through the command line,
and failed before its fix (session 22)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from office_cli import SEND, mailed, mailer, office

# -- 1. A consent date with its time in an Australian, Asian or Alaskan zone was no consent ----------

GIVEN_IN_A_ZONE = [
    "2024-05-01 10:00:00 AEST",
    "2024-05-01 10:00 AEDT",
    "01/05/2024 10:00 NZST",
    "2024-05-01 10:00:00 IST",
    "2024-05-01 10:00:00 JST",
    "2024-05-01 10:00:00 SGT",
    "2024-05-01 10:00:00 HKT",
    "2024-05-01 10:00:00 AKDT",
    "2024-05-01 10:00:00 MSK",
    "2024-05-01 10:00:00 SAST",
]


def test_a_consent_date_with_its_time_in_the_offices_zone_is_consent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A Sydney office's CRM writes when consent was given with its zone, "2024-05-01 10:00:00 AEST"
    (Singapore's SGT, Tokyo's JST, India's IST, Alaska's AKDT). Before review 22 #1 anything after a
    date was read as its time; since, only the zones of Europe and North America were: every such
    journalist was "without consent" and not mailed. A date with its time in such a zone is consent;
    a word there ("2024-05-01 10:00 withdrawn") still is not."""
    cells = [*GIVEN_IN_A_ZONE, "2024-05-01 10:00 withdrawn", "2024-05-01 10:00 nein"]
    beat = "Email,Name,Email consent\n" + "".join(f'j{at}@paper.example,J {at},"{cell}"\n' for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    given = [f"j{at}@paper.example" for at in range(len(GIVEN_IN_A_ZONE))]
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "rejected:    2 (2 without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(given), sent.output


# -- 2. "Accepted", "Opt In", "Double opt in" in a consent column were no consent ---------------------

SAID_YES = ["Accepted", "accepted", "Opt In", "opt in", "Double opt in", "Confirmed opt in", "Single opt in", "Consent given"]


def test_the_english_words_for_consent_given_are_consent(tmp_path: Path, standin: Any, db_url: str) -> None:
    """A consent column's "Accepted" (German "akzeptiert", French "accepté" were consent; English not),
    "Opt In" with a space where "Opt-In" and "optin" were consent, a CRM's "Double opt in": each
    journalist was turned away as "gave no consent to email" and not mailed."""
    cells = [*SAID_YES, "Not accepted", "refused"]
    beat = "Email,Name,Email consent\n" + "".join(f'j{at}@paper.example,J {at},"{cell}"\n' for at, cell in enumerate(cells))
    office(tmp_path, standin, db_url, beat=beat)
    checked = mailer("lists", "check", "lists/beat.csv")
    assert checked.exit_code == 0, checked.output
    assert "rejected:    2 (2 without consent)" in checked.output, checked.output
    sent = mailer(*SEND)
    assert sent.exit_code == 0, sent.output
    assert sorted(mailed(standin)) == sorted(f"j{at}@paper.example" for at in range(len(SAID_YES))), sent.output
