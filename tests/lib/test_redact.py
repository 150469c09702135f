"""The log redaction filter: what it hides, what it leaves alone, and that formatters which
read a record's arguments (uvicorn's access log) keep working. The whole server at DEBUG is
tests/test_serve_logs.py."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from wazify.lib.logs import logging_config
from wazify.lib.redact import RedactingFilter, redact

API_TOKEN = "wz_" + "k" * 43
IG_TOKEN = "IGAA" + "Zx9" * 20


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("< cookie: wazify_session=abc123; theme=dark", "< cookie: ***"),
        ("< Set-Cookie: __Host-wazify_session=abc; Path=/", "< Set-Cookie: ***"),
        (f"< authorization: Bearer {API_TOKEN}", "< authorization: ***"),
        ("< x-csrf-token: 5f3a9c", "< x-csrf-token: ***"),
        (
            "[(b'cookie', b'wazify_session=abc'), (b'authorization', b'Bearer x')]",
            "[(b'cookie', b'***'), (b'authorization', b'***')]",
        ),
        (f"sent with Bearer {API_TOKEN} to", "sent with Bearer *** to"),
        (
            "GET /access_token?grant_type=ig_exchange_token&client_secret=s3&access_token=IGQx",
            "GET /access_token?grant_type=ig_exchange_token&client_secret=***&access_token=***",
        ),
        ("GET /oauth/callback?code=AQDx_9&state=st4te", "GET /oauth/callback?code=***&state=st4te"),
        (
            "GET /webhooks/instagram?hub.verify_token=v3r1fy",
            "GET /webhooks/instagram?hub.verify_token=***",
        ),
        ('{"email": "a@b.c", "password": "hunter2"}', '{"email": "a@b.c", "password": "***"}'),
        ("{'access_token': 'IGQx', 'id': 1}", "{'access_token': '***', 'id': 1}"),
        (f"token {IG_TOKEN} refused", "token *** refused"),
        (f"pasted {API_TOKEN}", "pasted ***"),
    ],
)
def test_credentials_are_masked(line: str, expected: str) -> None:
    assert redact(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "close code=4001 reason=sign in first",
        "token refresh failed for account 5: expired",
        "< sec-websocket-key: d00UdJD0E/4DaSdFpZKWXw==",
        "GET /api/v1/conversations?status=open&limit=50",
        "session ended for user 7",
    ],
)
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert redact(line) == line


@contextmanager
def captured(logger_name: str, formatter: logging.Formatter | None = None) -> Iterator[io.StringIO]:
    """A handler as `wazify serve` configures them (with the filter) on one logger."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(formatter or logging.Formatter("%(name)s: %(message)s"))
    logger = logging.getLogger(logger_name)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def test_a_header_split_over_two_arguments_is_masked() -> None:
    # websockets logs each handshake header as ("< %s: %s", name, value).
    with captured("websockets.server") as out:
        logging.getLogger("websockets.server").debug("< %s: %s", "cookie", "wazify_session=s3")
    assert out.getvalue() == "websockets.server: < cookie: ***\n"


async def test_httpx_request_lines_lose_their_tokens() -> None:
    """httpx (kept at WARNING by the Graph clients) logs each URL at INFO: were it let
    through, the long-lived exchange would show the app secret and the token."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with captured("httpx") as out:
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get(
                "https://graph.instagram.com/access_token",
                params={"client_secret": "app-s3cret", "access_token": IG_TOKEN},
            )
    assert "HTTP Request: GET https://graph.instagram.com/access_token?" in out.getvalue()
    assert "client_secret=***&access_token=***" in out.getvalue()
    assert "app-s3cret" not in out.getvalue() and IG_TOKEN not in out.getvalue()


def test_uvicorn_access_lines_keep_their_format() -> None:
    formatter = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s')
    with captured("uvicorn.access", formatter) as out:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/oauth/callback?code=AQD9&state=x",
            "1.1",
            303,
        )
    assert out.getvalue() == (
        '127.0.0.1:5000 - "GET /oauth/callback?code=***&state=x HTTP/1.1" 303 See Other\n'
    )


def test_tracebacks_are_masked() -> None:
    with captured("wazify.test") as out:
        try:
            raise RuntimeError(f"refused Bearer {API_TOKEN}")
        except RuntimeError:
            logging.getLogger("wazify.test").exception("call failed")
    assert "RuntimeError: refused Bearer ***" in out.getvalue()
    assert API_TOKEN not in out.getvalue()


def test_every_configured_handler_redacts() -> None:
    for log_format in ("text", "json"):
        config = logging_config("DEBUG", log_format)
        assert config["handlers"], config
        for name, handler in config["handlers"].items():
            assert "redact" in handler["filters"], name
        assert config["filters"]["redact"]["()"] == "wazify.lib.redact.RedactingFilter"
        # uvicorn's loggers have no handler of their own: they reach the root's.
        assert config["root"]["handlers"] == ["wazify"]
        assert all(
            logger.get("propagate", True) or not logger.get("handlers")
            for logger in config["loggers"].values()
        )
