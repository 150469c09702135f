"""X-Hub-Signature-256 for webhook POSTs (PLATFORM.md section 3).

Meta signs the raw body bytes exactly as sent (non-ASCII written as lowercase \\uXXXX
escapes), so callers must pass the bytes received, never re-serialised JSON.
"""

import hashlib
import hmac
import string
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX_DIGITS = frozenset(string.hexdigits)
_DIGEST_LENGTH = 64


def sign_body(body: bytes, secret: str) -> str:
    """Return the header value Meta would send for `body`: "sha256=<64 lowercase hex>"."""
    return _PREFIX + _hex_digest(body, secret)


def verify_signature(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """True when `header` is a valid sha256 signature of `body` under any of `secrets`.

    Several secrets are accepted because which app secret signs Instagram-Login webhooks
    is unconfirmed (section 3), and so that a secret can be rotated without downtime.
    """
    received = _parse_header(header)
    if received is None:
        return False
    matched = False
    for secret in secrets:
        # An empty secret would make the HMAC key public knowledge: treat it as unset.
        if not secret:
            continue
        # No early return: the work done does not reveal which secret matched.
        matched |= hmac.compare_digest(_hex_digest(body, secret), received)
    return matched


def _hex_digest(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _parse_header(header: str | None) -> str | None:
    """The lowercase hex digest from "sha256=<hex>", or None when the header is unusable."""
    if not header:
        return None
    scheme, separator, digest = header.strip().partition("=")
    if separator != "=" or scheme.lower() != "sha256":
        return None
    if len(digest) != _DIGEST_LENGTH or not _HEX_DIGITS.issuperset(digest):
        return None
    return digest.lower()
