"""Authenticated encryption for secrets at rest (Instagram access tokens).

Keys come from the WAZIFY_TOKEN_KEYS environment variable: a comma-separated list, newest
first. The newest key encrypts; every listed key decrypts, so a key can be rotated by
prepending a new one, re-encrypting stored values (`needs_rotation` / `rotate`), and only
then dropping the old one.

A key is the urlsafe base64 encoding of 32 random bytes (44 characters, ending in "="), as
produced by `generate_key()`:

    python -c "from wazify.lib.crypto import generate_key; print(generate_key())"

Ciphertext format (ASCII, fits a text column):

    v1.<key id>.<urlsafe base64, unpadded, of 12-byte nonce + AES-256-GCM ciphertext and tag>

The key id (8 hex characters) names the key that encrypted the value, so decryption picks the
right key directly instead of trying each one, and an operator can tell which rows still
depend on an old key. Each value is also bound to a caller-supplied context (for instance
"ig_account:42") through GCM associated data, so a ciphertext copied to another row does not
decrypt there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ENV_VAR",
    "DecryptionError",
    "InvalidKey",
    "TokenCipher",
    "generate_key",
    "key_id",
    "parse_keys",
]

ENV_VAR = "WAZIFY_TOKEN_KEYS"

_VERSION = "v1"
_KEY_BYTES = 32
_KEY_CHARS = 44  # len(urlsafe_b64encode(32 bytes)), padding included
_NONCE_BYTES = 12  # the GCM standard nonce size; random nonces are safe far beyond our volume
_TAG_BYTES = 16
_KEY_ID_CHARS = 8
# Checked before decoding because the stdlib decoders silently skip characters outside the
# alphabet, which would let a mangled key (e.g. with a stray quote) decode to something else.
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{43}=")
_KEY_ID_RE = re.compile(r"[0-9a-f]{8}")
_B64_BODY_RE = re.compile(r"[A-Za-z0-9_-]+")
# Domain separation: the id is a hash of the key, and prefixing it keeps that hash from ever
# coinciding with a hash of the same bytes computed for some other purpose.
_KEY_ID_DOMAIN = b"wazify-token-key-id\x00"
_AAD_PREFIX = b"wazify-token\x00" + _VERSION.encode() + b"\x00"


class InvalidKey(ValueError):
    """A configured key is malformed, or no key is configured.

    The message names the key by position only: key material must never reach the logs.
    """


class DecryptionError(Exception):
    """A ciphertext cannot be decrypted. The message never contains key material or plaintext."""


def generate_key() -> str:
    """Return a new random key in the WAZIFY_TOKEN_KEYS format."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


