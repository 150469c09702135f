"""X-Hub-Signature-256: the vectors of shared/meta/test-vectors/x_hub_signature_256.json."""

import json

import pytest

from wazify.fakemeta.webhooks import ALL_CASES, encode_body, signed
from wazify.meta.signature import sign_body, verify_signature

SECRET = "3f1b2c4d5e6f708192a3b4c5d6e7f809"
MID = (
    "aWdfbWVzc2FnZV9pdGVtOjE6SUdNZXNzYWdlSUQ6MTc4NDE0MDEyMzQ1Njc4OTA6MzQwMjgyMzY2ODQxNzEwMzAxMjQ0"
    "MjU5NDY5MTI4MzY3MDAwMDAxOjMyMTk4NzY1NDMyMTA5ODc2NTQzMjEwOTg3NjU0MDAwMDE"
)
MID_8 = (
    "aWdfbWVzc2FnZV9pdGVtOjE6SUdNZXNzYWdlSUQ6MTc4NDE0MDEyMzQ1Njc4OTA6MzQwMjgyMzY2ODQxNzEwMzAxMjQ0"
    "MjU5NDY5MTI4MzY3MDAwMDA4OjMyMTk4NzY1NDMyMTA5ODc2NTQzMjEwOTg3NjU0MDAwMDg"
)
TEXT_BODY = (
    '{"object":"instagram","entry":[{"id":"17841401234567890","time":1796030100731,"messaging":'
    '[{"sender":{"id":"7523146982351467"},"recipient":{"id":"17841401234567890"},'
    '"timestamp":1796030100000,"message":{"mid":"' + MID + '",'
    '"text":"Hi! Do you still have the linen shirt in size M?"}}]}]}'
).encode()
TEXT_SIGNATURE = "sha256=a2459de55e4f0ec0bc7d088893954300d9075b06dddb6e51f2a9f344f58e7915"
ESCAPED_BODY = (
    '{"object":"instagram","entry":[{"id":"17841401234567890","time":1796030106731,"messaging":'
    '[{"sender":{"id":"7523146982351467"},"recipient":{"id":"17841401234567890"},'
    '"timestamp":1796030106000,"message":{"mid":"' + MID_8 + '","attachments":[{"type":"ig_post",'
    '"payload":{"url":"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18745566778899001'
    '&signature=AbuT6yU9iO2pA5sD8fG1hJ4kL7zX0cV3bN6mQ9wE2rT",'
    '"title":"New drop: summer linen collection \\u2600\\ufe0f",'
    '"ig_post_media_id":"18056789012345678"}}]}}]}]}'
).encode()
ESCAPED_SIGNATURE = "sha256=7b6124506e7d4bde16be8d27497f8abec0cac9259dfc4dae6bd64c9b37f89241"
TAMPERED_BODY = TEXT_BODY.replace(b"size M?", b"size X?")


def test_sign_body_matches_the_vectors() -> None:
    assert sign_body(TEXT_BODY, SECRET) == TEXT_SIGNATURE
    assert sign_body(ESCAPED_BODY, SECRET) == ESCAPED_SIGNATURE


@pytest.mark.parametrize(
    ("body", "header"), [(TEXT_BODY, TEXT_SIGNATURE), (ESCAPED_BODY, ESCAPED_SIGNATURE)]
)
def test_vectors_verify(body: bytes, header: str) -> None:
    assert verify_signature(body, header, [SECRET]) is True


def test_tampered_body_is_rejected() -> None:
    assert TAMPERED_BODY != TEXT_BODY
    assert verify_signature(TAMPERED_BODY, TEXT_SIGNATURE, [SECRET]) is False


def test_reserialised_json_would_not_verify() -> None:
    # Decoding the escapes changes the bytes: only the raw body may be hashed.
    unescaped = ESCAPED_BODY.decode().replace("\\u2600\\ufe0f", "\u2600\ufe0f").encode()
    assert verify_signature(unescaped, ESCAPED_SIGNATURE, [SECRET]) is False


def test_any_configured_secret_may_match() -> None:
    assert verify_signature(TEXT_BODY, TEXT_SIGNATURE, ["old-secret", SECRET]) is True
    assert verify_signature(TEXT_BODY, TEXT_SIGNATURE, [SECRET, "next-secret"]) is True
    assert verify_signature(TEXT_BODY, TEXT_SIGNATURE, ["old-secret", "next-secret"]) is False
    assert verify_signature(TEXT_BODY, TEXT_SIGNATURE, []) is False


def test_empty_secret_never_verifies() -> None:
    forged = sign_body(TEXT_BODY, "")
    assert verify_signature(TEXT_BODY, forged, [""]) is False
    assert verify_signature(TEXT_BODY, forged, ["", SECRET]) is False


def test_uppercase_hex_and_scheme_are_accepted() -> None:
    upper = "SHA256=" + TEXT_SIGNATURE.removeprefix("sha256=").upper()
    assert verify_signature(TEXT_BODY, upper, [SECRET]) is True
    assert verify_signature(TEXT_BODY, f"  {TEXT_SIGNATURE} ", [SECRET]) is True


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "a2459de55e4f0ec0bc7d088893954300d9075b06dddb6e51f2a9f344f58e7915",
        "sha1=bc648c9dd739be4d8f53a5402e5f850a65c641fe",
        "sha256:a2459de55e4f0ec0bc7d088893954300d9075b06dddb6e51f2a9f344f58e7915",
        "sha256=a2459de55e4f0ec0bc7d088893954300d9075b06dddb6e51f2a9f344f58e791",
        "sha256=a2459de55e4f0ec0bc7d088893954300d9075b06dddb6e51f2a9f344f58e79155",
        "sha256=z2459de55e4f0ec0bc7d088893954300d9075b06dddb6e51f2a9f344f58e7915",
    ],
)
def test_missing_or_malformed_headers_are_rejected(header: str | None) -> None:
    assert verify_signature(TEXT_BODY, header, [SECRET]) is False


def test_builder_reproduces_metas_bytes_and_signature() -> None:
    raw = encode_body(ALL_CASES["message_text"]())
    assert raw == TEXT_BODY
    assert signed(raw, SECRET) == {
        "X-Hub-Signature-256": TEXT_SIGNATURE,
        "Content-Type": "application/json",
    }


def test_encode_body_escapes_non_ascii_like_meta() -> None:
    assert encode_body(json.loads(ESCAPED_BODY)) == ESCAPED_BODY
    assert encode_body({"emoji": "\u2764\ufe0f", "url": "https://a/b"}) == (
        b'{"emoji":"\\u2764\\ufe0f","url":"https://a/b"}'
    )


def test_builder_signature_verifies_with_the_verifier() -> None:
    raw = encode_body(ALL_CASES["reaction_react"]())
    headers = signed(raw, "another-secret")
    assert verify_signature(raw, headers["X-Hub-Signature-256"], ["another-secret"]) is True
    assert verify_signature(raw, headers["X-Hub-Signature-256"], [SECRET]) is False
