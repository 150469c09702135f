"""Tests for wazify.lib.crypto (token cipher for secrets at rest)."""

import base64

import pytest

from wazify.lib.crypto import (
    DecryptionError,
    InvalidKey,
    TokenCipher,
    generate_key,
    key_id,
    parse_keys,
)

CTX = "ig_account:42"
TOKEN = "IGQVJ-example-access-token-ü"


@pytest.fixture
def key() -> str:
    return generate_key()


def test_generate_key_format() -> None:
    k = generate_key()
    assert len(k) == 44 and k.endswith("=")
    assert len(base64.urlsafe_b64decode(k)) == 32
    assert generate_key() != k


def test_round_trip(key: str) -> None:
    cipher = TokenCipher([key])
    ct = cipher.encrypt(TOKEN, CTX)
    assert ct.isascii()
    version, kid, _body = ct.split(".")
    assert version == "v1" and kid == key_id(key) == cipher.current_key_id
    assert TOKEN not in ct
    assert cipher.decrypt(ct, CTX) == TOKEN


def test_encryption_is_randomized(key: str) -> None:
    cipher = TokenCipher([key])
    assert cipher.encrypt(TOKEN, CTX) != cipher.encrypt(TOKEN, CTX)


def test_empty_plaintext_round_trips(key: str) -> None:
    cipher = TokenCipher([key])
    assert cipher.decrypt(cipher.encrypt("", CTX), CTX) == ""


def test_wrong_key_fails(key: str) -> None:
    ct = TokenCipher([key]).encrypt(TOKEN, CTX)
    other = TokenCipher([generate_key()])
    with pytest.raises(DecryptionError, match="not configured") as info:
        other.decrypt(ct, CTX)
    assert f"key id {key_id(key)}" in str(info.value)
    assert key not in str(info.value) and TOKEN not in str(info.value)


def test_tampered_ciphertext_fails(key: str) -> None:
    cipher = TokenCipher([key])
    ct = cipher.encrypt(TOKEN, CTX)
    prefix, body = ct.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for index in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        forged = prefix + "." + base64.urlsafe_b64encode(flipped).rstrip(b"=").decode()
        with pytest.raises(DecryptionError, match="authentication failed") as info:
            cipher.decrypt(forged, CTX)
        assert TOKEN not in str(info.value) and key not in str(info.value)


def test_relabelled_key_id_fails(key: str) -> None:
    old, new = key, generate_key()
    cipher = TokenCipher([new, old])
    ct = TokenCipher([old]).encrypt(TOKEN, CTX)
    relabelled = ct.replace(key_id(old), key_id(new), 1)
    with pytest.raises(DecryptionError):
        cipher.decrypt(relabelled, CTX)


def test_wrong_context_fails(key: str) -> None:
    cipher = TokenCipher([key])
    ct = cipher.encrypt(TOKEN, "ig_account:1")
    with pytest.raises(DecryptionError, match="authentication failed"):
        cipher.decrypt(ct, "ig_account:2")


def test_empty_context_rejected(key: str) -> None:
    cipher = TokenCipher([key])
    with pytest.raises(ValueError, match="context"):
        cipher.encrypt(TOKEN, "")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "plain-token",
        "v1.abc",
        "v2.0123abcd.AAAA",
        "v1.XYZ.AAAA",
        "v1.0123abcd.%%%",
        "v1.0123abcd.AAAA",
    ],
)
def test_malformed_ciphertext(key: str, garbage: str) -> None:
    with pytest.raises(DecryptionError):
        TokenCipher([key]).decrypt(garbage, CTX)


def test_rotation(key: str) -> None:
    old, new = key, generate_key()
    ct_old = TokenCipher([old]).encrypt(TOKEN, CTX)

    both = TokenCipher([new, old])
    assert both.decrypt(ct_old, CTX) == TOKEN
    assert both.needs_rotation(ct_old)

    ct_new = both.rotate(ct_old, CTX)
    assert ct_new != ct_old
    assert not both.needs_rotation(ct_new)
    assert both.rotate(ct_new, CTX) == ct_new  # already current: unchanged

    only_new = TokenCipher([new])
    assert only_new.decrypt(ct_new, CTX) == TOKEN
    with pytest.raises(DecryptionError, match="not configured"):
        only_new.decrypt(ct_old, CTX)


def test_rotate_checks_context(key: str) -> None:
    old, new = key, generate_key()
    ct_old = TokenCipher([old]).encrypt(TOKEN, CTX)
    with pytest.raises(DecryptionError):
        TokenCipher([new, old]).rotate(ct_old, "ig_account:other")


def test_encrypts_with_newest_key(key: str) -> None:
    newest = generate_key()
    ct = TokenCipher([newest, key]).encrypt(TOKEN, CTX)
    assert ct.split(".")[1] == key_id(newest)


def test_empty_key_list() -> None:
    with pytest.raises(InvalidKey, match="WAZIFY_TOKEN_KEYS"):
        TokenCipher([])


@pytest.mark.parametrize(
    "bad",
    [
        "short",
        "A" * 44,  # right length, no trailing '='
        "+" * 43 + "=",  # standard, not urlsafe, alphabet
        "A" * 42 + "B=",  # non-canonical: spare bits set
        base64.urlsafe_b64encode(b"\x00" * 24).decode() + "AAAAAAAAAAAA",  # wrong shape
    ],
)
def test_malformed_key_named_by_position(key: str, bad: str) -> None:
    with pytest.raises(InvalidKey, match=r"key #2 is malformed") as info:
        TokenCipher([key, bad])
    assert bad not in str(info.value)
    assert key not in str(info.value)


def test_duplicate_key_rejected(key: str) -> None:
    with pytest.raises(InvalidKey, match=r"key #2 .* key #1"):
        TokenCipher([key, key])


def test_bare_string_rejected(key: str) -> None:
    with pytest.raises(InvalidKey, match="parse_keys"):
        TokenCipher(key)


def test_parse_keys() -> None:
    assert parse_keys(" a , b,,c ,") == ["a", "b", "c"]
    assert parse_keys("") == []
    assert parse_keys(" , ") == []
    assert TokenCipher.parse_keys("x,y") == ["x", "y"]


def test_from_env(key: str) -> None:
    old = generate_key()
    cipher = TokenCipher.from_env({"WAZIFY_TOKEN_KEYS": f" {key} , {old} "})
    assert cipher.key_ids == [key_id(key), key_id(old)]
    with pytest.raises(InvalidKey, match="no token encryption key"):
        TokenCipher.from_env({})


def test_repr_hides_keys(key: str) -> None:
    assert key not in repr(TokenCipher([key]))
