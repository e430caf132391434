"""perf28: the send's steady state, per request and per journalist, cheaper with the same results (issue 12)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailer import mailbox
from mailer.send.dispatch import _maybe_gmail

# Gmail's domains spelt every way a list may hold them, beside others and text a log could hold.
_DOMAINS = ["gmail.com", "GMail.COM", "googlemail.com", "GoogleMail.Com", "gmail.co", "mail.com", "example.org", "ΣΑΣ.gr", "K.com"]
_address = st.builds(
    lambda local, domain, tail: f"{local}@{domain}{tail}",
    st.text(alphabet="aAσΣİıK.+-_jn", min_size=0, max_size=6),
    st.sampled_from(_DOMAINS),
    st.sampled_from(["", "", "", " ", ".", "\n", "Σ"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_address, st.text(max_size=12)), max_size=12))
def test_the_gmail_check_before_each_request_finds_the_same_addresses(emails: list[str]) -> None:
    """The dispatcher's look at a request's addresses for Gmail ones (a suppression under another
    spelling of the inbox keeps them out) finds exactly those an address-by-address look finds."""
    expected = [e for e in emails if e.lower().endswith(mailbox.GMAIL)]
    assert [e for e in _maybe_gmail(emails) if e.lower().endswith(mailbox.GMAIL)] == expected
