"""signed_request: the vectors of shared/meta/test-vectors/signed_request.json and failures."""

import base64
import hashlib
import hmac
import json

import pytest

from wazify.meta.signed_request import InvalidSignedRequest, SignedRequest, parse_signed_request

SECRET = "3f1b2c4d5e6f708192a3b4c5d6e7f809"
DELETION = (
    "IGFMSOtyV7BKu3cbkW_7tWoVft27UYZTHydDLG4eYCY.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMi"
    "OjE3OTYwMzM3MDAsImlzc3VlZF9hdCI6MTc5NjAzMDEwMCwidXNlcl9pZCI6IjI3NDE4ODUyOTAzMzQxMTk1In0"
)
DEAUTHORIZE = (
    "MG2i_THl8Hn6X6OLsDDK8zmoGbOX9wGJQCQpOQ6BbcQ.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImlzc3VlZF9h"
    "dCI6MTc5NjAzMDE2MCwidXNlcl9pZCI6IjI3NDE4ODUyOTAzMzQxMTk1In0"
)
TAMPERED = (
    "IGFMSOtyV7BKu3cbkW_7tWoVft27UYZTHydDLG4eYCY.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMi"
    "OjE3OTYwMzM3MDAsImlzc3VlZF9hdCI6MTc5NjAzMDEwMCwidXNlcl9pZCI6IjI3NDE4ODUyOTAzMzQxMTk1IA0"
)


def make(payload: dict | bytes, secret: str = SECRET) -> str:
    """A signed_request built the way Meta builds one."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    encoded = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(signature).decode().rstrip("=") + "." + encoded


def test_data_deletion_vector() -> None:
    assert parse_signed_request(DELETION, [SECRET]) == SignedRequest(
        algorithm="HMAC-SHA256",
        user_id="27418852903341195",
        issued_at=1796030100,
        expires=1796033700,
    )


def test_deauthorize_vector_has_no_expiry() -> None:
    assert parse_signed_request(DEAUTHORIZE, [SECRET]) == SignedRequest(
        algorithm="HMAC-SHA256", user_id="27418852903341195", issued_at=1796030160, expires=None
    )


def test_tampered_vector_is_rejected() -> None:
    with pytest.raises(InvalidSignedRequest, match="does not match any configured app secret"):
        parse_signed_request(TAMPERED, [SECRET])


def test_whitespace_around_the_value_is_ignored() -> None:
    assert parse_signed_request(f" {DELETION}\n", [SECRET]).user_id == "27418852903341195"


def test_any_secret_may_match_and_empty_secrets_are_ignored() -> None:
    assert parse_signed_request(DELETION, ["", "instagram-secret", SECRET]).issued_at == 1796030100
    with pytest.raises(InvalidSignedRequest, match="does not match"):
        parse_signed_request(DELETION, ["instagram-secret"])
    forged = make({"algorithm": "HMAC-SHA256", "user_id": "1"}, secret="")
    with pytest.raises(InvalidSignedRequest, match="does not match"):
        parse_signed_request(forged, [""])


def test_is_a_value_error() -> None:
    assert issubclass(InvalidSignedRequest, ValueError)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must be '<signature>.<payload>'"),
        ("no-dot-here", "must be '<signature>.<payload>'"),
        (".eyJ9", "must be '<signature>.<payload>'"),
        ("abc.", "must be '<signature>.<payload>'"),
        ("ab+c/.eyJ9", "signature segment is not base64url"),
        ("AAAA.eyJ9", "signature is 3 bytes, expected 32"),
        ("A.eyJ9", "signature segment is not valid base64url"),
    ],
)
def test_malformed_values(value: str, message: str) -> None:
    with pytest.raises(InvalidSignedRequest, match=message.replace(".", r"\.").replace("+", r"\+")):
        parse_signed_request(value, [SECRET])


def test_payload_segment_with_foreign_characters() -> None:
    signature = DELETION.split(".")[0]
    with pytest.raises(InvalidSignedRequest, match="does not match"):
        parse_signed_request(signature + ".eyJ=", [SECRET])


def test_wrong_algorithm_is_rejected_even_when_signed() -> None:
    value = make({"algorithm": "HMAC-SHA1", "user_id": "1", "issued_at": 1})
    with pytest.raises(InvalidSignedRequest, match="unsupported algorithm 'HMAC-SHA1'"):
        parse_signed_request(value, [SECRET])


def test_algorithm_is_case_insensitive() -> None:
    value = make({"algorithm": "hmac-sha256", "user_id": "42"})
    assert parse_signed_request(value, [SECRET]) == SignedRequest(
        algorithm="hmac-sha256", user_id="42"
    )


def test_numeric_user_id_becomes_a_string() -> None:
    value = make({"algorithm": "HMAC-SHA256", "user_id": 27418852903341195, "issued_at": 5})
    assert parse_signed_request(value, [SECRET]).user_id == "27418852903341195"


def test_signed_payload_that_is_not_json() -> None:
    with pytest.raises(InvalidSignedRequest, match="payload is not JSON"):
        parse_signed_request(make(b"not json"), [SECRET])


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"user_id": "1"}, "missing required field `algorithm`"),
        ({"algorithm": "HMAC-SHA256"}, "missing required field `user_id`"),
        ({"algorithm": "HMAC-SHA256", "user_id": "1", "issued_at": "soon"}, "`$.issued_at`"),
        ([1, 2], "Expected `object`, got `array`"),
    ],
)
def test_signed_payload_with_wrong_shape(payload: object, where: str) -> None:
    with pytest.raises(InvalidSignedRequest, match="payload has an unexpected shape") as caught:
        parse_signed_request(make(json.dumps(payload).encode()), [SECRET])
    assert where in str(caught.value)
