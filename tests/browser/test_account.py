"""One's own account in the app: changing the password from the user menu, and joining
another workspace from an invitation link while signed in."""

from __future__ import annotations

import dataclasses
import hashlib

import httpx
import pytest

from tests.browser.conftest import Stack, open_as
from tests.support.world import PASSWORD
from wazify.auth.sessions import SESSION_COOKIE

NEW_PASSWORD = "a brand new passphrase"
pytestmark = pytest.mark.timeout(120)


async def sign_in(stack: Stack, email: str, password: str, workspace: str | None = None):
    body = {"email": email, "password": password} | ({"workspace": workspace} if workspace else {})
    async with httpx.AsyncClient(base_url=f"http://{stack.address}") as client:
        return await client.post("/api/v1/auth/login", json=body)


async def test_a_member_changes_their_password_from_the_user_menu(browser, stack: Stack):
    alice = await stack.world.member(stack.workspace_id, "alice@example.com", "agent")
    # Alice is also signed in elsewhere (her phone, say): that session ends with the change.
    phone = await stack.world.open_session(dataclasses.replace(alice))
    page = await open_as(browser, stack, alice)

    await page.click("a.me-name")
    await page.wait_for_selector("h2#password-title")
    form = page.locator("form[aria-labelledby=password-title]")
    await form.locator("input[name=current_password]").fill("not my password at all")
    await form.locator("input[name=new_password]").fill(NEW_PASSWORD)
    await form.locator("input[name=repeat]").fill(NEW_PASSWORD)
    await form.locator("button[type=submit]").click()
    await form.get_by_role("alert").filter(has_text="the current password is wrong").wait_for()

    await form.locator("input[name=current_password]").fill(PASSWORD)
    await form.locator("button[type=submit]").click()
    await page.get_by_role("status").filter(has_text="Password changed").wait_for()

    assert await form.locator("input[name=new_password]").input_value() == ""
    ended = await stack.runtime.engine.pool.fetchval(
        "SELECT ended_at IS NOT NULL FROM sessions WHERE id_hash = $1",
        hashlib.sha256(phone.session_id.encode()).hexdigest(),
    )
    assert ended is True
    # This tab stays signed in; the new password works and the old one no longer does.
    await page.click("a[data-route=inbox]")
    await page.wait_for_selector(".conv-list")
    assert (await sign_in(stack, "alice@example.com", NEW_PASSWORD)).status_code == 200
    assert (await sign_in(stack, "alice@example.com", PASSWORD)).status_code == 401
    assert page.errors == []  # type: ignore[attr-defined]


async def test_a_signed_in_person_joins_another_workspace_from_the_link(browser, stack: Stack):
    alice = await stack.world.member(stack.workspace_id, "alice@example.com", "agent")
    studio = await stack.world.workspace("studio")
    boss = await stack.world.member(studio, "boss@example.com", "admin")
    async with httpx.AsyncClient(base_url=f"http://{stack.address}") as client:
        invited = await client.post(
            "/api/v1/members",
            json={"email": "alice@example.com", "role": "supervisor"},
            headers=boss.headers,
        )
    route = invited.json()["invite_url"].split("/", 3)[3]  # "#/invite/<secret>"
    assert route.startswith("#/invite/")
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": alice.session_id,
                "domain": stack.address.split(":")[0],
                "path": "/",
            }
        ]
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    await page.goto(stack.url + route)
    await page.get_by_text("You are signed in as alice@example.com").wait_for()
    await page.get_by_role("button", name="Join as alice@example.com").click()

    await page.get_by_text("You joined Studio. Sign in to it to start.").wait_for()
    assert "#/invite/" not in page.url  # the used secret left the address bar
    assert await page.input_value("input[name=email]") == "alice@example.com"
    assert await page.input_value("input[name=workspace]") == "studio"
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector(".conv-list")
    assert "Studio" in await page.inner_text(".me")
    roles = await stack.runtime.engine.pool.fetch(
        "SELECT w.slug, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id"
        " WHERE m.user_id = $1 ORDER BY w.slug",
        alice.user_id,
    )
    assert [(r["slug"], r["role"]) for r in roles] == [("shop", "agent"), ("studio", "supervisor")]
    assert errors == []
    await context.close()


async def test_adding_an_existing_account_in_the_admin_screen_gives_a_link(browser, stack: Stack):
    await stack.world.member(stack.workspace_id, "alice@example.com", "agent", session=False)
    studio = await stack.world.workspace("studio")
    boss = await stack.world.member(studio, "boss@example.com", "admin")
    page = await open_as(browser, stack, boss, "#/admin/members")

    form = page.locator("form.form").filter(has_text="Add a member")
    await form.locator("input[name=email]").fill("alice@example.com")
    await form.locator("input[name=password]").fill("a password boss chose")
    await form.locator("button[type=submit]").click()

    message = form.locator("[aria-live=polite]")
    await message.filter(has_text="already has an account").wait_for()
    text = await message.inner_text()
    assert "the password you typed was not used" in text
    assert "/#/invite/" in await message.locator("code").inner_text()
    # Not on the team: she has not accepted.
    rows = page.locator("table.table tbody tr")
    assert await rows.count() == 1 and "alice" not in await rows.inner_text()
    assert page.errors == []  # type: ignore[attr-defined]
