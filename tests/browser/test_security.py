"""The web app under its Content Security Policy, the API reference without internet, and
attachment links that are not https never rendered as links or pictures."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import Stack, open_as, watch_errors
from tests.browser.test_agents import conversation_of, media
from wazify.fakemeta.webhooks import (
    ACCOUNT,
    attachment,
    attachment_message,
    story_reply,
    text_message,
)

ALICE = "7523146982351401"
BRUNO = "7523146982351402"
JS = "javascript:document.title='pwned'"
pytestmark = pytest.mark.timeout(120)


async def test_the_app_runs_under_its_policy(browser, stack: Stack) -> None:
    """Every screen, media, a reply over fetch and the websocket: no violation reported."""
    from playwright.async_api import expect

    admin = await stack.world.member(stack.workspace_id, "ada@shop.example", "admin")
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    shirts = [attachment("image", media(stack, n)) for n in ("shirt-navy.svg", "shirt-sage.svg")]
    await stack.webhook(attachment_message(ACCOUNT, ALICE, shirts, "Which one?"))
    await stack.webhook(
        story_reply(ACCOUNT, ALICE, "Love it", "77", media(stack, "story-beach.svg"))
    )
    conversation = await conversation_of(stack, ALICE)
    page = await open_as(browser, stack, admin, f"#/c/{conversation}")
    response = await page.reload()  # the page as loaded, under the policy
    assert "frame-ancestors 'none'" in (response.headers.get("content-security-policy") or "")
    await expect(page.locator(".messages .gallery img")).to_have_count(2)
    await expect(page.locator(".messages .story img")).to_have_count(1)
    await page.click("text=Assign to me")
    await page.fill(".composer textarea", "Both are in stock.\nWhich size?\nM or L?")
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg-out [data-status=read]")).to_have_count(1, timeout=15_000)
    await stack.webhook(text_message(ACCOUNT, ALICE, "M please"))  # over the websocket
    await expect(page.locator(".msg-in", has_text="M please")).to_have_count(1)
    routes = ("#/inbox", "#/team", "#/admin/members", "#/admin/accounts", "#/admin/audit")
    for route in (*routes, "#/mentions", "#/canned", "#/admin/labels"):
        await page.goto(stack.url + route)
        await page.wait_for_selector("main :is(.conv-list, .page, .table, .member-card)")
    assert page.errors == []  # type: ignore[attr-defined]


async def test_the_api_reference_works_offline(browser, stack: Stack) -> None:
    from playwright.async_api import expect

    context = await browser.new_context()
    page = await context.new_page()
    errors = watch_errors(page)
    elsewhere: list[str] = []
    own = stack.address

    async def only_our_server(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:  # no internet: anything else fails, and is noted
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_our_server)
    await page.goto(stack.url + "schema")
    await expect(page.locator("h1")).to_contain_text("Wazify API")
    tags = page.locator("nav.toc a")
    await expect(tags.filter(has_text="conversations")).to_have_count(1)
    await expect(tags.filter(has_text="Schemas")).to_have_count(1)

    def operation(method: str, path: str):
        exact = page.locator("code.path", has_text=re.compile(f"^{re.escape(path)}$"))
        return page.locator("details.operation", has=exact).filter(
            has=page.locator(f".method-{method}")
        )

    login = operation("post", "/api/v1/auth/login")
    await login.locator("summary").click()
    body = login.locator(".part", has_text="Request body")
    await expect(body).to_contain_text("application/json")
    await expect(body.locator("table.fields code").filter(has_text="email")).to_have_count(1)
    await expect(body.locator("table.fields code").filter(has_text="password")).to_have_count(1)
    await expect(login.locator(".part", has_text="Responses")).to_contain_text("200")

    listing = operation("get", "/api/v1/conversations")
    await listing.locator("summary").click()
    parameters = listing.locator(".part", has_text="Parameters")
    await expect(parameters.locator("td code").filter(has_text="status")).to_have_count(1)
    # A response schema links to its definition, which opens.
    await listing.locator(".response a").first.click()
    opened = page.locator("details.schema-def[open]")
    await expect(opened).to_have_count(1)
    await expect(opened.locator("table.fields")).to_be_visible()

    await page.fill(".filter", "webhooks/receipts")
    await expect(page.locator("details.operation:visible")).to_have_count(2)
    assert elsewhere == [] and errors == []
    await context.close()


def _message_with_unsafe_links(message: dict) -> dict:
    """The same message as if an old row or a bug had let javascript: links through."""
    return {
        **message,
        "text": "unsafe links below",
        "attachments": [
            {"type": "image", "url": JS},
            {"type": "video", "url": JS},
            {"type": "audio", "url": "data:audio/wav;base64,AAAA"},
            {"type": "file", "url": JS, "title": "invoice.pdf"},
            {"type": "share", "url": JS, "title": "A post"},
            {"type": "story_mention", "url": "http://evil.example/s.jpg"},
        ],
        "reply_to_story": {"url": JS, "id": "1"},
        "referral": {"source": "ADS", "ads_context_data": {"ad_title": "Ad", "photo_url": JS}},
    }


async def test_links_that_are_not_https_are_never_rendered(browser, stack: Stack) -> None:
    from playwright.async_api import expect

    agent = await stack.world.member(stack.workspace_id, "al@shop.example", "agent")
    stack.profile(BRUNO, "Bruno Costa", "bruno.c")
    # Through the server: the javascript: URL is dropped at normalisation.
    await stack.webhook(attachment_message(ACCOUNT, BRUNO, [attachment("image", JS)], "server"))
    await stack.webhook(text_message(ACCOUNT, BRUNO, "second"))
    conversation = await conversation_of(stack, BRUNO)

    # In the browser: the API's answer altered to carry them anyway.
    async def inject(route) -> None:
        response = await route.fetch()
        page_of_messages = await response.json()
        page_of_messages["items"] = [
            _message_with_unsafe_links(m) if m["text"] == "second" else m
            for m in page_of_messages["items"]
        ]
        await route.fulfill(response=response, body=json.dumps(page_of_messages))

    context = await browser.new_context()
    await context.route(f"**/api/v1/conversations/{conversation}/messages*", inject)
    host = stack.address.split(":")[0]
    await context.add_cookies(
        [{"name": "wazify_session", "value": agent.session_id, "domain": host, "path": "/"}]
    )
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(stack.url + f"#/c/{conversation}")
    await expect(page.locator(".msg-in")).to_have_count(2)
    await expect(page.locator(".msg-in", has_text="unsafe links below")).to_have_count(1)
    links = await page.eval_on_selector_all(
        ".messages [href], .messages [src]",
        "nodes => nodes.map(n => n.getAttribute('href') ?? n.getAttribute('src'))",
    )
    assert all(link.startswith(("https:", stack.url)) for link in links), links
    await expect(page.locator(".msg-in", has_text="server")).to_contain_text(
        "Photo no longer available"
    )
    unsafe = page.locator(".msg-in", has_text="unsafe links below")
    for text in ("Photo no longer", "Video no longer", "File no longer available: invoice.pdf"):
        await expect(unsafe).to_contain_text(text)
    assert await page.title() != "pwned"
    assert errors == []
    await context.close()
