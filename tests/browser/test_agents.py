"""Two agents (and a supervisor) in separate browser contexts, one real server: what one
does, or what Instagram sends, shows for the other live, without a refresh."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.browser.conftest import Stack, open_as, save_screenshot
from wazify.fakemeta.state import FailureRule
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    attachment,
    attachment_message,
    new_mid,
    reaction,
    story_reply,
    text_message,
)

ALICE = "7523146982351401"
BRUNO = "7523146982351402"
CHLOE = "7523146982351403"
pytestmark = pytest.mark.timeout(120)


def media(stack: Stack, name: str) -> str:
    return f"{stack.url}demo-media/{name}"


async def conversation_of(stack: Stack, igsid: str, timeout: float = 5.0) -> int:
    async with asyncio.timeout(timeout):
        while True:
            found = await stack.runtime.engine.pool.fetchval(
                "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
                " WHERE ct.igsid = $1",
                igsid,
            )
            if found:
                return found
            await asyncio.sleep(0.05)


async def sender_actions_settle(stack: Stack, quiet: float = 0.7) -> None:
    """Wait until no request has reached the fake Graph API for `quiet` seconds."""
    async with asyncio.timeout(10):
        while True:
            count = len(stack.fake.requests())
            await asyncio.sleep(quiet)
            if len(stack.fake.requests()) == count:
                return


async def populate(stack: Stack) -> None:
    """A few customers and kinds, so the screenshots show a working inbox."""
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    stack.profile(BRUNO, "Bruno Costa", "bruno.c")
    stack.profile(CHLOE, "Chloé Dubois", "chloe.dbs")
    shirts = [attachment("image", media(stack, n)) for n in ("shirt-navy.svg", "shirt-sage.svg")]
    await stack.webhook(attachment_message(ACCOUNT, CHLOE, shirts))
    await stack.webhook(
        story_reply(ACCOUNT, BRUNO, "Is this still available? 😍", "351234", "https://x.invalid/s")
    )


async def login(browser, stack: Stack, email: str):
    """Sign in through the form, as a person would."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(stack.url)
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", "correct horse battery staple")
    await page.click("button[type=submit]")
    await page.wait_for_selector(".conv-list")
    return page


