"""Argon2id password hashing (PHC strings) through argon2-cffi, off the event loop, with a
deadline.

The guarantee: a hash or a verification either finishes within HASH_DEADLINE_SECONDS
(waiting for the pool included) or raises HashingUnavailable, a 503 with Retry-After. No
request waits on a password forever, and at most _MAX_CONCURRENT_HASHES derivations (64 MiB
each) run at once. Requests beyond _MAX_PENDING (queued or running) are refused at once
rather than queued past the point where they could finish in time.

Why argon2-cffi (the reference C implementation, which Django's Argon2 hasher also uses) and
not `cryptography`, measured on the 2-CPU machine the suite runs on:
- cryptography 50.0.2 (bundled OpenSSL 4.0.3): two Argon2id derivations with lanes=4 on two
  threads at once never return (both threads still running after 15 s; one at a time take
  about 0.15 s). Two simultaneous sign-ins therefore hung every later sign-in, and the stuck
  threads kept the process from exiting on SIGTERM.
- argon2-cffi 25.1.0: one hash 0.18 s, one verification 0.2 s; 16 hashes in 2.1 s on a pool
  of 2 threads (3.2 s on 1 thread, 2.6 s on 16: more threads than CPUs buys nothing).
- Both read and write the same PHC strings (`$argon2id$v=19$m=65536,t=3,p=4$salt$hash`),
  checked in both directions: hashes stored by earlier versions verify unchanged
  (tests/lib/test_passwords.py keeps one made by `cryptography`).

Parameters follow RFC 9106 section 4 (second recommended option), also within the OWASP
Password Storage Cheat Sheet guidance: 64 MiB of memory, 3 passes, 4 lanes. A change of
parameters is picked up at the next sign-in (`needs_rehash`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import low_level
from argon2.exceptions import InvalidHashError, VerificationError

from wazify.lib.errors import Unavailable

__all__ = [
    "DUMMY_HASH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "HashingUnavailable",
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

# Stored hashes are parsed before use, and absurd parameters are refused: the library would
# otherwise try to allocate whatever memory a corrupted (or planted) hash asks for.
_MAX_MEMORY_COST_KIB = 4 * MEMORY_COST_KIB
_MAX_ITERATIONS = 10
_MAX_LANES = 16
_PHC_RE = re.compile(
    r"\$argon2id\$v=19\$m=(?P<m>[0-9]{1,10}),t=(?P<t>[0-9]{1,10}),p=(?P<p>[0-9]{1,3})"
    r"\$(?P<salt>[A-Za-z0-9+/]{11,})\$(?P<hash>[A-Za-z0-9+/]{6,})"
)

# Each hash in flight holds MEMORY_COST_KIB, so concurrency is capped well below the default
# executor's size (which is also left free for other blocking work). More threads than CPUs
# only makes every hash slower (figures above).
_MAX_CONCURRENT_HASHES = max(1, min(4, os.cpu_count() or 1))
# Queued or running. 16 per thread is about 2 s of work at the measured rate, and still
# about 24 s with the CPUs shared with a test suite (hashes of 1 s each, measured): inside
# the deadline either way. A burst of sign-ins is served; a flood is refused at once.
_MAX_PENDING = 16 * _MAX_CONCURRENT_HASHES
# From asking for a hash to having its result. Generous: it only has to catch a pool that is
# stuck or hopelessly behind, never a merely busy one (10 s was not: a burst of 16 on a
# loaded 2-CPU machine took 12 s).
HASH_DEADLINE_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5

_T = TypeVar("_T")


class WeakPassword(ValueError):
    """A new password does not meet the policy; the message is safe to show to the user."""


class HashingUnavailable(Unavailable):
    """The password pool cannot take or finish this work in time: a 503 with Retry-After,
    never a request left hanging."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="busy", retry_after=RETRY_AFTER_SECONDS)


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
    encoded = low_level.hash_secret(
        _encode(password),
        secrets.token_bytes(SALT_LENGTH),
        time_cost=ITERATIONS,
        memory_cost=MEMORY_COST_KIB,
        parallelism=LANES,
        hash_len=HASH_LENGTH,
        type=low_level.Type.ID,
    )
    return encoded.decode("ascii")


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
        return low_level.verify_secret(
            encoded.encode("ascii"), _encode(password), low_level.Type.ID
        )
    except (VerificationError, InvalidHashError):  # wrong password, or an unreadable hash
        return False
    except (ValueError, TypeError, OverflowError, MemoryError):
        return False


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


_pending = 0
_pending_lock = threading.Lock()


def _release(_: Future) -> None:
    # Runs when the job finishes or is cancelled while queued. A job stuck in its thread
    # keeps its place: it really does hold a thread and its memory.
    global _pending
    with _pending_lock:
        _pending -= 1


async def _run(func: Callable[..., _T], *args: object) -> _T:
    global _pending
    with _pending_lock:
        if _pending >= _MAX_PENDING:
            raise HashingUnavailable("too many sign-ins at once; try again in a few seconds")
        _pending += 1
    job = _executor().submit(func, *args)
    job.add_done_callback(_release)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(job), HASH_DEADLINE_SECONDS)
    except TimeoutError:
        # wait_for cancelled the job: dropped if still queued, left to finish if running.
        raise HashingUnavailable(
            "checking passwords is taking too long; try again in a few seconds"
        ) from None


async def hash_password_async(password: str) -> str:
    """`hash_password` off the event loop; HashingUnavailable past the deadline."""
    return await _run(hash_password, password)


async def verify_password_async(password: str, encoded: str) -> bool:
    """`verify_password` off the event loop; HashingUnavailable past the deadline."""
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
