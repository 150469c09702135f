"""The contact panel and the reply collision guard with two agents in real Chromium: one
agent corrects the contact's name and writes a note about them, the other sees both live;
two agents answer the same customer at once, the second is asked ("alex replied 3 s ago:
send anyway?") and can send anyway. A screenshot of the panel goes to docs/screenshots/."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Stack, open_as
from tests.browser.test_agents import conversation_of
from tests.browser.test_team_tools import document
from wazify.fakemeta.items import message
from wazify.fakemeta.state import FakeProfile
from wazify.fakemeta.webhooks import ACCOUNT, text_message

ALICE = "7523146982351411"
pytestmark = pytest.mark.timeout(120)
AD = {
    "ref": "summer_linen_ad",
    "ad_id": "120210987654321098",
    "source": "ADS",
    "type": "OPEN_THREAD",
    "ads_context_data": {"ad_title": "Summer linen, 20% off"},
}


async def alice_from_the_ad(stack: Stack) -> int:
    stack.fake.set_profile(
        FakeProfile(
            igsid=ALICE,
            name="Alice Martin",
            username="alice.martin",
            profile_pic=f"{stack.url}demo-media/avatar-2.svg",
            follower_count=1840,
            is_user_follow_business=True,
            is_business_follow_user=False,
            is_verified_user=False,
            account_ig_id=ACCOUNT,
        )
    )
    await stack.webhook(message(ACCOUNT, ALICE, text="Is the linen shirt on sale?", referral=AD))
    return await conversation_of(stack, ALICE)


async def test_a_name_correction_and_a_note_about_the_contact_are_live(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    alice = await alice_from_the_ad(stack)
    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    page_b = await open_as(browser, stack, bea, f"#/c/{alice}")
    panel_a, panel_b = page_a.locator(".contact-panel"), page_b.locator(".contact-panel")
    await expect(panel_a.locator("h3")).to_have_text("Alice Martin", timeout=10_000)
    await expect(panel_a.locator(".username")).to_have_text("@alice.martin")
    await expect(panel_a.locator(".facts")).to_contain_text("1,840 followers")
    await expect(panel_a.locator(".facts")).to_contain_text("Follows you")
    await expect(panel_a.locator(".started-by")).to_contain_text("Ad: Summer linen, 20% off")
    await expect(panel_a.locator(".contact-conversations li")).to_have_count(1)

    await panel_a.locator("button", has_text="Edit name").click()
    await panel_a.locator(".name-edit input").fill("Alice (wholesale)")
    await panel_a.locator(".name-edit button", has_text="Save").click()
    for page in (page_a, page_b):  # live for Bea: her panel, her header, her inbox
        await expect(page.locator(".contact-panel h3")).to_have_text("Alice (wholesale)")
        await expect(page.locator(".conv-header h2")).to_have_text("Alice (wholesale)")
        await expect(page.locator(".conv-list .name").first).to_have_text("Alice (wholesale)")
    await expect(panel_b.locator(".contact-body")).to_contain_text("On Instagram: Alice Martin")

    note = "Wholesale buyer: ships to the Lyon store, prefers mornings."
    await panel_a.locator(".contact-note textarea").fill(note)
    await panel_a.locator(".contact-note button", has_text="Save note").click()
    await expect(panel_b.locator(".contact-note textarea")).to_have_value(note)
    await expect(panel_a.locator(".contact-note button")).to_be_hidden()
    await page_a.evaluate("document.querySelectorAll('.toast').forEach((t) => t.remove())")
    document(await page_a.screenshot(), "contact-panel.png")
    corrected = await stack.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'contact.corrected'"
    )
    assert corrected == 2
    assert not page_a.errors and not page_b.errors  # type: ignore[attr-defined]


async def test_the_second_reply_asks_before_it_goes_and_can_be_sent_anyway(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Where is my order #1042?"))
    alice = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    page_b = await open_as(browser, stack, bea, f"#/c/{alice}")
    for page in (page_a, page_b):
        await expect(page.locator(".messages .msg-in")).to_have_count(1)

    await page_b.type(".composer textarea", "Hi Alice, let me check for you")  # Bea starts
    await page_a.type(".composer textarea", "It left our warehouse this morning")
    await page_a.keyboard.press("Enter")  # Alex answers first
    await expect(page_b.locator(".messages .msg-out")).to_have_count(1)  # Bea sees it live
    await page_b.keyboard.press("Enter")  # and sends what she wrote before it came

    question = page_b.locator(".composer .collision")
    await expect(question).to_be_visible()
    await expect(question).to_contain_text(re.compile(r"alex replied \d+ s ago: send anyway\?"))
    await expect(page_b.locator(".composer textarea")).to_have_value(
        "Hi Alice, let me check for you"
    )
    await expect(page_b.locator(".messages .msg-out")).to_have_count(1)  # nothing sent
    await question.locator("button", has_text="Send anyway").click()
    await expect(question).to_be_hidden()
    for page in (page_a, page_b):
        await expect(page.locator(".messages .msg-out")).to_have_count(2)
        await expect(page.locator(".messages")).to_contain_text("let me check for you")
    await expect(page_b.locator(".composer textarea")).to_have_value("")

    # Again, and this time Bea declines: her text stays; sent as it is, it is not asked
    # about twice (she has seen Alex's reply now).
    await page_b.type(".composer textarea", "Tracking: LY123")
    await page_a.type(".composer textarea", "Tracking number: LY123FR")
    await page_a.keyboard.press("Enter")
    await expect(page_b.locator(".messages .msg-out")).to_have_count(3)
    await page_b.keyboard.press("Enter")
    await expect(question).to_be_visible()
    await question.locator("button", has_text="Don't send").click()
    await expect(question).to_be_hidden()
    await expect(page_b.locator(".composer textarea")).to_have_value("Tracking: LY123")
    await page_b.locator(".composer textarea").fill("Tracking: LY123FR, as Alex said")
    await page_b.keyboard.press("Enter")
    await expect(page_a.locator(".messages .msg-out")).to_have_count(4)
    await expect(question).to_be_hidden()
    forced = await stack.runtime.engine.pool.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'message.replied'"
        " AND after->>'forced' = 'true'"
    )
    assert forced == 1
    assert not page_a.errors and not page_b.errors  # type: ignore[attr-defined]