def parse_keys(value: str) -> list[str]:
    """Split a WAZIFY_TOKEN_KEYS value: comma-separated, spaces stripped, empty items ignored."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _decode_key(key: str, position: int) -> bytes:
    """Decode and validate one key; `position` is 1-based, for the error message."""
    where = f"{ENV_VAR} key #{position}"
    if not isinstance(key, str):
        raise InvalidKey(f"{where} is malformed: expected a string, got {type(key).__name__}")
    if len(key) != _KEY_CHARS:
        raise InvalidKey(
            f"{where} is malformed: expected {_KEY_CHARS} characters of urlsafe base64 "
            f"(32 random bytes), got {len(key)} characters; generate one with generate_key()"
        )
    if not _KEY_RE.fullmatch(key):
        raise InvalidKey(
            f"{where} is malformed: expected urlsafe base64 (A-Z a-z 0-9 - _) ending in '='; "
            "generate one with generate_key()"
        )
    raw = base64.urlsafe_b64decode(key)
    # 43 characters carry 258 bits, so the last one has 2 spare bits; insisting on the
    # canonical encoding keeps one key from having two spellings with different key ids.
    if len(raw) != _KEY_BYTES or base64.urlsafe_b64encode(raw).decode("ascii") != key:
        raise InvalidKey(
            f"{where} is malformed: not a canonical encoding of 32 bytes; "
            "generate one with generate_key()"
        )
    return raw


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(_KEY_ID_DOMAIN + raw).hexdigest()[:_KEY_ID_CHARS]


def key_id(key: str) -> str:
    """Return the id a key stamps on its ciphertexts (raises InvalidKey if it is malformed)."""
    return _key_id(_decode_key(key, 1))


def _aad(kid: str, context: str) -> bytes:
    # The key id and version are authenticated too, so a ciphertext cannot be relabelled.
    return _AAD_PREFIX + kid.encode("ascii") + b"\x00" + context.encode("utf-8")


def _check_context(context: str) -> None:
    # An empty context would make every row interchangeable, defeating the point of binding.
    if not isinstance(context, str) or not context:
        raise ValueError("context must be a non-empty string, e.g. 'ig_account:<id>'")


def _split(ciphertext: str) -> tuple[str, bytes]:
    """Parse a ciphertext into (key id, nonce + sealed bytes), or raise DecryptionError."""
    if not isinstance(ciphertext, str):
        raise DecryptionError(f"ciphertext must be a string, got {type(ciphertext).__name__}")
    parts = ciphertext.split(".")
    if len(parts) != 3 or not parts[0]:
        raise DecryptionError("not a token ciphertext (expected 'v1.<key id>.<data>')")
    version, kid, body = parts
    if version != _VERSION:
        # Only the version is echoed: it is a short, known-format label, never secret.
        shown = version if re.fullmatch(r"v[0-9]{1,3}", version) else "?"
        raise DecryptionError(f"unsupported ciphertext version {shown!r} (expected {_VERSION!r})")
    if not _KEY_ID_RE.fullmatch(kid):
        raise DecryptionError("malformed ciphertext: bad key id")
    if not _B64_BODY_RE.fullmatch(body):
        raise DecryptionError("malformed ciphertext: data is not urlsafe base64")
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("malformed ciphertext: data is not valid base64") from None
    if len(data) < _NONCE_BYTES + _TAG_BYTES:
        raise DecryptionError("malformed ciphertext: data is too short")
    return kid, data


class TokenCipher:
    """AES-256-GCM with several keys: the first (newest) encrypts, all of them decrypt."""

    parse_keys = staticmethod(parse_keys)

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            # A bare string would be iterated character by character; say what to do instead.
            raise InvalidKey(f"keys must be a list; use parse_keys() on the {ENV_VAR} value")
        if not keys:
            raise InvalidKey(
                f"no token encryption key configured: set {ENV_VAR} to one or more keys "
                "(comma-separated, newest first); generate one with generate_key()"
            )
        self._ciphers: dict[str, AESGCM] = {}
        positions: dict[str, int] = {}
        for position, key in enumerate(keys, start=1):
            raw = _decode_key(key, position)
            kid = _key_id(raw)
            if kid in positions:
                # Either the same key listed twice or an 8-hex-digit id collision; both are
                # configuration mistakes, and a collision would make decryption ambiguous.
                raise InvalidKey(
                    f"{ENV_VAR} key #{position} has the same key id as key #{positions[kid]} "
                    "(listed twice?)"
                )
            positions[kid] = position
            self._ciphers[kid] = AESGCM(raw)
        self._current_kid = next(iter(self._ciphers))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TokenCipher:
        """Build a cipher from WAZIFY_TOKEN_KEYS (raises InvalidKey if unset or malformed)."""
        env = os.environ if environ is None else environ
        return cls(parse_keys(env.get(ENV_VAR, "")))

    @property
    def current_key_id(self) -> str:
        """Id of the key that encrypts (the newest one)."""
        return self._current_kid

    @property
    def key_ids(self) -> list[str]:
        """Ids of all configured keys, newest first (safe to log)."""
        return list(self._ciphers)

    def __repr__(self) -> str:
        # Never show key material, only the ids.
        return f"TokenCipher(key_ids={self.key_ids!r})"

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt with the newest key, bound to `context` (e.g. "ig_account:42")."""
        if not isinstance(plaintext, str):
            raise TypeError(f"plaintext must be a string, got {type(plaintext).__name__}")
        _check_context(context)
        kid = self._current_kid
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, plaintext.encode("utf-8"), _aad(kid, context))
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{_VERSION}.{kid}.{body}"

    def decrypt(self, ciphertext: str, context: str) -> str:
        """Decrypt a value made by `encrypt` with the same context; raises DecryptionError."""
        _check_context(context)
        kid, data = _split(ciphertext)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise DecryptionError(
                f"encrypted with a key that is not configured (key id {kid}); "
                f"add that key back to {ENV_VAR}"
            )
        nonce, sealed = data[:_NONCE_BYTES], data[_NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, sealed, _aad(kid, context))
        except InvalidTag:
            raise DecryptionError(
                f"authentication failed (key id {kid}): the ciphertext was altered "
                "or belongs to another context"
            ) from None
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            # Unreachable for values made by encrypt(); still, never echo the bytes.
            raise DecryptionError("decrypted value is not valid UTF-8") from None

    def needs_rotation(self, ciphertext: str) -> bool:
        """True if the value was made by a key other than the newest (configured or not).

        Raises DecryptionError if `ciphertext` is not a token ciphertext at all.
        """
        kid, _ = _split(ciphertext)
        return kid != self._current_kid

    def rotate(self, ciphertext: str, context: str) -> str:
        """Decrypt and re-encrypt with the newest key.

        A value already made by the newest key is verified and returned unchanged, so
        callers can skip the database write when `rotate(c, ctx) == c`.
        """
        plaintext = self.decrypt(ciphertext, context)
        if not self.needs_rotation(ciphertext):
            return ciphertext
        return self.encrypt(plaintext, context)
