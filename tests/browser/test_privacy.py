"""Privacy in the web app, two people in two browsers on one real server: an admin erases a
contact while an agent has their conversation open (it disappears for the agent at once);
an admin requests a workspace's deletion with typed confirmation (every member sees the
banner with its date) and cancels it; an admin corrects the workspace's name."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Stack, open_as, save_screenshot
from tests.browser.test_agents import ALICE, BRUNO, conversation_of
from wazify.fakemeta.webhooks import ACCOUNT, text_message

pytestmark = pytest.mark.timeout(120)


async def test_an_admin_erases_a_contact_while_an_agent_watches(browser, stack: Stack) -> None:
    from playwright.async_api import expect

    admin = await stack.world.member(stack.workspace_id, "ada@shop.example", "admin")
    agent = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    stack.profile(BRUNO, "Bruno Costa", "bruno.c")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Please delete everything about me"))
    await stack.webhook(text_message(ACCOUNT, BRUNO, "Is the sage shirt back?"))
    conversation = await conversation_of(stack, ALICE)
    page_agent = await open_as(browser, stack, agent, f"#/c/{conversation}")
    page_admin = await open_as(browser, stack, admin, f"#/c/{conversation}")
    await expect(page_agent.locator(".messages .msg")).to_have_count(1)
    await expect(page_agent.locator(".conv")).to_have_count(2)
    # Agents see no erase button; admins do, and confirm in a dialog.
    await expect(page_agent.get_by_role("button", name="Erase contact")).to_have_count(0)
    page_admin.once("dialog", lambda dialog: dialog.accept())
    await page_admin.get_by_role("button", name="Erase contact").click()

    await expect(page_agent.locator(".conv")).to_have_count(1, timeout=3000)
    await expect(page_agent.locator(".conv")).not_to_contain_text("Alice")
    await expect(page_agent.locator(".toast")).to_contain_text("This conversation was erased")
    assert page_agent.url.endswith("#/inbox")
    await expect(page_admin.locator(".conv")).to_have_count(1)
    save_screenshot(await page_agent.screenshot(), "contact-erased.png")
    assert (
        await stack.runtime.engine.pool.fetchval(
            "SELECT count(*) FROM contacts WHERE igsid = $1", ALICE
        )
        == 0
    )
    assert not page_agent.errors and not page_admin.errors  # type: ignore[attr-defined]


async def test_an_admin_requests_and_cancels_the_workspace_deletion(browser, stack: Stack) -> None:
    from playwright.async_api import expect

    admin = await stack.world.member(stack.workspace_id, "ada@shop.example", "admin")
    agent = await stack.world.member(stack.workspace_id, "bea@shop.example", "agent")
    page_admin = await open_as(browser, stack, admin, "#/admin/workspace")
    page_agent = await open_as(browser, stack, agent)

    # The name, corrected live for everyone.
    name = page_admin.get_by_label("Workspace name")
    await name.fill("Linen Studio")
    await page_admin.get_by_role("button", name="Save name").click()
    await expect(page_agent.locator(".topbar .me")).to_contain_text("Linen Studio")

    delete = page_admin.get_by_role("button", name="Delete this workspace")
    await expect(delete).to_be_disabled()
    await page_admin.get_by_label("Sign-in name").fill("Shop")
    await expect(delete).to_be_disabled()  # the slug, exactly
    await page_admin.get_by_label("Sign-in name").fill("shop")
    await delete.click()

    for page in (page_admin, page_agent):
        banner = page.locator(".deletion-notice")
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("will be permanently deleted on")
    await expect(page_agent.locator(".deletion-notice")).to_contain_text("Ask an admin")
    await expect(page_admin.locator(".danger-zone")).to_contain_text("Deletion scheduled")
    save_screenshot(await page_admin.screenshot(), "workspace-deletion.png")
    assert (
        await stack.runtime.engine.pool.fetchval(
            "SELECT state FROM deletion_jobs WHERE workspace_id = $1", stack.workspace_id
        )
        == "scheduled"
    )

    await (
        page_admin.locator(".deletion-notice")
        .get_by_role("button", name="Cancel the deletion")
        .click()
    )
    for page in (page_admin, page_agent):
        await expect(page.locator(".deletion-notice")).to_be_hidden()
    await expect(page_admin.get_by_role("button", name="Delete this workspace")).to_be_visible()
    assert (
        await stack.runtime.engine.pool.fetchval(
            "SELECT state FROM deletion_jobs WHERE workspace_id = $1", stack.workspace_id
        )
        == "cancelled"
    )
    assert not page_agent.errors and not page_admin.errors  # type: ignore[attr-defined]
