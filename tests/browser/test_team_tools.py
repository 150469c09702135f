"""The team's tools with two agents in real Chromium: a note mentioning a teammate (live in
the thread and in Mentions, never sent to Meta), a canned response picked with "/" and its
placeholders filled, and a label an admin made, applied by one agent and filtered on by
the other. Screenshots of the note and of the picker go to docs/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ROOT, Stack, open_as, save_screenshot
from tests.browser.test_agents import conversation_of
from wazify.fakemeta.webhooks import ACCOUNT, text_message

ALICE = "7523146982351401"
BRUNO = "7523146982351402"
SCREENSHOTS = ROOT / "docs" / "screenshots"
pytestmark = pytest.mark.timeout(120)
# Desktop notifications as the page shows them (headless Chromium displays none).
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.shownNotifications.push([title, options.body]); }
  close() {}
};
"""


def document(data: bytes, name: str) -> None:
    save_screenshot(data, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / name).write_bytes(data)


async def customers(stack: Stack) -> tuple[int, int]:
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    stack.profile(BRUNO, "Bruno Costa", "bruno.c")
    await stack.webhook(text_message(ACCOUNT, BRUNO, "Do you have the sage shirt in L?"))
    await stack.webhook(text_message(ACCOUNT, ALICE, "Hi, my order #1042 arrived torn 😕"))
    return await conversation_of(stack, ALICE), await conversation_of(stack, BRUNO)


