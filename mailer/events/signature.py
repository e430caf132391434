"""SendGrid's Signed Event Webhook: ECDSA P-256 / SHA-256 over the timestamp plus the raw body.

SendGrid signs ``timestamp_header + raw_body`` byte for byte; the body separates events with
``\\r\\n``, so it must be verified exactly as received, before any parsing (SENDGRID.md §2.3).
The public key is what SendGrid shows: base64 DER SubjectPublicKeyInfo, without PEM lines.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from mailer.errors import ConfigError, SignatureError

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "check_headers", "load_public_key", "sign", "verify"]


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key from its base64 DER form (PEM armour is tolerated).

    Raises ConfigError for anything that is not an ECDSA P-256 public key, including a key on a
    curve the cryptography library cannot load (it raises UnsupportedAlgorithm, not ValueError).
    """
    # Each line trimmed before the armour test: a PEM block indented in a TOML multi-line string
    # was read with its BEGIN/END lines as key text and refused (review 17w #3).
    lines = (line.strip() for line in text.strip().splitlines())
    body = "".join(line for line in lines if line and not line.startswith("-----"))
    try:
        key = serialization.load_der_public_key(base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            "[webhook] verification_key is not a SendGrid public key.",
            hint="Copy the key from SendGrid (Settings > Mail Settings > Event Webhook > Signed Event "
            'Webhook); it starts with "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE".',
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigError(
            "[webhook] verification_key is not an ECDSA P-256 key, which SendGrid uses.",
            hint="Copy the Signed Event Webhook key from SendGrid again.",
        )
    return key


def check_headers(signature: str | None, timestamp: str | None) -> bytes:
    """The DER signature the headers carry; SignatureError when they carry none, or one that is no ECDSA
    signature at all: known from the headers alone, before a byte of the body is read (edges 28)."""
    if not signature or not timestamp:
        raise SignatureError(
            "The request carries no SendGrid signature.",
            hint=f"SendGrid sends {SIGNATURE_HEADER} and {TIMESTAMP_HEADER}; turn on the Signed Event Webhook.",
        )
    try:
        der = base64.b64decode(signature, validate=True)
        decode_dss_signature(der)
    except (binascii.Error, ValueError) as exc:
        raise _mismatch() from exc
    return der


def verify(public_key: ec.EllipticCurvePublicKey, *, body: bytes, signature: str | None, timestamp: str | None) -> None:
    """Raise SignatureError unless ``signature`` signs ``timestamp + body`` with ``public_key``."""
    der = check_headers(signature, timestamp)
    assert timestamp is not None  # check_headers refuses a missing one
    try:
        public_key.verify(der, timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature) as exc:
        raise _mismatch() from exc


def _mismatch() -> SignatureError:
    return SignatureError(
        "The request's signature does not match: it was not sent by SendGrid, or was changed on the way.",
        hint="Check that [webhook] verification_key is the key SendGrid shows for this webhook.",
    )


def sign(private_key: ec.EllipticCurvePrivateKey, *, body: bytes, timestamp: str) -> str:
    """The signature header SendGrid would send for ``body`` (for tests and local stand-ins)."""
    der = private_key.sign(timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(der).decode("ascii")
