"""Reports in real Chromium: a supervisor opens Reports (in the navigation; an agent has
no such entry) and sees the totals, the two charts and the per-member table; the CSV
link downloads the same figures. A screenshot goes to docs/screenshots/reports.png."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.conftest import ROOT, Stack, open_as, save_screenshot
from tests.browser.test_agents import conversation_of
from wazify.actions.conversations import do_claim, do_set_status
from wazify.actions.replies import do_queue_reply
from wazify.actions.uow import Actor, unit_of_work
from wazify.fakemeta.webhooks import ACCOUNT, text_message

CARLA = "7523146982351411"
pytestmark = pytest.mark.timeout(120)


async def test_a_supervisor_reads_the_reports_and_downloads_the_csv(browser, stack: Stack):
    from playwright.async_api import expect

    sam = await stack.world.member(stack.workspace_id, "sam@shop.example", "supervisor")
    alex = await stack.world.member(stack.workspace_id, "alex@shop.example", "agent")
    stack.profile(CARLA, "Carla Reis", "carla.r")
    await stack.webhook(text_message(ACCOUNT, CARLA, "Is the linen dress back in stock?"))
    conversation_id = await conversation_of(stack, CARLA)
    actor = Actor(user_id=alex.user_id, label=alex.email)
    async with unit_of_work(stack.runtime, actor) as uow:
        await do_queue_reply(
            uow, stack.workspace_id, conversation_id, author_id=alex.user_id, by_person=True,
            text="Yes, since this morning!",
        )  # fmt: skip
    async with unit_of_work(stack.runtime, actor) as uow:
        await do_claim(uow, stack.workspace_id, conversation_id, alex.user_id)
    async with unit_of_work(stack.runtime, actor) as uow:
        await do_set_status(uow, stack.workspace_id, conversation_id, "resolved")

    agent_page = await open_as(browser, stack, alex, "#/inbox")
    await expect(agent_page.locator(".main-nav a[data-route=reports]")).to_have_count(0)

    page = await open_as(browser, stack, sam, "#/inbox")
    await page.click(".main-nav a[data-route=reports]")
    await expect(page.locator("#reports-title")).to_have_text("Reports")
    await expect(page.locator(".report-totals dt").first).to_have_text("Opened")
    totals = await page.locator(".report-totals").inner_text()
    pairs = dict(zip(*[iter(totals.splitlines())] * 2, strict=True))
    assert [pairs[k] for k in ("Opened", "Reopened", "Resolved", "Messages in")] == list("1011")
    await expect(page.locator("svg.histogram rect.bar")).to_have_count(9)
    await expect(page.locator("svg.heatmap rect.heat")).to_have_count(7 * 24)
    table = page.locator("table.report-table")
    alex_row = table.locator("tbody tr", has_text="alex")
    await expect(alex_row).to_have_count(1)
    # alex: 1 first response, 1 reply, 1 resolution, 1 resolved, 1 message sent.
    cells = alex_row.locator("td")
    assert [await cells.nth(i).inner_text() for i in (1, 4, 7, 10, 11)] == ["1"] * 5
    await expect(table.locator("tr.total")).to_contain_text("Total")
    save_screenshot(await page.screenshot(full_page=True), "reports.png")
    (ROOT / "docs" / "screenshots" / "reports.png").write_bytes(
        (ROOT / "tests" / "_artifacts" / "reports.png").read_bytes()
    )

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download CSV").click()
    download = await info.value
    text = (await download.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert (rows[0]["group"], rows[0]["opened"], rows[0]["resolved"]) == ("total", "1", "1")
    assert [row["name"] for row in rows[1:]] == ["alex", "(no member)"]
    # Per account: the same figures, one row for the account.
    await page.select_option("select[name=group_by]", "account")
    await expect(page.locator("table.report-table thead th").first).to_have_text("Account")
    await expect(
        page.locator("table.report-table tbody tr", has_text="linen.studio")
    ).to_have_count(1)
    assert page.errors == []  # type: ignore[attr-defined]

    # Supervisors read the settings; an admin sets business hours, which the page can
    # then measure in.
    await page.click(".report-settings-slot summary")
    await expect(page.locator(".report-settings input[name=timezone]")).to_be_disabled()
    ada = await stack.world.member(stack.workspace_id, "ada@shop.example", "admin")
    admin_page = await open_as(browser, stack, ada, "#/reports")
    await expect(admin_page.locator("select[name=hours] option[value=business]")).to_be_disabled()
    await admin_page.click(".report-settings-slot summary")
    await admin_page.fill(".report-settings input[name=timezone]", "Europe/Lisbon")
    await admin_page.check(".report-settings input[name=enabled]")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        await admin_page.fill(f".report-settings input[name={day}]", "00:00-12:00, 12:00-24:00")
    await admin_page.click(".report-settings button[type=submit]")
    await expect(admin_page.locator(".toast")).to_contain_text("Report settings saved")
    await admin_page.select_option("select[name=hours]", "business")
    await admin_page.click(".report-filters button[type=submit]")
    await expect(admin_page.locator(".heatmap").locator("..")).to_contain_text("Europe/Lisbon")
    settings = await stack.runtime.engine.pool.fetchrow(
        "SELECT timezone, business_hours::text FROM report_settings"
    )
    assert settings["timezone"] == "Europe/Lisbon"
    assert '"sun": [["00:00", "12:00"], ["12:00", "24:00"]]' in settings["business_hours"]
    assert admin_page.errors == []  # type: ignore[attr-defined]
