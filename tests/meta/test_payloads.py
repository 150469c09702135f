"""Webhook body decoding (lenient where Meta is inconsistent) and Meta timestamps."""

from datetime import UTC, datetime

import msgspec
import pytest

from wazify.fakemeta.webhooks import ACCOUNT, ALL_CASES, CONTACT, TS_MS, encode_body, make_mid
from wazify.meta.payloads import (
    Attachment,
    AttachmentPayload,
    MalformedWebhook,
    Message,
    Party,
    decode_webhook,
    parse_webhook,
    raw_of,
)
from wazify.meta.timestamps import epoch_milliseconds, to_datetime


def decode_case(name: str) -> object:
    return decode_webhook(encode_body(ALL_CASES[name]()))


def test_text_body_decodes_field_by_field() -> None:
    body = decode_webhook(encode_body(ALL_CASES["message_text"]()))
    assert body.object == "instagram"
    [entry] = body.entry
    assert (entry.id, entry.time, entry.standby, entry.changes) == (ACCOUNT, TS_MS + 731, [], [])
    [event] = entry.messaging
    assert event.sender == Party(id=CONTACT)
    assert event.recipient == Party(id=ACCOUNT)
    assert event.timestamp == TS_MS
    assert event.message == Message(
        mid=make_mid(ACCOUNT, 1), text="Hi! Do you still have the linen shirt in size M?"
    )
    assert (event.reaction, event.read, event.postback, event.message_edit) == (None,) * 4


def test_unknown_fields_are_ignored_everywhere() -> None:
    data = ALL_CASES["message_ig_post"]()
    data["brand_new_top_level"] = 1
    data["entry"][0]["surprise"] = {"a": 1}
    item = data["entry"][0]["messaging"][0]
    item["message"]["future_flag"] = True
    item["message"]["attachments"][0]["payload"]["carousel_index"] = 2
    body = decode_webhook(encode_body(data))
    [attachment] = body.entry[0].messaging[0].message.attachments
    assert attachment.type == "ig_post"
    assert attachment.payload == AttachmentPayload(
        url=item["message"]["attachments"][0]["payload"]["url"],
        title="New drop: summer linen collection \u2600\ufe0f",
        ig_post_media_id="18056789012345678",
    )
    # ... but the raw dict keeps what the schema does not model.
    assert raw_of(attachment)["payload"]["carousel_index"] == 2
    assert raw_of(body.entry[0].messaging[0])["message"]["future_flag"] is True


def test_raw_of_falls_back_to_the_struct_fields() -> None:
    built = Attachment(type="image", payload=AttachmentPayload(url="https://x/y"))
    assert raw_of(built)["type"] == "image"
    assert raw_of(built)["payload"]["url"] == "https://x/y"


def test_like_heart_has_no_payload() -> None:
    body = decode_case("message_like_heart")
    [attachment] = body.entry[0].messaging[0].message.attachments
    assert (attachment.type, attachment.payload) == ("like_heart", None)
    assert raw_of(attachment) == {"type": "like_heart"}


def test_string_timestamps_and_num_edit_are_accepted() -> None:
    data = ALL_CASES["message_edit"]()
    item = data["entry"][0]["messaging"][0]
    item["timestamp"] = "1796030100000"
    item["message_edit"]["num_edit"] = "2"
    data["entry"][0]["time"] = "1796030100731"
    body = decode_webhook(encode_body(data))
    event = body.entry[0].messaging[0]
    assert (event.timestamp, event.message_edit.num_edit, body.entry[0].time) == (
        "1796030100000",
        "2",
        "1796030100731",
    )


def test_flat_comment_variant_is_parsed_defensively() -> None:
    body = decode_case("comments_flat_doc_variant")
    [entry] = body.entry
    assert entry.field == "comments"
    assert entry.value["text"] == "Love this colour!"
    assert entry.messaging == []


def test_dashboard_test_changes_are_kept_as_data() -> None:
    body = decode_case("dashboard_test_changes")
    [change] = body.entry[0].changes
    assert change.field == "messages"
    assert change.value["timestamp"] == "1527459824"


