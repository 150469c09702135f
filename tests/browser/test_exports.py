"""Data exports in the app: an admin requests the workspace's export in Admin > Data, sees
its progress live and downloads the zip; a contact's export starts from their conversation;
a supervisor is told only admins export, and an agent is offered nothing."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import zipfile

import pytest

from tests.browser.conftest import Stack, open_as, save_screenshot
from tests.browser.test_agents import conversation_of
from wazify.exports.archive import ArchiveWriter
from wazify.fakemeta.webhooks import ACCOUNT, text_message

ALICE = "7523146982351401"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def held_writes(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The app's exports wait at their first write until the event is set: long enough
    for their progress to show (the server runs in this process)."""
    release = threading.Event()
    write_rows = ArchiveWriter.write_rows

    def holding(self: ArchiveWriter, lines: list[str]) -> None:
        release.wait(30)
        write_rows(self, lines)

    monkeypatch.setattr(ArchiveWriter, "write_rows", holding)
    yield release
    release.set()


async def test_an_admin_exports_the_workspace_sees_progress_and_downloads_it(
    browser, stack: Stack, held_writes: threading.Event
) -> None:
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Do you ship to Lisbon?"))
    await conversation_of(stack, ALICE)
    admin = await stack.world.member(stack.workspace_id, "ana@linen.test", "admin")
    page = await open_as(browser, stack, admin, "#/admin/data")
    await page.get_by_role("button", name="Export the workspace").click()
    item = page.locator(".export").first
    await item.get_by_text("Exporting").wait_for()
    # The rows read so far, live (export.updated every second while it runs).
    progress = item.locator("progress")
    await page.wait_for_function(
        "() => Number(document.querySelector('.export progress')?.value) > 0", timeout=10_000
    )
    assert int(await progress.get_attribute("max")) > 0
    await item.get_by_text("rows (").wait_for()
    save_screenshot(await page.screenshot(), "export-progress.png")
    held_writes.set()
    link = item.get_by_role("link", name="Download")
    await link.wait_for(timeout=15_000)
    assert await item.get_by_text("Ready").count() == 1
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    path = await download.path()
    content = await asyncio.to_thread(path.read_bytes)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        contacts = [json.loads(line) for line in archive.read("contacts.jsonl").splitlines()]
    assert manifest["kind"] == "workspace" and manifest["exported_by"]["label"] == admin.email
    assert [c["igsid"] for c in contacts] == [ALICE]
    assert download.suggested_filename.startswith("wazify-export-shop-workspace-")
    save_screenshot(await page.screenshot(), "export-ready.png")
    assert page.errors == []


async def test_a_contact_export_starts_from_the_conversation(browser, stack: Stack) -> None:
    stack.profile(ALICE, "Alice Martin", "alice.martin")
    await stack.webhook(text_message(ACCOUNT, ALICE, "Please send me my data"))
    conversation = await conversation_of(stack, ALICE)
    admin = await stack.world.member(stack.workspace_id, "ana@linen.test", "admin")
    page = await open_as(browser, stack, admin, f"#/c/{conversation}")
    await page.get_by_role("button", name="Export contact data").click()
    await page.wait_for_url("**/#/admin/data")
    item = page.locator(".export").first
    await item.get_by_text("Contact: Alice Martin").wait_for()
    await item.get_by_role("link", name="Download").wait_for(timeout=15_000)
    assert page.errors == []


async def test_a_supervisor_is_told_and_an_agent_offered_nothing(browser, stack: Stack) -> None:
    await stack.webhook(text_message(ACCOUNT, ALICE, "hi"))
    conversation = await conversation_of(stack, ALICE)
    lead = await stack.world.member(stack.workspace_id, "lea@linen.test", "supervisor")
    page = await open_as(browser, stack, lead, "#/admin/data")
    await page.get_by_text("Only admins can export").wait_for()
    assert await page.get_by_role("button", name="Export the workspace").count() == 0
    agent = await stack.world.member(stack.workspace_id, "al@linen.test", "agent")
    page = await open_as(browser, stack, agent, f"#/c/{conversation}")
    await page.locator(".conv-header h2").wait_for()
    assert await page.get_by_role("button", name="Export contact data").count() == 0
