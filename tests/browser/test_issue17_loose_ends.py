"""Issue 17's loose ends, reopenings and attachments with two people in real Chromium: an
admin cancels an invitation and another admin sees it go; an agent uploads an image from
the composer and another sees it in the thread with its status; a resolved conversation
reopened by a customer's message shows the line in both agents' threads and the marker
in the list."""

from __future__ import annotations

import re
import struct
import zlib

import httpx
import msgspec
import pytest

from tests.browser.conftest import Stack, open_as
from tests.browser.test_agents import conversation_of
from wazify.fakemeta.webhooks import ACCOUNT, text_message

ALICE = "7523146982351401"
pytestmark = pytest.mark.timeout(120)


def tiny_png() -> bytes:
    """A real 2x2 PNG (the browser must be able to draw it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x2e\x7d\x32" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def test_an_admin_cancels_an_invitation_and_another_admin_sees_it_go(browser, stack):
    from playwright.async_api import expect

    ann = await stack.world.member(stack.workspace_id, "ann@shop.example", "admin")
    ben = await stack.world.member(stack.workspace_id, "ben@shop.example", "admin")
    page_a = await open_as(browser, stack, ann, "#/admin/members")
    page_b = await open_as(browser, stack, ben, "#/admin/members")
    for page in (page_a, page_b):
        await expect(page.locator(".invitations")).to_contain_text("No pending invitation")

    # Ann invites from the form; Ben's list shows it at once.
    await page_a.fill("form.form input[name=email]", "newcomer@shop.example")
    await page_a.click("form.form button[type=submit]")
    await expect(page_a.locator("form.form code")).to_contain_text("/#/invite/")
    for page in (page_a, page_b):
        await expect(page.locator(".invitation")).to_contain_text("newcomer@shop.example")

    page_a.once("dialog", lambda dialog: dialog.accept())
    await page_a.click(".invitation button.danger")
    for page in (page_a, page_b):
        await expect(page.locator(".invitation")).to_have_count(0)
        await expect(page.locator(".invitations")).to_contain_text("No pending invitation")
    assert not page_a.errors and not page_b.errors, (page_a.errors, page_b.errors)


async def test_an_image_from_the_composer_appears_for_both_agents(browser, stack, tmp_path):
    from playwright.async_api import expect

    # Meta (and the agents' browsers) fetch the file at the app's public URL.
    stack.runtime.settings = msgspec.structs.replace(
        stack.runtime.settings, public_url=stack.url.rstrip("/"), upload_dir=tmp_path
    )
    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Can I see the colour in daylight?"))
    alice = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    page_b = await open_as(browser, stack, bea, f"#/c/{alice}")
    await expect(page_a.locator(".messages .msg-in")).to_have_count(1)

    picture = tmp_path / "daylight.png"
    picture.write_bytes(tiny_png())
    await page_a.set_input_files(".composer input[type=file]", str(picture))

    for page in (page_a, page_b):
        image = page.locator(".messages .msg-out img")
        await expect(image).to_have_count(1)
        await expect(image).to_have_attribute("src", re.compile(r"/media/[A-Za-z0-9_-]{40,}$"))
    src = await page_b.locator(".messages .msg-out img").get_attribute("src")
    async with httpx.AsyncClient() as client:
        assert (await client.get(src)).content == tiny_png()
    # Sent through Meta (the fake), then read: both agents see the status move on.
    for page in (page_a, page_b):
        await expect(page.locator(".msg-out [data-status=read]")).to_have_count(1, timeout=20_000)
    [sent] = [r for r in stack.fake.requests("/") if '"attachment"' in r.body]
    assert src in sent.body
    assert not page_a.errors and not page_b.errors, (page_a.errors, page_b.errors)


async def test_a_reopened_conversation_says_so_to_both_agents(browser, stack: Stack):
    from playwright.async_api import expect

    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    bea = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Where is my parcel?"))
    alice = await conversation_of(stack, ALICE)
    page_a = await open_as(browser, stack, alex, f"#/c/{alice}")
    page_b = await open_as(browser, stack, bea, f"#/c/{alice}")
    await expect(page_a.locator(".messages .msg-in")).to_have_count(1)
    await expect(page_b.locator(".messages .msg-in")).to_have_count(1)

    await page_a.click("button[title='Resolve (E)']")
    await expect(page_b.locator(".conversation")).to_contain_text("Resolved")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Actually, one more question"))

    for page in (page_a, page_b):
        line = page.locator(".messages .system-line")
        await expect(line).to_have_text("Reopened by a new message from Alice Martin")
        # Just before the message that reopened it.
        following = page.locator(".messages .system-line + .msg-in")
        await expect(following).to_contain_text("Actually, one more question")
    await page_b.goto(f"{stack.url}#/inbox")
    await expect(page_b.locator(".conv .tag-reopened")).to_have_text("Reopened")
    assert not page_a.errors and not page_b.errors, (page_a.errors, page_b.errors)
