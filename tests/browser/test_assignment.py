"""Auto-assignment in real Chromium with two users: a supervisor turns it on from the Team
page and keeps herself out (capacity 0); a new customer's conversation appears as the
agent's own, live; with the agent full the next one waits (the queue shows it), and
resolving the first hands it over, live in both pages; the account's own setting is saved
from its select."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Stack, open_as
from tests.browser.test_agents import conversation_of
from wazify.fakemeta.webhooks import ACCOUNT, text_message

CARLA = "7523146982351501"
DIEGO = "7523146982351502"
pytestmark = pytest.mark.timeout(120)


async def test_a_supervisor_turns_it_on_and_an_agent_gets_conversations_live(browser, stack: Stack):
    from playwright.async_api import expect

    sue = await stack.world.member(stack.workspace_id, "sue@shop.example", "supervisor")
    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    stack.profile(CARLA, "Carla Reyes", "carla.r")
    stack.profile(DIEGO, "Diego Alves", "diego.a")
    page_s = await open_as(browser, stack, sue, "#/team")
    page_a = await open_as(browser, stack, alex, "#/inbox")
    panel = page_s.locator(".assignment")
    await expect(panel.locator(".queue")).to_contain_text("Auto-assignment is off")

    sue_row = panel.locator(f"tr[data-user='{sue.user_id}']")
    await sue_row.locator("input").fill("0")
    await sue_row.locator("button").click()
    await expect(sue_row.locator("td[data-load]")).to_have_text("0 / 0")
    await panel.locator("input[name=default_capacity]").fill("1")
    await panel.locator("form", has_text="Default capacity").locator("button").click()
    await expect(sue_row.locator("td[data-load]")).to_have_text("0 / 0")
    await expect(panel.locator(f"tr[data-user='{alex.user_id}'] td[data-load]")).to_have_text(
        "0 / 1"
    )
    await panel.locator("input[name=enabled]").check()
    await expect(panel.locator(".queue")).to_contain_text("0 waiting")

    await stack.webhook(text_message(ACCOUNT, CARLA, "Is the linen dress back in stock?"))
    carla = await conversation_of(stack, CARLA)
    row = page_a.locator(f"a[data-conversation='{carla}']")
    await expect(row.locator(".assignee")).to_have_text("You", timeout=10_000)
    alex_row = panel.locator(f"tr[data-user='{alex.user_id}']")
    await expect(alex_row.locator("td[data-load]")).to_have_text("1 / 1", timeout=10_000)

    await stack.webhook(text_message(ACCOUNT, DIEGO, "Can I change my delivery address?"))
    diego = await conversation_of(stack, DIEGO)
    await expect(panel.locator(".queue")).to_contain_text("1 waiting", timeout=10_000)
    await expect(page_a.locator(f"a[data-conversation='{diego}'] .assignee")).to_have_text(
        "Unassigned"
    )

    await page_a.goto(f"{stack.url}#/c/{carla}")
    await page_a.locator(".conversation button", has_text="Resolve").click()
    await expect(page_a.locator(f"a[data-conversation='{diego}'] .assignee")).to_have_text(
        "You", timeout=10_000
    )
    await expect(panel.locator(".queue")).to_contain_text("0 waiting", timeout=10_000)

    # The connected account's own setting: switched off from its select, kept after a reload.
    account = panel.locator(f"li[data-account='{stack.account_id}'] select")
    await expect(account).to_have_value("follow")
    await account.select_option("off")
    pool = stack.runtime.engine.pool
    enabled = "SELECT enabled FROM assignment_accounts WHERE account_id = $1"
    for _ in range(100):
        if await pool.fetchval(enabled, stack.account_id) is False:
            break
        await page_s.wait_for_timeout(50)
    assert await pool.fetchval(enabled, stack.account_id) is False
    await page_s.reload()
    await expect(account).to_have_value("off")
    assert not page_s.errors and not page_a.errors  # type: ignore[attr-defined]
