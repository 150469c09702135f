"""`wazify demo` as a newcomer meets it: start it with no configuration, open the printed
address, sign in with the printed login, see customers write in, reply, see them read and
answer. Runs the real command in a subprocess (its own embedded PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

import pytest

from tests.browser.conftest import _require_browser, save_screenshot, watch_errors
from tests.support.services import free_port

pytestmark = pytest.mark.timeout(150)


async def read_login(process: asyncio.subprocess.Process) -> tuple[str, str, list[str]]:
    """The address, the password and the emails the demo prints."""
    lines: list[str] = []
    async with asyncio.timeout(90):
        while True:
            raw = await process.stdout.readline()  # type: ignore[union-attr]
            if not raw:
                raise AssertionError("wazify demo exited early:\n" + "".join(lines))
            line = raw.decode()
            lines.append(line)
            if line.startswith("password:"):
                break
    text = "".join(lines)
    address = re.search(r"open (http://\S+)", text)
    emails = re.findall(r"^\s+(\S+@\S+)\s+\((\w+)\)", text, re.MULTILINE)
    assert address and emails, text
    return address.group(1), line.split(":", 1)[1].strip(), [e for e, _ in emails]


async def test_the_demo_shows_a_live_inbox_a_newcomer_can_answer(browser):
    _require_browser()
    from playwright.async_api import expect

    port = free_port()
    env = {**os.environ, "WAZIFY_LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "WAZIFY_TOKEN_KEYS", "WAZIFY_PUBLIC_URL"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wazify.cli", "demo", "--port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    context = None
    try:
        address, password, emails = await read_login(process)
        assert address == f"http://localhost:{port}"
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        errors = watch_errors(page)
        await page.goto(address)
        await page.fill("input[name=email]", emails[0])
        await page.fill("input[name=password]", password)
        await page.click("button[type=submit]")
        # The account's past conversations were imported at start (wazify.demo.history)...
        await expect(page.locator(".conv-list")).to_contain_text("Giulia Rossi", timeout=20_000)
        # ...and within a minute, several customers have written in (above those four).
        await expect(page.locator(".conv").nth(5)).to_be_visible(timeout=45_000)
        await page.locator(".conv a").first.click()
        await page.wait_for_selector(".messages .msg")
        before = await page.locator(".messages .msg-in").count()
        await page.fill(".composer textarea", "Hello! Happy to help 🙂")
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg-out [data-status=read]")).to_have_count(1, timeout=20_000)
        # The customer answers.
        await expect(page.locator(".messages .msg-in")).not_to_have_count(before, timeout=30_000)
        save_screenshot(await page.screenshot(), "demo.png")
        # The admin's pages work on the same live data.
        await page.goto(f"{address}/#/admin/members")
        await expect(page.locator(".table tbody tr")).to_have_count(3)
        await page.goto(f"{address}/#/admin/accounts")
        await expect(page.locator(".account")).to_contain_text("@linen.studio")
        await page.goto(f"{address}/#/admin/audit")
        await expect(page.locator(".table tbody tr").first).to_be_visible()
        await page.goto(f"{address}/#/team")
        await expect(page.locator(".member-card")).to_have_count(4)
        assert not errors, errors
    finally:
        if context is not None:
            await context.close()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
