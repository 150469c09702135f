"""Tests for wazify.lib.passwords (Argon2id hashing)."""

import asyncio
import time

import pytest

from wazify.lib import passwords
from wazify.lib.passwords import (
    MIN_PASSWORD_LENGTH,
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