async def test_a_note_mentions_a_teammate_live_and_never_reaches_meta(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    alice, _ = await customers(stack)
    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    page_b = await open_as(browser, stack, bea, f"#/c/{alice}")
    await expect(page_a.locator(".messages .msg-in")).to_have_count(1)

    await page_a.click(".composer-tabs button[data-mode=note]")
    await expect(page_a.locator(".composer")).to_have_class("composer composer-note")
    await expect(page_a.locator(".note-label")).to_have_text("Note · only your team sees this")
    await page_a.type(".composer textarea", "Refund approved for the torn one. @be")
    options = page_a.locator("#composer-suggest .suggest-item")
    await expect(options).to_have_count(1)
    await expect(options.first).to_contain_text("@bea")
    await page_a.keyboard.press("Enter")  # picks bea: the note is not sent yet
    await page_a.type(".composer textarea", "can you ship a new one today?")
    await page_a.keyboard.press("Enter")

    for page in (page_a, page_b):  # live for the other agent, who has the thread open
        note = page.locator(".messages .msg-note")
        await expect(note).to_contain_text("Refund approved for the torn one.")
        await expect(note.locator(".mention")).to_have_text("@bea")
        await expect(note.locator(".note-badge")).to_have_text("Note · only your team sees this")
    # Bea had the thread open: the mention is read at once, no count left.
    await expect(page_b.locator(".main-nav .nav-badge")).to_be_hidden()
    document(await page_a.screenshot(), "note.png")

    # A second note while Bea is elsewhere: a desktop notification (she allowed them), the
    # count, then Mentions, then the thread.
    await page_b.context.grant_permissions(["notifications"])
    await page_b.add_init_script(RECORD_NOTIFICATIONS)
    await page_b.goto(f"{stack.url}#/inbox")
    await page_b.reload()
    await page_b.wait_for_selector(".conv-list")
    await page_a.type(".composer textarea", "@bea the courier comes at 4")
    await page_a.keyboard.press("Enter")  # picks bea
    await page_a.keyboard.press("Enter")  # adds the note
    badge = page_b.locator(".main-nav .nav-badge")
    await expect(badge).to_have_text("1")
    shown = await page_b.evaluate("window.shownNotifications")
    assert shown == [["alex mentioned you about Alice Martin", "@bea the courier comes at 4"]]
    await page_b.click(".main-nav a[data-route=mentions]")
    items = page_b.locator(".mentions-list .mention-item")
    await expect(items).to_have_count(2)
    await expect(items.first).to_have_class("card mention-item unread")
    await expect(items.first).to_contain_text("@bea the courier comes at 4")
    await expect(items.nth(1)).to_have_class("card mention-item")
    save_screenshot(await page_b.screenshot(), "mentions.png")
    await items.first.locator("a").click()
    await expect(page_b.locator(".messages .msg-note")).to_have_count(2)
    await expect(badge).to_be_hidden()

    # Alex edits the first note in place: mentions come back as names, and go out as ids.
    first = page_a.locator(".messages .msg-note").first
    await first.locator("button", has_text="Edit").click()
    field = first.locator("textarea.note-edit")
    await expect(field).to_have_value(
        "Refund approved for the torn one. @bea can you ship a new one today?"
    )
    await field.fill("Refund approved for the torn one. @bea please ship it by Friday.")
    await first.locator("button", has_text="Save").click()
    edited_b = page_b.locator(".messages .msg-note").first
    await expect(edited_b).to_contain_text("please ship it by Friday")
    await expect(edited_b.locator(".mention")).to_have_text("@bea")
    await expect(edited_b.locator(".meta")).to_contain_text("edited")

    # Never sent: no request to the Graph API carries a note's words.
    for request in stack.fake.requests():
        assert "courier" not in (request.body or "") and "torn one" not in (request.body or "")
    assert not page_a.errors and not page_b.errors  # type: ignore[attr-defined]


async def test_a_canned_response_is_picked_with_slash_and_its_placeholders_filled(
    browser, stack: Stack
):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    sam = await stack.world.member(stack.workspace_id, "sam@shop.example", "supervisor")
    alice, _ = await customers(stack)
    page_s = await open_as(browser, stack, sam, "#/canned")
    thanks = (
        "Hi {{contact.first_name}}, thanks for waiting! {{agent.first_name}} at {{workspace.name}}"
    )
    for shortcut, text in (
        ("thanks", thanks),
        ("tracking", "Your tracking number is {{order.tracking}}"),
    ):
        await page_s.fill(".canned-form input[name=shortcut]", shortcut)
        await page_s.fill(".canned-form textarea[name=text]", text)
        await page_s.check(".canned-form input[name=shared]")
        await page_s.click(".canned-form button[type=submit]")
        await expect(page_s.locator(f"tr:has(code:text-is('/{shortcut}'))")).to_have_count(1)

    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    await page_a.type(".composer textarea", "/t")
    options = page_a.locator("#composer-suggest .suggest-item")
    await expect(options).to_have_count(2)  # both start with t; shared to everyone
    await page_a.type(".composer textarea", "ha")
    await expect(options).to_have_count(1)
    await expect(options.first).to_contain_text("/thanks")
    await expect(options.first).to_contain_text("Hi Alice, thanks for waiting!")  # as it will read
    await expect(page_a.locator(".composer textarea")).to_have_attribute(
        "aria-activedescendant", "composer-suggest-0"
    )
    document(await page_a.screenshot(), "canned-picker.png")
    await page_a.keyboard.press("Enter")
    textarea = page_a.locator(".composer textarea")
    await expect(textarea).to_have_value("Hi Alice, thanks for waiting! alex at Shop")
    await page_a.keyboard.press("Enter")
    sent = page_a.locator(".msg-out", has_text="thanks for waiting")
    await expect(sent.locator("[data-status]")).to_have_attribute(
        "data-status", "delivered", timeout=10_000
    )
    usage = page_s.locator("tr:has(code:text-is('/thanks')) td").nth(3)
    await expect(usage).to_have_text("1")  # counted, live on the supervisor's screen
    save_screenshot(await page_s.screenshot(), "canned-responses.png")

    # A placeholder with no value is left in sight and stops the send.
    await page_a.type(".composer textarea", "/trac")
    await page_a.keyboard.press("Enter")
    await expect(textarea).to_have_value("Your tracking number is {{order.tracking}}")
    await expect(page_a.locator(".placeholder-flag")).to_contain_text("{{order.tracking}}")
    await expect(page_a.locator(".composer button.send")).to_be_disabled()
    await page_a.keyboard.press("Escape")  # nothing else happens
    await expect(page_a.locator(".msg-out")).to_have_count(1)
    assert not page_a.errors and not page_s.errors  # type: ignore[attr-defined]


async def test_an_admins_label_applied_by_one_agent_shows_for_the_other(browser, stack: Stack):
    from playwright.async_api import expect

    ada = await stack.world.member(stack.workspace_id, "ada@shop.example", "admin")
    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    alice, bruno = await customers(stack)
    page_b = await open_as(browser, stack, bea)
    page_admin = await open_as(browser, stack, ada, "#/admin/labels")
    await page_admin.fill(".labels-admin input[name=name]", "Damaged order")
    await page_admin.select_option(".labels-admin select[name=color]", "red")
    await page_admin.click(".labels-admin button.primary")
    await expect(page_admin.locator(".labels-admin .label-chip")).to_have_text("Damaged order")

    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    await page_a.select_option(".conv-header .label-add", label="Damaged order")
    await expect(page_a.locator(".conv-header .label-chip")).to_contain_text("Damaged order")

    row_b = page_b.locator(f".conv:has(a[data-conversation='{alice}'])")
    chip = row_b.locator(".label-chip")
    await expect(chip).to_have_text("Damaged order")
    await expect(chip).to_have_class("label-chip label-red")
    await expect(page_b.locator(".conv")).to_have_count(2)
    await page_b.select_option(".filters .label-filter", label="Damaged order")
    await expect(page_b.locator(".conv")).to_have_count(1)
    await expect(page_b.locator(".conv a")).to_have_attribute("data-conversation", str(alice))
    save_screenshot(await page_a.screenshot(), "labels-thread.png")
    save_screenshot(await page_admin.screenshot(), "labels-admin.png")

    # The admin recolours it: live everywhere; removing it takes the row out of the filter.
    await page_admin.select_option(".labels-admin .label-row select", "teal")
    await expect(page_b.locator(".conv .label-chip")).to_have_class("label-chip label-teal")
    await page_a.click(".conv-header .chip-remove")
    await expect(page_b.locator(".conv")).to_have_count(0)
    assert bruno  # the other conversation was there all along, unlabelled
    assert not page_a.errors and not page_b.errors and not page_admin.errors  # type: ignore[attr-defined]
