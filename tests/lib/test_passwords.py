"""Tests for wazify.lib.passwords (Argon2id hashing)."""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from wazify.lib import passwords
from wazify.lib.passwords import (
    MIN_PASSWORD_LENGTH,
    HashingUnavailable,
    WeakPassword,
    check_password_strength,
    hash_password,
    hash_password_async,
    needs_rehash,
    verify_against_dummy,
    verify_password,
    verify_password_async,
)

PASSWORD = "correct horse battery staple"
# Made by `cryptography` (50.0.2) before the switch to argon2-cffi, with today's parameters
# and with older, weaker ones: stored hashes like these must keep verifying.
BY_CRYPTOGRAPHY = (
    "$argon2id$v=19$m=65536,t=3,p=4$FlAcBwLj0UoN4+Ra9yQ3sg"
    "$qHN8C4MmV48pOpHd0/RY9ktfRtgiGSCr0/xynoS5dgk"
)
OLD_PARAMETERS_BY_CRYPTOGRAPHY = (
    "$argon2id$v=19$m=19456,t=2,p=1$rbNrqYvImSpmIuX54rSptQ"
    "$w3zOddbYF2F322iI54Hh8jKCPHf6wMXj5blKeqMv6gE"
)


@pytest.fixture(scope="module")
def encoded() -> str:
    return hash_password(PASSWORD)


def test_hash_is_phc_argon2id(encoded: str) -> None:
    assert encoded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hash_password(PASSWORD) != encoded  # random salt


def test_verify(encoded: str) -> None:
    assert verify_password(PASSWORD, encoded) is True


def test_wrong_password(encoded: str) -> None:
    assert verify_password(PASSWORD + "!", encoded) is False
    assert verify_password("", encoded) is False


def test_unicode_normalized() -> None:
    composed, decomposed = "caf\u00e9-passphrase", "cafe\u0301-passphrase"
    assert verify_password(decomposed, hash_password(composed))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "garbage",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$",
        "$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
        # A corrupted hash asking for ~1 TiB must be refused, not attempted.
        "$argon2id$v=19$m=999999999,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$!!!!",
    ],
)
def test_malformed_hash_is_false(bad: str) -> None:
    assert verify_password(PASSWORD, bad) is False
    assert needs_rehash(bad) is True


def test_non_string_inputs_are_false(encoded: str) -> None:
    assert verify_password(None, encoded) is False  # type: ignore[arg-type]
    assert verify_password(PASSWORD, None) is False  # type: ignore[arg-type]


def test_needs_rehash(encoded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert needs_rehash(encoded) is False
    monkeypatch.setattr(passwords, "ITERATIONS", passwords.ITERATIONS + 1)
    assert needs_rehash(encoded) is True


async def test_async_variants(encoded: str) -> None:
    new = await hash_password_async(PASSWORD)
    assert await verify_password_async(PASSWORD, new) is True
    assert await verify_password_async("nope", encoded) is False


async def test_async_does_not_block_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    task = asyncio.create_task(ticker())
    await hash_password_async(PASSWORD)
    task.cancel()
    assert ticks >= 3  # the loop kept running while the hash was computed


async def test_verify_against_dummy() -> None:
    assert await verify_against_dummy(PASSWORD) is False
    assert isinstance(passwords.DUMMY_HASH, str)
    assert passwords.DUMMY_HASH.startswith("$argon2id$")
    assert not needs_rehash(passwords.DUMMY_HASH)
    # Costs about one verification (the dummy hash is cached by now).
    start = time.perf_counter()
    await verify_against_dummy(PASSWORD)
    elapsed = time.perf_counter() - start
    assert elapsed > 0.01


def test_hashes_stored_by_cryptography_still_verify() -> None:
    assert verify_password(PASSWORD, BY_CRYPTOGRAPHY) is True
    assert verify_password(PASSWORD + "!", BY_CRYPTOGRAPHY) is False
    assert needs_rehash(BY_CRYPTOGRAPHY) is False
    assert verify_password(PASSWORD, OLD_PARAMETERS_BY_CRYPTOGRAPHY) is True
    assert needs_rehash(OLD_PARAMETERS_BY_CRYPTOGRAPHY) is True


async def test_concurrent_verifications_all_finish(encoded: str) -> None:
    # With cryptography 50.0.2, two of these at once never returned.
    checks = [verify_password_async(PASSWORD, encoded) for _ in range(8)]
    checks += [verify_against_dummy(PASSWORD) for _ in range(8)]
    async with asyncio.timeout(passwords.HASH_DEADLINE_SECONDS + 15):
        results = await asyncio.gather(*checks)
    assert results == [True] * 8 + [False] * 8


@pytest.fixture
def stuck_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every verification hangs (as cryptography's did) until the event is set."""
    release = threading.Event()

    def hang(password: str, encoded: str) -> bool:
        release.wait(30)
        return False

    monkeypatch.setattr(passwords, "verify_password", hang)
    monkeypatch.setattr(passwords, "HASH_DEADLINE_SECONDS", 0.3)
    try:
        yield release
    finally:
        release.set()


async def test_a_stuck_pool_answers_unavailable_instead_of_hanging(
    stuck_hashing: threading.Event, encoded: str
) -> None:
    burst = passwords._MAX_PENDING + 5
    started = time.perf_counter()
    results = await asyncio.gather(
        *(verify_password_async(PASSWORD, encoded) for _ in range(burst)), return_exceptions=True
    )
    elapsed = time.perf_counter() - started
    # Every call answered within the deadline (0.3 s here) plus scheduling slack, as a 503.
    assert elapsed < 2
    assert all(isinstance(r, HashingUnavailable) for r in results), results
    assert {(r.status, r.retry_after) for r in results} == {(503, 5)}
    messages = [str(r) for r in results]
    # Beyond the pending bound: refused at once rather than queued.
    assert messages.count("too many sign-ins at once; try again in a few seconds") == 5
    # The stuck jobs still hold their threads; the queued ones were dropped at the deadline.
    assert passwords._pending == passwords._MAX_CONCURRENT_HASHES
    with pytest.raises(HashingUnavailable, match="taking too long"):
        await verify_password_async(PASSWORD, encoded)
    stuck_hashing.set()
    async with asyncio.timeout(10):
        while passwords._pending:
            await asyncio.sleep(0.02)
    assert await verify_against_dummy(PASSWORD) is False


def test_unknown_module_attribute() -> None:
    with pytest.raises(AttributeError):
        _ = passwords.NOT_A_THING  # type: ignore[attr-defined]


def test_strength_ok() -> None:
    check_password_strength("x" * MIN_PASSWORD_LENGTH)
    check_password_strength("y" * 1024)


def test_strength_too_short() -> None:
    with pytest.raises(WeakPassword, match=r"too short: it has 11 characters, the minimum is 12"):
        check_password_strength("a" * 11)
    with pytest.raises(WeakPassword, match="too short: it has 0 characters"):
        check_password_strength("")


def test_strength_too_long() -> None:
    with pytest.raises(
        WeakPassword, match=r"too long: it has 1025 characters, the maximum is 1024"
    ):
        check_password_strength("a" * 1025)


def test_weak_password_is_value_error() -> None:
    assert issubclass(WeakPassword, ValueError)
