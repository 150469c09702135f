"""Browser tests: the real web app in headless Chromium (Debian's, /usr/bin/chromium) driven
by Playwright, against a real server on a port with real PostgreSQL and Redis, and the fake
Graph API in a thread (it answers the Send API and posts the echoes and read receipts back).

Playwright's offline emulation does not close an open websocket, so reconnects are tested
by cutting the connection from the server (and holding new ones back with a gate).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest

from tests.support.live import live_server
from tests.support.world import Member, World
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import Actor, unit_of_work
from wazify.app import create_app
from wazify.auth.sessions import SESSION_COOKIE
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FakeGraphState, FakeProfile, Messaging
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed
from wazify.lib.passwords import hash_password
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TOKEN = "browser-test-token"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "_artifacts"
README_SCREENSHOT = ROOT / "docs" / "screenshots" / "inbox.png"


def _require_browser() -> None:
    if importlib.util.find_spec("playwright") is None:
        pytest.skip(
            "!!! browser tests SKIPPED: Playwright for Python is not installed"
            " (pip install playwright; the browser is Debian's chromium)"
        )
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"!!! browser tests SKIPPED: no {CHROMIUM} (apt-get install chromium)")


class SocketGate:
    """ASGI wrapper that can refuse new websockets (as a server that is down would), so a
    test controls when a cut client gets back in."""

    def __init__(self, app) -> None:
        self.app = app
        self.closed = False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket" and self.closed:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1013})
            return
        await self.app(scope, receive, send)


@dataclass
class Stack:
    address: str
    app: object
    gate: SocketGate
    runtime: Runtime
    fake: FakeGraphState
    workspace_id: int
    account_id: int
    secret: str
    world: World

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    async def webhook(self, *items: dict) -> None:
        """Post Meta-shaped items for the demo account as one signed delivery."""
        raw = encode_body(body([entry(ACCOUNT, list(items))]))
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://{self.address}/webhooks/instagram",
                content=raw,
                headers=signed(raw, self.secret),
            )
        assert response.status_code == 200, response.text

    def profile(self, igsid: str, name: str, username: str) -> None:
        self.fake.set_profile(
            FakeProfile(igsid=igsid, name=name, username=username, account_ig_id=ACCOUNT)
        )

    def cut(self, member: Member) -> int:
        """Close every live socket of `member` from the server side."""
        cut = 0
        for connection in self.app.state.realtime.hub.all_connections():
            if connection.user_id == member.user_id:
                connection.close_later(1001, "cut by the test")
                cut += 1
        return cut


@pytest.fixture(scope="session")
def browser_password_hash() -> str:
    return hash_password("correct horse battery staple")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    _require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def stack(
    settings: Settings,
    runtime: Runtime,  # empties the tables
    database_url: str,
    redis_url: str,
    browser_password_hash: str,
) -> AsyncIterator[Stack]:
    _require_browser()
    graph_url, fake, stop_graph = run_fake_graph_in_thread()
    fake.add_token(TOKEN, ACCOUNT)
    app_settings = msgspec.structs.replace(
        settings,
        redis_url=redis_url,
        meta_graph_url=graph_url,
        realtime_heartbeat_seconds=2,
        realtime_validate_seconds=1,
    )
    # The app's own runtime, fanning out through Redis like production.
    app_runtime = await open_runtime(app_settings, database_url, app_settings.token_keys)
    world = World(app_runtime, browser_password_hash)
    workspace_id = await world.workspace("shop")
    async with unit_of_work(app_runtime, Actor.system("test")) as uow:
        account = await do_register_account(
            uow, workspace_id, ig_id=ACCOUNT, username="linen.studio", token=TOKEN
        )
    app = create_app(app_settings, runtime=app_runtime)
    gate = SocketGate(app)
    try:
        async with live_server(gate) as address:
            secret = app_settings.meta_app_secrets[0]
            fake.configure_messaging(
                Messaging(
                    webhook_url=f"http://{address}/webhooks/instagram",
                    app_secret=secret,
                    read_receipts=True,
                    read_after=1.0,
                )
            )
            yield Stack(
                address, app, gate, app_runtime, fake, workspace_id, account.id, secret, world
            )
    finally:
        stop_graph()
        await app_runtime.close()


def watch_errors(page) -> list[str]:
    """Uncaught errors and Content Security Policy violations (Chromium reports those on the
    console only) of `page`, as they happen: a test asserting none covers both."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            errors.append(f"CSP: {message.text}")

    page.on("console", on_console)
    return errors


async def open_as(browser, stack: Stack, member: Member, route: str = "", width: int = 1280):
    """A browser context signed in as `member` (its session cookie), on `route`."""
    context = await browser.new_context(viewport={"width": width, "height": 800})
    host = stack.address.split(":")[0]
    await context.add_cookies(
        [{"name": SESSION_COOKIE, "value": member.session_id, "domain": host, "path": "/"}]
    )
    page = await context.new_page()
    page.errors = watch_errors(page)  # type: ignore[attr-defined]
    await page.goto(stack.url + route)
    await page.wait_for_selector(".conv-list, .page", timeout=10_000)
    return page


def save_screenshot(data: bytes, name: str, readme: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)
    if readme:
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, README_SCREENSHOT)
