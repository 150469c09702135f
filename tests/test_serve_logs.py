"""`wazify serve` at WAZIFY_LOG_LEVEL=DEBUG writes no credential, whoever logs it.

A real server process (the handlers `wazify serve` configures, uvicorn's websockets dumping
each handshake header, httpx logging each Graph API URL) is driven through what carries
secrets: a sign-in, a session cookie and an API token on HTTP requests and on websocket
handshakes, and Instagram Login against the fake Graph API (the long-lived exchange sends
the app secret and the token in its query string, as Meta requires). Then its whole output
is searched for every secret. The redacted header dumps must be there too, so the test
cannot pass because nothing was logged.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.services import create_database, drop_database, free_port
from tests.test_cli import CLEARED
from tests.test_embedded import Server, serve_process
from wazify.app import create_app
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.oauth import FakeIgAccount, FakeOAuth, oauth_state
from wazify.lib.crypto import generate_key
from wazify.settings import Settings

IG_ID = "17841400000000077"
APP_ID = "4242424242"
APP_SECRET = "app-secret-" + secrets.token_hex(8)


@pytest.fixture
async def serve_database(admin_database_url: str) -> AsyncIterator[str]:
    name = f"wazify_logs_{secrets.token_hex(4)}"
    url = await create_database(admin_database_url, name)
    yield url
    await drop_database(admin_database_url, name)


@pytest.fixture
def fake_oauth() -> Iterator[tuple[str, FakeOAuth]]:
    url, fake, stop = run_fake_graph_in_thread()
    oauth = oauth_state(fake)
    oauth.app_id, oauth.app_secret = APP_ID, APP_SECRET
    oauth.add_account(FakeIgAccount(IG_ID, "linen.studio", "Linen Studio", user_id="77"))
    yield url, oauth
    stop()


@pytest.fixture
def debug_server(
    serve_database: str, fake_oauth: tuple[str, FakeOAuth], tmp_path: Path
) -> Iterator[Server]:
    graph_url = fake_oauth[0]
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
    environment |= {
        "DATABASE_URL": serve_database,
        "WAZIFY_TOKEN_KEYS": generate_key(),
        "WAZIFY_PORT": str(port),
        "WAZIFY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WAZIFY_LOG_LEVEL": "DEBUG",
        "META_APP_ID": APP_ID,
        "META_APP_SECRETS": APP_SECRET,
        "META_GRAPH_URL": graph_url,
        "META_OAUTH_AUTHORIZE_URL": f"{graph_url}/oauth/authorize",
        "META_OAUTH_TOKEN_URL": f"{graph_url}/oauth/access_token",
    }
    with serve_process(environment, port, tmp_path, "serve") as server:
        server.wait_until_healthy()
        yield server


async def sign_in(client: httpx.AsyncClient, server: Server) -> tuple[str, str]:
    """(session id, csrf token) of the admin the first start created."""
    password = re.search(r"^  password: (\S+)$", server.stdout.read_text(), re.MULTILINE)
    assert password, server.output()
    response = await client.post(
        "/api/v1/auth/login", json={"email": "admin@wazify.local", "password": password[1]}
    )
    assert response.status_code == 200, response.text
    return response.cookies["wazify_session"], response.json()["csrf_token"]


async def open_socket(server: Server, **headers: str) -> None:
    """A websocket handshake, its first frame read, then closed."""
    url = f"ws://127.0.0.1:{server.port}/api/v1/ws?since=0"
    async with connect(url, additional_headers=headers, open_timeout=10) as socket:
        await socket.recv()


async def connect_instagram(
    client: httpx.AsyncClient, oauth: FakeOAuth, cookie: dict[str, str]
) -> str:
    """Instagram Login end to end; returns the OAuth code the callback carried."""
    started = await client.post("/api/v1/accounts/connect", headers=cookie)
    assert started.status_code == 200, started.text
    oauth.login_as(IG_ID)
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(started.json()["authorize_url"])
    assert consent.status_code == 302, consent.text
    location = urlsplit(consent.headers["location"])
    callback = f"{location.path}?{location.query}"
    done = await client.get(callback, headers={"Cookie": cookie["Cookie"]})
    assert done.status_code == 303, done.text
    assert "connected=" in done.headers["location"], done.headers["location"]
    return parse_qs(location.query)["code"][0]


async def test_debug_logs_hold_no_secret(
    debug_server: Server, fake_oauth: tuple[str, FakeOAuth]
) -> None:
    oauth = fake_oauth[1]
    base = debug_server.base_url
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        session_id, csrf = await sign_in(client, debug_server)
        client.cookies.clear()
        cookie = {"Cookie": f"wazify_session={session_id}", "X-CSRF-Token": csrf}
        created = await client.post("/api/v1/tokens", json={"name": "ci"}, headers=cookie)
        assert created.status_code == 201, created.text
        api_token = created.json()["secret"]
        bearer = {"Authorization": f"Bearer {api_token}"}
        assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
        assert (await client.get("/api/v1/me", headers=cookie)).status_code == 200
        await open_socket(debug_server, Cookie=cookie["Cookie"], Origin=base)
        await open_socket(debug_server, **bearer)
        code = await connect_instagram(client, oauth, cookie)

    assert debug_server.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    logs = debug_server.stderr.read_text()
    printed = debug_server.stdout.read_text()
    ig_tokens = list(oauth.tokens)
    assert len(ig_tokens) == 2  # the short-lived one and its long-lived exchange
    for secret in [session_id, csrf, api_token, code, APP_SECRET, *ig_tokens]:
        assert secret not in logs, f"{secret[:6]}... in the log"
        assert secret not in printed, f"{secret[:6]}... on stdout"
    # What was redacted was logged: the handshake header dumps. (httpx, which would log the
    # Graph API URLs, is kept at WARNING; tests/lib/test_redact.py shows its lines redacted.)
    assert "< cookie: ***" in logs
    assert "< authorization: ***" in logs


def test_the_app_leaves_logging_to_the_cli(settings: Settings) -> None:
    """Litestar's default logging config replaces the root handlers (the redacting ones)
    with its own; in worker processes the app is built after uvicorn applied ours."""
    root = logging.getLogger()
    before = list(root.handlers)
    create_app(settings)
    assert root.handlers == before
