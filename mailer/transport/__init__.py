"""Transports: how a request of personalized messages leaves the machine.

``base`` holds the protocol and the values it passes; ``sendgrid`` talks to SendGrid's v3
Mail Send API; ``dryrun`` writes what it would send to files instead.
"""

from __future__ import annotations

from mailer.transport.base import Request, RequestResult, Transport

__all__ = ["Request", "RequestResult", "Transport"]
