"""Meta's `signed_request` (Data Deletion and Deauthorize callbacks, PLATFORM.md section 9).

Format: base64url(HMAC-SHA256(secret, encoded payload segment)) "." base64url(JSON payload),
padding stripped. The HMAC covers the payload segment as sent, before decoding.
"""

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence

import msgspec

EXPECTED_ALGORITHM = "HMAC-SHA256"
_SIGNATURE_BYTES = 32
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class InvalidSignedRequest(ValueError):
    """The signed_request is malformed, unsigned by any known secret, or not HMAC-SHA256."""


class BadSignature(InvalidSignedRequest):
    """Well formed, but signed by none of the configured secrets (forged or tampered)."""


class SignedRequest(msgspec.Struct, frozen=True):
    algorithm: str
    # The app-scoped id of the user who removed the app or asked for deletion.
    user_id: str
    issued_at: int | None = None
    # Absent from deauthorize requests.
    expires: int | None = None


class _Payload(msgspec.Struct):
    """The payload as Meta may send it: user_id is a string, tolerated as a number."""

    algorithm: str
    user_id: str | int
    issued_at: int | None = None
    expires: int | None = None


def parse_signed_request(value: str, secrets: Sequence[str]) -> SignedRequest:
    """Verify `value` against any of `secrets` and return its payload.

    Raises InvalidSignedRequest with a message naming the first problem found.
    """
    signature_part, payload_part = _split(value)
    signature = _b64url_decode(signature_part, "signature")
    if len(signature) != _SIGNATURE_BYTES:
        raise InvalidSignedRequest(
            f"signature is {len(signature)} bytes, expected {_SIGNATURE_BYTES} (HMAC-SHA256)"
        )
    # Authenticate before parsing so that untrusted JSON never reaches the decoder.
    if not _matches_any_secret(payload_part, signature, secrets):
        raise BadSignature("signature does not match any configured app secret")
    payload = _decode_payload(_b64url_decode(payload_part, "payload"))
    if payload.algorithm.upper() != EXPECTED_ALGORITHM:
        raise InvalidSignedRequest(
            f"unsupported algorithm {payload.algorithm!r}, expected {EXPECTED_ALGORITHM}"
        )
    return SignedRequest(
        algorithm=payload.algorithm,
        user_id=str(payload.user_id),
        issued_at=payload.issued_at,
        expires=payload.expires,
    )


def _split(value: str) -> tuple[str, str]:
    signature_part, separator, payload_part = value.strip().partition(".")
    if not separator or not signature_part or not payload_part:
        raise InvalidSignedRequest("signed_request must be '<signature>.<payload>'")
    return signature_part, payload_part


def _b64url_decode(segment: str, name: str) -> bytes:
    # urlsafe_b64decode silently drops foreign characters, so check the alphabet first.
    if not _BASE64URL.fullmatch(segment):
        raise InvalidSignedRequest(f"{name} segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidSignedRequest(f"{name} segment is not valid base64url: {exc}") from exc


def _matches_any_secret(payload_part: str, signature: bytes, secrets: Sequence[str]) -> bool:
    message = payload_part.encode("ascii")
    matched = False
    for secret in secrets:
        # An empty secret would let anyone forge requests: treat it as unset.
        if not secret:
            continue
        expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, signature)
    return matched


def _decode_payload(raw: bytes) -> _Payload:
    try:
        return msgspec.json.decode(raw, type=_Payload)
    except msgspec.ValidationError as exc:
        raise InvalidSignedRequest(f"payload has an unexpected shape: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidSignedRequest(f"payload is not JSON: {exc}") from exc
