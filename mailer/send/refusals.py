"""A refusal SendGrid would give every request of a send: seen twice alike, it stops the send.

A 400 whose errors name a personalization (``personalizations.N...``) is about one journalist:
she fails, the others go again (``Dispatcher._send_the_others``). One about the email as a
whole (a wrong ``asm.group_id``, a From address SendGrid does not take, a ``send_at`` too far
ahead) holds for every request of the send, which share everything but the journalists: sent
on, each request was refused in turn, a warning each, and every journalist ended failed. Two
requests refused alike, none accepted since the first of them, stop the send: their journalists
fail with SendGrid's words, those of requests out at that moment and refused the same way stay
planned (a refused request mails nobody), and nothing more is sent. The error says what SendGrid
refused, where to fix it, and how to go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailer.errors import Rejected, SendError

__all__ = ["AlikeRefusals", "whole_email_errors"]

# Refused alike this many times (and nothing accepted since the first), the send stops.
STOP_AFTER = 2

Key = tuple[tuple[str, str], ...]


def _names_one(field_name: str | None) -> bool:
    """Whether SendGrid's error ``field`` points at one personalization (``personalizations.3.to``)."""
    pieces = str(field_name or "").split(".")
    return len(pieces) > 1 and pieces[0] == "personalizations" and pieces[1].isdecimal()


def whole_email_errors(error: Rejected) -> Key:
    """SendGrid's errors in ``error`` that are about the email as a whole, not one journalist:
    (field, message) pairs, sorted; empty when every error names a personalization, or for a
    status other than 400 (a 415, "Invalid UTF8 in request", may come of one journalist's name)."""
    if error.status != 400:
        return ()
    items = error.errors or [{"field": None, "message": error.message}]
    return tuple(sorted({(str(e.get("field") or ""), str(e.get("message") or "")) for e in items if not _names_one(e.get("field"))}))


@dataclass
class AlikeRefusals:
    """The 400s about the email as a whole a run has met since its last accepted request."""

    # What SendGrid said -> the requests it refused with it (number -> how many journalists).
    seen: dict[Key, dict[int, int]] = field(default_factory=dict)
    stopped_on: Key | None = None  # what stopped the send
    unlisted: bool = False  # it came without SendGrid's list of errors: most likely not SendGrid's answer (a proxy's page)

    def accepted(self) -> None:
        """A request was accepted: what was refused before is not refused to every request."""
        self.seen.clear()

    def held_back(self, error: Rejected, number: int) -> bool:
        """Whether request ``number``, refused with ``error``, was refused as the send stopped for
        the same reason: nobody in it was refused on her own account, so its journalists stay
        planned for a resume after the fix, not failed."""
        key = whole_email_errors(error)
        return bool(key) and key == self.stopped_on and number not in self.seen.get(key, {})

    def stops(self, error: Rejected, number: int, size: int) -> bool:
        """Note request ``number`` (``size`` journalists, now failed) refused with ``error``; True when
        that makes STOP_AFTER requests refused alike: the send must stop."""
        key = whole_email_errors(error)
        if not key:
            return False
        refused = self.seen.setdefault(key, {})
        refused[number] = size
        if len(refused) >= STOP_AFTER and self.stopped_on is None:
            self.stopped_on, self.unlisted = key, not error.errors
            return True
        return False

    def stop_error(self, campaign_id: str) -> SendError:
        """What the press officer reads when the send stops: what SendGrid refused, where to fix it,
        that nobody else was mailed, and how to go on."""
        key = self.stopped_on or ()
        refused = self.seen.get(key, {})
        failed = sum(refused.values())
        said = "; ".join(f"{name}: {message}" if name else message for name, message in key)
        numbers = " and ".join(str(number) for number in sorted(refused))
        stopped = "The send stopped: nobody else was mailed (a refused request mails nobody in it, and no more requests were sent)."
        if self.unlisted:  # a proxy or another device answered in SendGrid's place: nothing in mailer.toml's [sender] to fix (carry28)
            message = (
                f"Requests {numbers} were refused alike: {said.rstrip('.')}. Most likely not SendGrid but a proxy or another "
                "network device between this computer and SendGrid answered, and it would refuse every request of this "
                f"send. {stopped}"
            )
            fix = (
                "Check [sendgrid] api_url in mailer.toml (SendGrid's is https://api.sendgrid.com, https://api.eu.sendgrid.com for an EU account) and this "
                "computer's proxy settings (the HTTPS_PROXY environment variable; at the office, ask IT whether a proxy or "
                "firewall sits between this computer and SendGrid)"
            )
        else:
            message = (
                f"SendGrid refused requests {numbers} for the same reason, which is about the email as a whole, not any "
                f"one journalist, so it would refuse every request of this send: {said.rstrip('.')}. {stopped}"
            )
            fix = f"Fix {_where(key)}"
        return SendError(
            message,
            hint=f"{fix}. Then run: mailer resume {campaign_id} --retry-failed (it sends to everyone this "
            f"send has not reached, the {failed:,} journalists of the refused requests included, once each; a plain "
            f"mailer resume {campaign_id} sends to the others only, and leaves those {failed:,} failed).",
        )


# SendGrid's field (its first part) -> where the press officer sets what mailer sends in it
# (mailer/transport/mailsend.py builds the body).
_WHERE = {
    "from": "the From address: from: in the release's front matter, or [sender] from_email and from_name in mailer.toml "
    "(SendGrid sends only from an address verified under Settings > Sender Authentication)",
    "reply_to": "the Reply-To address: reply_to: in the release's front matter, or [sender] reply_to in mailer.toml",
    "subject": "subject: in the release's front matter",
    "content": "the release's text (mailer preview shows the email)",
    "attachments": "attachments: in the release's front matter",
    "asm": "[sendgrid] asm_group_id in mailer.toml: the id of one of this SendGrid account's unsubscribe groups "
    "(Suppressions > Unsubscribe Groups), or no asm_group_id at all",
    "categories": "[sendgrid] category in mailer.toml",
    "tracking_settings": "[sendgrid.tracking] in mailer.toml",
    "mail_settings": "[sendgrid] sandbox in mailer.toml",
    "send_at": "the time given with --at (SendGrid takes a send at most 72 hours ahead)",
}


def _where(key: Key) -> str:
    """Where to fix what SendGrid names in ``key``: a key of mailer.toml, or of the release."""
    places = list(dict.fromkeys(_WHERE[name.split(".")[0]] for name, _ in key if name.split(".")[0] in _WHERE))
    if not places or any(name.split(".")[0] not in _WHERE for name, _ in key):
        places.append("what SendGrid names, in mailer.toml ([sender], [sendgrid]) or the release's front matter")
    return "; and ".join(places)
