"""Lead, session 28: plain addresses judged without email-validator (issue 12: start-up)."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from test_contacts_addresses import ADVERSARIAL, address

from mailer import config, mailbox


def _email_validator(candidate: str, **options: bool) -> str | None:
    """email-validator's normalized address, or None when it refuses ``candidate``."""
    try:
        return validate_email(candidate, check_deliverability=False, **options).normalized
    except EmailNotValidError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.one_of(address, st.sampled_from(ADVERSARIAL)))
def test_a_plainly_valid_address_is_one_email_validator_accepts_unchanged(candidate: str) -> None:
    """What the quick check passes, email-validator accepts as it is, for a list row and for a From address alike."""
    if mailbox.plainly_valid(candidate):
        assert _email_validator(candidate) == candidate
        assert _email_validator(candidate, allow_smtputf8=False) == candidate
        assert mailbox.validate(candidate) == (candidate, None)


@pytest.mark.parametrize(
    ("sender", "plain"),
    [
        ("press@riverbend.example.org", True),
        ("Press.Office+news@council.gov.uk", True),
        ("press@Riverbend.ORG", False),  # email-validator lower-cases the domain: asked
        ("info@riverbend.org", False),  # a role name: asked, as the list check asks
        ("presse@bücher.example", False),
        ("press@riverbend", False),
        ("press@@riverbend.org", False),
        ("press@riverbend.org\n", False),
    ],
)
def test_a_from_address_is_judged_as_email_validator_judges_it(sender: str, plain: bool) -> None:
    """The config's From check gives email-validator's verdict, whether or not it had to ask it."""
    assert mailbox.plainly_valid(sender) is plain
    expected_ok = _email_validator(sender, allow_smtputf8=False) is not None and sender.isascii()
    assert (config.address_problem(sender) is None) is expected_ok
