"""History in the app: an admin's Resync shows its progress on the Accounts screen while
an agent sees the recovered conversations arrive; the composer warns before a reply is
queued for an account that needs reconnecting."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.browser.conftest import Stack, open_as, save_screenshot
from wazify.actions.outbox import do_mark_reconnect_required
from wazify.actions.uow import Actor, unit_of_work
from wazify.fakemeta.webhooks import ACCOUNT, text_message

pytestmark = pytest.mark.timeout(120)
GIULIA, HUGO, IRIS = "7523146982351421", "7523146982351422", "7523146982351423"


async def test_a_resync_shows_its_progress_to_the_admin_and_its_conversations_to_agents(
    browser, stack: Stack
) -> None:
    from playwright.async_api import expect

    admin = await stack.world.member(stack.workspace_id, "dana@shop.test", "admin")
    agent = await stack.world.member(stack.workspace_id, "alex@shop.test", "agent")
    now = int(time.time() * 1000)
    stack.profile(GIULIA, "Giulia Rossi", "giulia.rossi")
    stack.profile(HUGO, "Hugo Lefèvre", "hugo.lfv")
    for igsid, text, ago in (
        (GIULIA, "Do you ship to Italy?", 600_000),
        (HUGO, "Order #4821?", 60_000),
    ):
        stack.fake.history.add_message(ACCOUNT, igsid, text, ts_ms=now - ago)
    agent_page = await open_as(browser, stack, agent)
    admin_page = await open_as(browser, stack, admin, "#/admin/accounts")
    await expect(admin_page.locator(".account")).to_contain_text("@linen.studio")
    await admin_page.locator("[data-resync]").click()
    status = admin_page.locator(".account .import-status")
    await expect(status).to_have_attribute("data-import-state", "done", timeout=15_000)
    await expect(status).to_contain_text("2 conversations, 2 new messages")
    save_screenshot(await admin_page.screenshot(), "history-resync.png")
    # The agent saw them arrive, newest first, without reloading.
    names = agent_page.locator(".conv .name")
    await expect(names).to_have_count(2, timeout=10_000)
    await expect(names.first).to_contain_text("Hugo")
    assert not agent_page.errors and not admin_page.errors


async def test_the_composer_warns_before_queueing_a_reply_that_will_be_held(
    browser, stack: Stack
) -> None:
    from playwright.async_api import expect

    agent = await stack.world.member(stack.workspace_id, "alex@shop.test", "agent")
    await stack.webhook(text_message(ACCOUNT, IRIS, "Is the shop open on Sunday?"))
    page = await open_as(browser, stack, agent)
    await page.locator(".conv a").first.click()
    await page.wait_for_selector(".messages .msg-in")
    async with unit_of_work(stack.runtime, Actor.system("test")) as uow:
        await do_mark_reconnect_required(
            uow, stack.account_id, "Instagram no longer accepts the access token (error 190)"
        )
    notice = page.locator("#reply-window")
    await expect(notice).to_contain_text("held until an admin reconnects it")
    await page.fill(".composer textarea", "Yes, from 10 to 6")
    await page.keyboard.press("Enter")
    await expect(notice).to_contain_text("Press Send again to queue this reply anyway")
    await expect(page.locator(".composer .send")).to_have_text("Queue anyway")
    await asyncio.sleep(0.3)
    assert await page.locator(".messages .msg-out").count() == 0  # nothing queued yet
    await page.locator(".composer .send").click()
    held = page.locator(".messages .msg-out .status .reason")
    await expect(held).to_contain_text("held: reconnect required", timeout=10_000)
    await expect(page.locator(".composer .send")).to_have_text("Send")
    save_screenshot(await page.screenshot(), "held-reply.png")
    assert stack.fake.sent_messages() == []
    assert not page.errors
