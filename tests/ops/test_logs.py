"""Structured logs: one JSON object per line, with the request id carried from a webhook's
POST to the lines of its processing; a redaction filter is honoured; request ids echoed."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from tests.ops.conftest import json_lines
from tests.replies.conftest import wait_for
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message
from wazify.lib.logs import (
    ContextFilter,
    JsonFormatter,
    TextFormatter,
    configure_logging,
    log_context,
    request_id_from,
)
from wazify.settings import SettingsError, load_settings


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The `wazify` loggers at DEBUG into a JSON handler, as WAZIFY_LOG_FORMAT=json sets it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("wazify")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _record(message: str = "hello %s", args: tuple = ("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("wazify.test", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_the_fields_and_the_context() -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(ContextFilter())
    with log_context(request_id="abc", receipt_ids=[3, 4]):
        record = _record(account_id=7)
        handler.filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == "wazify.test"
    assert line["message"] == "hello world"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert line["request_id"] == "abc" and line["receipt_ids"] == [3, 4]
    assert line["account_id"] == 7
    assert isinstance(line["process"], int)


def test_a_traceback_stays_inside_its_line() -> None:
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord(
            "wazify.test", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: broken" in json.loads(text)["exc"]


def test_a_redaction_filter_on_the_handler_is_honoured() -> None:
    """A filter that rewrites a record (as a secrets filter does) changes what is written."""

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = record.getMessage().replace("s3cret-cookie", "***")
            record.args = ()
            return True

    for formatter in (JsonFormatter(), TextFormatter()):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler.addFilter(Redact())
        logger = logging.getLogger("wazify.test.redaction")
        logger.addHandler(handler)
        try:
            logger.warning("header: cookie=%s", "s3cret-cookie")
        finally:
            logger.removeHandler(handler)
        assert "s3cret-cookie" not in stream.getvalue()
        assert "cookie=***" in stream.getvalue()


def test_text_lines_name_the_context() -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(ContextFilter())
    with log_context(request_id="req-9"):
        record = _record()
        handler.filter(record)
    assert TextFormatter().format(record) == 'INFO wazify.test: hello world [request_id="req-9"]'


def test_configure_logging_routes_uvicorn_through_the_json_handler(capsys) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO", "json")
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("wazify.x").info("ready")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = json_lines(capsys.readouterr().err)
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Started server process"),
        ("wazify.x", "ready"),
    ]


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ("req-2024.11:abc=/+_", True),
        ("has space", False),
        ("line\nbreak", False),
        ('quote"', False),
        ("x" * 129, False),
        ("", False),
        (None, False),
        ("ünïcode", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_sane(header: str | None, kept: bool) -> None:
    value = request_id_from(header)
    if kept:
        assert value == header
    else:
        assert value != header and len(value) == 24 and int(value, 16) >= 0


def test_the_log_settings_are_validated() -> None:
    base = {"WAZIFY_LOG_FORMAT": "json", "WAZIFY_METRICS_TOKEN": "a" * 16}
    settings = load_settings(base, dotenv=None)
    assert (settings.log_format, settings.metrics_token) == ("json", "a" * 16)
    assert load_settings({}, dotenv=None).log_format == "text"
    with pytest.raises(SettingsError, match="WAZIFY_LOG_FORMAT: must be text or json"):
        load_settings({"WAZIFY_LOG_FORMAT": "xml"}, dotenv=None)
    with pytest.raises(SettingsError, match="WAZIFY_METRICS_TOKEN: must be at least 16"):
        load_settings({"WAZIFY_METRICS_TOKEN": "short"}, dotenv=None)


async def test_the_request_id_goes_from_the_post_to_its_processing(shop, captured) -> None:
    http = shop.live.http
    secret = shop.runtime.settings.meta_app_secrets[0]
    item = text_message(ACCOUNT, "7523146982351467", "trace me")
    raw = encode_body(body([entry(ACCOUNT, [item])]))
    headers = {**signed(raw, secret), "X-Request-ID": "trace-me-1"}
    response = await http.post("/webhooks/instagram", content=raw, headers=headers)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "trace-me-1"
    refused = await http.post(
        "/webhooks/instagram",
        content=raw,
        headers={"X-Hub-Signature-256": "sha256=00", "X-Request-ID": "trace-me-2"},
    )
    assert refused.headers["x-request-id"] == "trace-me-2"
    await wait_for(shop.receipts_processed)
    receipt_id = await shop.runtime.engine.pool.fetchval(
        "SELECT id FROM webhook_receipts WHERE request_id = 'trace-me-1'"
    )
    assert receipt_id is not None

    async def processing_line() -> dict | None:
        for line in json_lines(captured.getvalue()):
            if "trace-me-1" in line.get("request_ids", []):
                return line
        return None

    line = await wait_for(processing_line, timeout=5)
    assert line["logger"] == "wazify.webhooks"
    assert line["receipt_ids"] == [receipt_id]
    assert line["message"] == "processed 1 webhook receipts"
    lines = json_lines(captured.getvalue())
    refusal = [entry for entry in lines if entry.get("request_id") == "trace-me-2"]
    assert [entry["message"] for entry in refusal] == [
        "webhook refused: invalid X-Hub-Signature-256"
    ]


async def test_every_http_answer_names_its_request(live) -> None:
    kept = await live.http.get("/healthz", headers={"X-Request-ID": "probe-1"})
    assert kept.headers["x-request-id"] == "probe-1"
    made = await live.http.get("/healthz", headers={"X-Request-ID": "not sane"})
    assert made.headers["x-request-id"] != "not sane" and len(made.headers["x-request-id"]) == 24
    error = await live.http.get("/api/v1/me", headers={"X-Request-ID": "probe-2"})
    assert error.status_code == 401 and error.headers["x-request-id"] == "probe-2"
    too_large = await live.http.post(
        "/webhooks/instagram",
        content=b"x" * (live.app.state.runtime.settings.webhook_max_bytes + 1),
        headers={"X-Request-ID": "probe-3"},
    )
    assert too_large.status_code == 413 and too_large.headers["x-request-id"] == "probe-3"
