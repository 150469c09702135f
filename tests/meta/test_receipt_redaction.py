"""Taking a person or a message out of a raw webhook body: only their items go."""

import json

import pytest

from wazify.fakemeta.webhooks import (
    ACCOUNT,
    ACCOUNT_B,
    CONTACT,
    CONTACT_B,
    body,
    encode_body,
    entry,
    message_edit,
    reaction,
    text_message,
)
from wazify.meta.receipt_redaction import NotJson, without_message, without_person


def items(raw: bytes) -> list[tuple[str, str]]:
    return [
        (e["id"], item["sender"]["id"])
        for e in json.loads(raw)["entry"]
        for item in e.get("messaging", [])
    ]


def test_without_person_drops_only_their_items_of_that_account() -> None:
    raw = encode_body(
        body(
            [
                entry(
                    ACCOUNT,
                    [text_message(ACCOUNT, CONTACT, "a"), text_message(ACCOUNT, CONTACT_B, "b")],
                ),
                entry(ACCOUNT_B, [text_message(ACCOUNT_B, CONTACT, "another business's customer")]),
            ]
        )
    )
    redacted = without_person(raw, ACCOUNT, CONTACT)
    assert redacted is not None
    assert items(redacted) == [(ACCOUNT, CONTACT_B), (ACCOUNT_B, CONTACT)]
    assert without_person(redacted, ACCOUNT, CONTACT) is None  # nothing left of them


def test_without_message_drops_the_message_and_its_edits_not_reactions() -> None:
    mid = "m-1"
    raw = encode_body(
        body(
            [
                entry(
                    ACCOUNT,
                    [
                        text_message(ACCOUNT, CONTACT, "secret", mid=mid),
                        message_edit(ACCOUNT, CONTACT, mid, "still secret"),
                        reaction(ACCOUNT, CONTACT, mid),
                        text_message(ACCOUNT, CONTACT, "kept", mid="m-2"),
                    ],
                )
            ]
        )
    )
    redacted = without_message(raw, ACCOUNT, mid)
    assert redacted is not None and b"secret" not in redacted
    kinds = [sorted(k for k in item if k not in ("sender", "recipient", "timestamp"))[0]
             for item in json.loads(redacted)["entry"][0]["messaging"]]  # fmt: skip
    assert kinds == ["reaction", "message"]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_cannot_be_edited(raw: bytes) -> None:
    with pytest.raises(NotJson):
        without_person(raw, ACCOUNT, CONTACT)
