"""Argon2id password hashing (PHC strings) through `cryptography`.

Parameters follow RFC 9106 section 4 (second recommended option) which is also within the
OWASP Password Storage Cheat Sheet guidance: 64 MiB of memory, 3 passes, 4 lanes. One hash
costs about 0.12 s of wall time (0.18 s of CPU, the lanes run on several threads) on a
2-CPU machine.

Hashing is deliberately slow, so request handlers must use the async variants: they run the
work on a small dedicated thread pool (the hash releases the GIL), which keeps the event
loop free and also bounds how much memory concurrent logins can claim (64 MiB each).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

__all__ = [
    "DUMMY_HASH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "WeakPassword",
    "check_password_strength",
    "hash_password",
    "hash_password_async",
    "needs_rehash",
    "verify_against_dummy",
    "verify_password",
    "verify_password_async",
]

MIN_PASSWORD_LENGTH = 12
# Long passphrases are welcome; the cap only stops multi-megabyte "passwords" in requests.
MAX_PASSWORD_LENGTH = 1024

MEMORY_COST_KIB = 64 * 1024
ITERATIONS = 3
LANES = 4
HASH_LENGTH = 32
SALT_LENGTH = 16

# Stored hashes are parsed before use, and absurd parameters are refused: `cryptography`
# would otherwise try to allocate whatever memory a corrupted (or planted) hash asks for.
_MAX_MEMORY_COST_KIB = 4 * MEMORY_COST_KIB
_MAX_ITERATIONS = 10
_MAX_LANES = 16
_PHC_RE = re.compile(
    r"\$argon2id\$v=19\$m=(?P<m>[0-9]{1,10}),t=(?P<t>[0-9]{1,10}),p=(?P<p>[0-9]{1,3})"
    r"\$(?P<salt>[A-Za-z0-9+/]{11,})\$(?P<hash>[A-Za-z0-9+/]{6,})"
)

# Each hash in flight holds MEMORY_COST_KIB, so concurrency is capped well below the default
# executor's size (which is also left free for other blocking work).
_MAX_CONCURRENT_HASHES = max(1, min(4, os.cpu_count() or 1))


_T = TypeVar("_T")


class WeakPassword(ValueError):
    """A new password does not meet the policy; the message is safe to show to the user."""


def check_password_strength(password: str) -> None:
    """Raise WeakPassword unless `password` is acceptable as a new password."""
    if not isinstance(password, str):
        raise WeakPassword("Password must be a string.")
    length = len(_normalize(password))
    if length < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Password is too short: it has {length} characters, "
            f"the minimum is {MIN_PASSWORD_LENGTH}."
        )
    if length > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"Password is too long: it has {length} characters, "
            f"the maximum is {MAX_PASSWORD_LENGTH}."
        )


def _normalize(password: str) -> str:
    # NFKC, as NIST SP 800-63B suggests, so the same password typed on keyboards or input
    # methods that emit different code points (composed vs decomposed accents) still matches.
    return unicodedata.normalize("NFKC", password)


def _encode(password: str) -> bytes:
    # surrogatepass: a lone surrogate (possible in decoded JSON) must not crash a login.
    return _normalize(password).encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    """Hash a password; returns a PHC string ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").

    Does not enforce the policy: call `check_password_strength` first for new passwords.
    """
    if not isinstance(password, str):
        raise TypeError(f"password must be a string, got {type(password).__name__}")
    kdf = Argon2id(
        salt=secrets.token_bytes(SALT_LENGTH),
        length=HASH_LENGTH,
        iterations=ITERATIONS,
        lanes=LANES,
        memory_cost=MEMORY_COST_KIB,
    )
    return kdf.derive_phc_encoded(_encode(password))


def _parse(encoded: str) -> tuple[int, int, int, int] | None:
    """Return (memory KiB, iterations, lanes, hash bytes) of a sane Argon2id PHC string."""
    if not isinstance(encoded, str):
        return None
    match = _PHC_RE.fullmatch(encoded)
    if match is None:
        return None
    m, t, p = int(match["m"]), int(match["t"]), int(match["p"])
    if not (1 <= t <= _MAX_ITERATIONS and 1 <= p <= _MAX_LANES and 8 * p <= m):
        return None
    if m > _MAX_MEMORY_COST_KIB:
        return None
    digest = match["hash"]
    try:
        hash_len = len(base64.b64decode(digest + "=" * (-len(digest) % 4), validate=True))
    except (binascii.Error, ValueError):
        return None
    return m, t, p, hash_len


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches `encoded`; False on mismatch or a malformed hash. Never raises."""
    if not isinstance(password, str) or _parse(encoded) is None:
        return False
    try:
        Argon2id.verify_phc_encoded(_encode(password), encoded)
    except InvalidKey:  # wrong password, or a hash `cryptography` cannot read
        return False
    except (ValueError, TypeError, OverflowError, MemoryError):
        return False
    return True


def needs_rehash(encoded: str) -> bool:
    """True if `encoded` was not made with the current parameters (or is malformed).

    Call after a successful login and, if True, store `hash_password(password)` instead.
    """
    params = _parse(encoded)
    return params != (MEMORY_COST_KIB, ITERATIONS, LANES, HASH_LENGTH)


@functools.cache
def _executor() -> ThreadPoolExecutor:
    # Created on first use so importing the module starts no threads.
    return ThreadPoolExecutor(max_workers=_MAX_CONCURRENT_HASHES, thread_name_prefix="argon2")


async def _run(func: Callable[..., _T], *args: object) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_executor(), func, *args)


async def hash_password_async(password: str) -> str:
    """`hash_password` off the event loop."""
    return await _run(hash_password, password)


async def verify_password_async(password: str, encoded: str) -> bool:
    """`verify_password` off the event loop."""
    return await _run(verify_password, password, encoded)


@functools.cache
def _dummy_hash() -> str:
    # A hash of a random secret nobody knows, made with the current parameters so verifying
    # against it costs what verifying a real user's hash costs. Computed on first use (it
    # takes a full hash) rather than at import.
    return hash_password(secrets.token_urlsafe(32))


async def verify_against_dummy(password: str) -> bool:
    """Spend the time of one verification and return False.

    Use it when a login names an unknown email, so the response time does not reveal
    whether an account exists.
    """
    dummy = await _run(_dummy_hash)
    await verify_password_async(password, dummy)
    return False


DUMMY_HASH: str  # computed lazily by __getattr__ below


def __getattr__(name: str) -> str:
    # PEP 562: makes `passwords.DUMMY_HASH` (and `from ... import DUMMY_HASH`) compute the
    # hash on first access instead of at import time.
    if name == "DUMMY_HASH":
        return _dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