async def test_a_customer_message_reaches_both_agents_within_a_second(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    await populate(stack)
    page_a = await login(browser, stack, alex.email)
    page_b = await open_as(browser, stack, bea)
    await expect(page_a.locator(".conv")).to_have_count(2)
    await expect(page_b.locator(".conv")).to_have_count(2)

    started = time.monotonic()
    await stack.webhook(
        text_message(ACCOUNT, ALICE, "Hi! Do you still have the linen shirt in size M?")
    )
    seen = []
    for page in (page_a, page_b):
        await expect(page.locator(".conv").first).to_contain_text("linen shirt in size M")
        seen.append(time.monotonic() - started)
    assert max(seen) < 1.0, f"shown after {seen} seconds"
    # New activity went to the top, with its unread badge; the profile arrives live too.
    await expect(page_b.locator(".conv").first.locator(".badge")).to_have_text("1")
    await expect(page_b.locator(".conv").first.locator(".name")).to_have_text("Alice Martin")
    save_screenshot(await page_b.screenshot(), "inbox.png", readme=True)
    assert not page_b.errors  # type: ignore[attr-defined]


async def test_a_reply_moves_to_delivered_then_read_for_the_other_agent(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    await populate(stack)
    mid = new_mid(ACCOUNT)
    await stack.webhook(text_message(ACCOUNT, ALICE, "Do you ship to Portugal?", mid))
    await stack.webhook(
        attachment_message(ACCOUNT, ALICE, [attachment("image", media(stack, "shirt-sand.svg"))])
    )
    conversation = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex, f"#/c/{conversation}")
    page_b = await open_as(browser, stack, bea, f"#/c/{conversation}")
    await expect(page_a.locator(".messages .msg")).to_have_count(2)

    await page_a.click("text=Assign to me")
    await page_a.fill(".composer textarea", "Yes, we ship to Portugal in 3 days 🙂")
    await page_a.keyboard.press("Enter")
    ours_b = page_b.locator(".msg-out", has_text="we ship to Portugal")
    await expect(ours_b).to_have_count(1)
    # The fake Meta answers the Send API, posts the echo (delivered), then the read receipt.
    await expect(ours_b.locator("[data-status]")).to_have_attribute(
        "data-status", "delivered", timeout=10_000
    )
    await expect(ours_b.locator("[data-status]")).to_have_attribute(
        "data-status", "read", timeout=10_000
    )
    await expect(page_a.locator(".msg-out [data-status=read]")).to_have_count(1)
    await stack.webhook(reaction(ACCOUNT, ALICE, mid))
    await expect(page_b.locator(".msg-in .reactions")).to_have_count(1)
    await expect(page_b.locator(".conv-header .sub")).to_contain_text("alex")
    save_screenshot(await page_b.screenshot(), "conversation.png")


async def test_a_supervisor_reassigns_and_both_lists_update(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    sam = await stack.world.member(stack.workspace_id, "sam@shop.example", "supervisor")
    await populate(stack)
    await stack.webhook(text_message(ACCOUNT, ALICE, "Hello?"))
    conversation = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex)
    page_b = await open_as(browser, stack, bea)
    for page in (page_a, page_b):
        await page.click(".segmented button[data-assignee=mine]")
    await page_a.goto(f"{stack.url}#/c/{conversation}")
    await page_a.click("text=Assign to me")
    mine_a = page_a.locator(f".conv-list a[data-conversation='{conversation}']")
    mine_b = page_b.locator(f".conv-list a[data-conversation='{conversation}']")
    await expect(mine_a).to_have_count(1)
    await expect(mine_b).to_have_count(0)

    page_s = await open_as(browser, stack, sam, "#/team")
    alex_card = page_s.locator(".member-card[aria-label=alex]")
    await expect(alex_card.locator(".count")).to_have_text("1")
    save_screenshot(await page_s.screenshot(), "team.png")
    await alex_card.locator("select").select_option(label="bea")
    await expect(mine_b).to_have_count(1)
    await expect(mine_a).to_have_count(0)
    await expect(page_s.locator(".member-card[aria-label=bea] .count")).to_have_text("1")


async def test_typing_and_viewing_are_shown_to_the_other(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Hi there"))
    conversation = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex, f"#/c/{conversation}")
    page_b = await open_as(browser, stack, bea, f"#/c/{conversation}")
    await expect(page_b.locator(".conv-header .viewers")).to_have_text("alex is viewing")
    await expect(page_a.locator(".conv-header .viewers")).to_have_text("bea is viewing")
    await page_a.type(".composer textarea", "Let me check")
    await expect(page_b.locator(".activity")).to_have_text("alex is typing…")
    await page_b.goto(f"{stack.url}#/inbox")
    await expect(page_a.locator(".conv-header .viewers")).to_have_count(0)


async def test_after_a_cut_socket_the_missed_messages_show_once(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    await stack.webhook(text_message(ACCOUNT, ALICE, "First"))
    conversation = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex, f"#/c/{conversation}")
    page_b = await open_as(browser, stack, bea, f"#/c/{conversation}")
    await expect(page_a.locator(".messages .msg")).to_have_count(1)
    await expect(page_a.locator(".banner")).to_be_hidden()

    stack.gate.closed = True  # reconnects are refused until the messages are in
    assert stack.cut(alex) == 1
    await expect(page_a.locator(".banner")).to_contain_text("Disconnected")
    for text in ("missed one", "missed two", "missed three"):
        await stack.webhook(text_message(ACCOUNT, ALICE, text))
    await expect(page_b.locator(".messages .msg")).to_have_count(4)  # B stayed live
    await asyncio.sleep(0.5)
    await expect(page_a.locator(".messages .msg")).to_have_count(1)  # A really is offline
    stack.gate.closed = False
    await page_a.locator(".banner button").click()  # or wait for the backoff
    await expect(page_a.locator(".banner")).to_be_hidden(timeout=10_000)
    await expect(page_a.locator(".messages .msg")).to_have_count(4)
    for text in ("missed one", "missed two", "missed three"):
        await expect(page_a.locator(".messages .msg", has_text=text)).to_have_count(1)
        await expect(page_a.locator(".conv-list .preview", has_text=text)).to_have_count(
            1 if text == "missed three" else 0
        )
    assert not page_a.errors  # type: ignore[attr-defined]


async def test_a_failed_send_shows_its_reason_and_retries(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Hello"))
    conversation = await conversation_of(stack, ALICE)
    page = await open_as(browser, stack, alex, f"#/c/{conversation}")
    await page.fill(".composer textarea", "Your order shipped today")
    # Marking read and typing also reach Meta's messages endpoint: let those pass first,
    # so the injected failure hits the reply itself.
    await sender_actions_settle(stack)
    stack.fake.inject_failure(
        FailureRule(path_prefix="/v", method="POST", preset="user_unavailable", count=1)
    )
    await page.keyboard.press("Enter")
    failed = page.locator(".msg-out [data-status=failed]")
    await expect(failed).to_have_count(1, timeout=10_000)
    await expect(failed.locator(".reason")).to_contain_text("Not sent:")
    await failed.locator("button.retry").click()
    await expect(
        page.locator(".msg-out", has_text="Your order shipped today").locator(
            "[data-status=delivered], [data-status=read]"
        )
    ).to_have_count(1, timeout=10_000)


async def test_an_ended_session_leads_to_sign_in_and_keeps_the_draft(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Hello"))
    conversation = await conversation_of(stack, ALICE)
    page = await open_as(browser, stack, alex, f"#/c/{conversation}")
    await page.fill(".composer textarea", "Half-written answer")
    await stack.runtime.engine.pool.execute("UPDATE sessions SET ended_at = now()")
    # The server closes the live stream (4001) within its validation period.
    await expect(page.locator(".login")).to_contain_text("Your session ended", timeout=10_000)
    await page.fill("input[name=email]", alex.email)
    await page.fill("input[name=password]", "correct horse battery staple")
    await page.click("button[type=submit]")
    await expect(page.locator(".composer textarea")).to_have_value("Half-written answer")
    assert page.url.endswith(f"#/c/{conversation}")
