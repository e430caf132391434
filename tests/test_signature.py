"""SendGrid's Signed Event Webhook: published vectors, our own signed bodies, and tampering."""

from __future__ import annotations

import pytest
from eventlog import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, VECTORS, body, sg_event

from mailer.errors import ConfigError, SignatureError
from mailer.events import signature

VALID = [v for v in VECTORS["vectors"] if v["expected_valid"]]
INVALID = [v for v in VECTORS["vectors"] if not v["expected_valid"]]


@pytest.mark.parametrize("vector", VALID, ids=[v["id"] for v in VALID])
def test_signature_published_vectors_verify(vector: dict[str, str]) -> None:
    """SendGrid's published payloads verify byte for byte, \\r\\n included."""
    key = signature.load_public_key(vector["public_key"])
    signature.verify(key, body=vector["payload"].encode(), signature=vector["signature"], timestamp=vector["timestamp"])


@pytest.mark.parametrize("vector", INVALID, ids=[v["id"] for v in INVALID])
def test_signature_published_negatives_are_refused(vector: dict[str, str]) -> None:
    """Wrong key, changed payload, changed timestamp, stripped CRLF or re-serialised JSON all fail."""
    key = signature.load_public_key(vector["public_key"])
    with pytest.raises(SignatureError, match="does not match"):
        signature.verify(key, body=vector["payload"].encode(), signature=vector["signature"], timestamp=vector["timestamp"])


def test_signature_own_signed_body_verifies_and_tampering_fails() -> None:
    """A body we sign with the test key verifies; one changed byte, timestamp or key fails."""
    payload = body([sg_event("delivered", "ana@example.org", key="k1", campaign_id="c1", at=1)])
    signed = signature.sign(TEST_PRIVATE_KEY, body=payload, timestamp="1771495200")
    key = signature.load_public_key(TEST_PUBLIC_KEY)
    signature.verify(key, body=payload, signature=signed, timestamp="1771495200")
    with pytest.raises(SignatureError):
        signature.verify(key, body=payload.replace(b"delivered", b"bounce\x20\x20\x20"), signature=signed, timestamp="1771495200")
    with pytest.raises(SignatureError):
        signature.verify(key, body=payload, signature=signed, timestamp="1771495201")
    other = signature.load_public_key(VALID[0]["public_key"])
    with pytest.raises(SignatureError):
        signature.verify(other, body=payload, signature=signed, timestamp="1771495200")


MISSING = "The request carries no SendGrid signature."
MISMATCH = "The request's signature does not match: it was not sent by SendGrid, or was changed on the way."


@pytest.mark.parametrize(
    ("sig", "stamp", "message"),
    [
        (None, "1", MISSING),
        ("", "1", MISSING),
        ("abc", None, MISSING),
        ("not base64!!", "1", MISMATCH),
        ("abc", "1", MISMATCH),
    ],
)
def test_signature_missing_or_garbled_headers_are_refused(sig: str | None, stamp: str | None, message: str) -> None:
    """Missing headers say the signature is missing; non-base64 ones say it does not match; never a crash."""
    key = signature.load_public_key(TEST_PUBLIC_KEY)
    with pytest.raises(SignatureError) as caught:
        signature.verify(key, body=b"[]", signature=sig, timestamp=stamp)
    assert caught.value.message == message
    assert caught.value.hint == (
        "SendGrid sends X-Twilio-Email-Event-Webhook-Signature and X-Twilio-Email-Event-Webhook-Timestamp; turn on the Signed Event Webhook."
        if message == MISSING
        else "Check that [webhook] verification_key is the key SendGrid shows for this webhook."
    )


def test_signature_bad_key_is_a_config_error() -> None:
    """A key that is not SendGrid's P-256 public key says where to copy the right one."""
    with pytest.raises(ConfigError, match="verification_key is not a SendGrid public key") as caught:
        signature.load_public_key("not a key")
    assert "Signed Event Webhook" in (caught.value.hint or "")


def test_signature_key_with_pem_armour_is_accepted() -> None:
    """A key pasted with its BEGIN/END PUBLIC KEY lines still loads."""
    pem = f"-----BEGIN PUBLIC KEY-----\n{TEST_PUBLIC_KEY}\n-----END PUBLIC KEY-----\n"
    assert signature.load_public_key(pem).curve.name == "secp256r1"
