"""Everything press-mailer raises on purpose, with messages a press officer can act on.

Our exception hierarchy::

    MailerError (exit 1)
    ├── ConfigError      mailer.toml: a key is unknown, of the wrong type, or missing
    ├── ListError        a press list cannot be read (file, row, what to do)
    ├── ReleaseError     a release file is wrong (front matter, Markdown, attachments)
    ├── TemplateError    a Jinja template is wrong (template file and line)
    ├── StoreError       the delivery log cannot be opened or is inconsistent
    ├── SignatureError   a webhook request is not signed by SendGrid
    ├── EventError       an events file or body cannot be read
    ├── ReportError      a report cannot be built (unknown campaign, nothing to report)
    ├── SendError        a send cannot start or go on (confirmation, embargo, state)
    └── TransportError   SendGrid did not accept a request
        ├── AuthError        401/403: the API key is wrong or lacks permission
        ├── Rejected         400: SendGrid named the field at fault
        ├── TooLarge         413: the request is too large and must be split
        ├── RateLimited      429: wait ``retry_after`` seconds
        ├── Unavailable      5xx or refused connection: nothing was accepted, retry later
        └── OutcomeUnknown   the request left and no answer came: the request is ``unknown``
            └── ForeignAnswer    a 2xx that is not SendGrid's (a proxy's page): ``unknown``, and the send stops

Library code raises these; only the command line prints them and exits with ``exit_code``.
Each error keeps the actionable part in ``hint`` so tests can assert it.
"""

from __future__ import annotations

from collections.abc import Mapping


class MailerError(Exception):
    """Top-level error of press-mailer: a message, an optional hint, an exit code."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # A send that stopped on this error: its recipients per state ("accepted": 10, ...) when it
        # stopped, for the totals line a finished send prints too (newcomer 11b). None otherwise.
        self.counts: Mapping[str, int] | None = None

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ConfigError(MailerError):
    """mailer.toml (or the environment) does not describe a usable configuration."""


class ListError(MailerError):
    """A press list file cannot be used at all."""


class ReleaseError(MailerError):
    """A release file cannot be turned into an email."""


class TemplateError(MailerError):
    """A template cannot be rendered."""


class StoreError(MailerError):
    """The delivery log cannot be used."""


class SignatureError(MailerError):
    """A webhook request does not carry a valid SendGrid signature."""


class EventError(MailerError):
    """Events cannot be read from a file or a request body."""


class ReportError(MailerError):
    """A report cannot be produced."""


class SendError(MailerError):
    """A send cannot start or continue."""


class TransportError(MailerError):
    """SendGrid did not accept a request; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class AuthError(TransportError):
    """SendGrid refused the API key (401) or its permissions (403)."""


class Rejected(TransportError):
    """SendGrid refused the request body (400); ``errors`` holds its message/field pairs."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, str | None]] | None = None,
        hint: str | None = None,
        status: int | None = 400,
    ) -> None:
        super().__init__(message, hint=hint, status=status)
        self.errors = errors or []


class TooLarge(TransportError):
    """The request was over SendGrid's size limit (413)."""


class RateLimited(TransportError):
    """SendGrid asked us to slow down (429)."""

    def __init__(self, message: str, *, retry_after: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, status=429)
        self.retry_after = retry_after


class Unavailable(TransportError):
    """SendGrid could not be reached or failed (5xx): nothing was accepted."""


class OutcomeUnknown(TransportError):
    """The request left but no answer came: SendGrid may or may not have accepted it."""


class ForeignAnswer(OutcomeUnknown):
    """A 2xx answer that is not SendGrid's acceptance of a Mail Send (202 with an X-Message-Id; 200
    in sandbox mode): a proxy's or gateway's page. Whether the request reached SendGrid is not
    known, so its recipients are unknown; the send stops, as every request would get the same."""
