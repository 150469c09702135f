"""Signed links: a URL that grants one thing (one export's download) until a time, with
nothing stored.

The signature is HMAC-SHA256 over the message under a key derived from each token key
(WAZIFY_TOKEN_KEYS, the keys that already protect stored secrets) and the link's purpose:
the newest key signs, every listed key verifies, so rotating the keys keeps links signed
before the rotation working until they expire. A purpose label keeps a signature for one
kind of link from being valid for another. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

_DOMAIN = b"wazify signed link v1\x00"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class LinkSigner:
    """Signs and verifies messages for one purpose (e.g. "export-download")."""

    def __init__(self, keys: Sequence[str], purpose: str) -> None:
        if not keys:
            raise ValueError("signing links needs at least one token key")
        label = _DOMAIN + purpose.encode("utf-8")
        self._keys = [
            hmac.new(base64.urlsafe_b64decode(key), label, hashlib.sha256).digest() for key in keys
        ]

    def sign(self, message: str) -> str:
        return _b64(hmac.new(self._keys[0], message.encode("utf-8"), hashlib.sha256).digest())

    def verify(self, message: str, signature: str) -> bool:
        data = message.encode("utf-8")
        given = signature.encode("ascii", "replace")
        found = False
        for key in self._keys:  # every key is tried: the time taken says nothing of which
            expected = _b64(hmac.new(key, data, hashlib.sha256).digest()).encode("ascii")
            found |= hmac.compare_digest(expected, given)
        return found