def test_handover_app_ids_may_be_numbers() -> None:
    data = ALL_CASES["handover_pass_thread_control"]()
    data["entry"][0]["messaging"][0]["pass_thread_control"]["new_owner_app_id"] = 263902037430900
    control = decode_webhook(encode_body(data)).entry[0].messaging[0].pass_thread_control
    assert control.new_owner_app_id == 263902037430900


def test_every_builder_case_decodes() -> None:
    for name, case in ALL_CASES.items():
        body = decode_webhook(encode_body(case()))
        assert body.entry, name


def test_parse_webhook_accepts_parsed_json() -> None:
    body = parse_webhook(ALL_CASES["seen"]())
    assert body.entry[0].messaging[0].read.mid == make_mid(ACCOUNT, 100)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "body is not valid JSON"),
        (b"{not json", "body is not valid JSON"),
        (b'[{"object":"instagram","entry":[]}]', "body must be a JSON object, got list"),
        (b'"instagram"', "body must be a JSON object, got str"),
        (b'{"entry":[]}', "unexpected webhook shape: Object missing required field `object`"),
        (b'{"object":"instagram","entry":{}}', "Expected `array`, got `object` - at `$.entry`"),
        (b'{"object":"instagram","entry":[{"time":1}]}', "missing required field `id`"),
        (b'{"object":"instagram","entry":[{"id":17841401234567890}]}', "at `$.entry[0].id`"),
        (
            b'{"object":"instagram","entry":[{"id":"1","messaging":[{"sender":{"id":"2"}}]}]}',
            "missing required field `timestamp` - at `$.entry[0].messaging[0]`",
        ),
        (
            b'{"object":"instagram","entry":[{"id":"1","messaging":[{"timestamp":1,'
            b'"message":{"attachments":"nope"}}]}]}',
            "at `$.entry[0].messaging[0].message.attachments`",
        ),
        (
            b'{"object":"instagram","entry":[{"id":"1","standby":[{"timestamp":"yesterday"}]}]}',
            "not a numeric timestamp: 'yesterday' - at `$.entry[0].standby[0].timestamp`",
        ),
    ],
)
def test_malformed_bodies_say_what_is_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        decode_webhook(raw)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_empty_entry_list_is_valid() -> None:
    assert decode_webhook(b'{"object":"instagram","entry":[]}').entry == []
    assert decode_webhook(b'{"object":"instagram"}').entry == []


# Timestamps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1796030100000, datetime(2026, 11, 30, 9, 15, tzinfo=UTC)),
        (1796030100731, datetime(2026, 11, 30, 9, 15, 0, 731000, tzinfo=UTC)),
        (1796030100, datetime(2026, 11, 30, 9, 15, tzinfo=UTC)),
        ("1527459824", datetime(2018, 5, 27, 22, 23, 44, tzinfo=UTC)),
        (" 1796030100731 ", datetime(2026, 11, 30, 9, 15, 0, 731000, tzinfo=UTC)),
        ("1796030100.5", datetime(2026, 11, 30, 9, 15, 0, 500000, tzinfo=UTC)),
        (1796030100.25, datetime(2026, 11, 30, 9, 15, 0, 250000, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        # Just above the threshold is milliseconds (1973), just below is seconds (year 5138).
        (100_000_000_001, datetime(1973, 3, 3, 9, 46, 40, 1000, tzinfo=UTC)),
        (99_999_999_999, datetime(5138, 11, 16, 9, 46, 39, tzinfo=UTC)),
    ],
)
def test_to_datetime(value: int | float | str, expected: datetime) -> None:
    result = to_datetime(value)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    ["", "soon", "2021-09-08T06:34:04+0000", "nan", "inf", -1, "-5", float("nan"), True, None, [1]],
)
def test_to_datetime_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        to_datetime(value)  # type: ignore[arg-type]


def test_to_datetime_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_datetime(10**30)


def test_epoch_milliseconds_is_exact() -> None:
    assert epoch_milliseconds(to_datetime(1796030100731)) == 1796030100731
    assert epoch_milliseconds(to_datetime("1527459824")) == 1527459824000


def test_decoded_structs_are_msgspec_structs() -> None:
    assert isinstance(decode_case("message_text"), msgspec.Struct)
