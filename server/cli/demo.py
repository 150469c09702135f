"""`wazify demo`: the server with the fake Graph API, a connected demo account and
simulated customers, in a throwaway embedded PostgreSQL. No configuration needed. The
account's past conversations (wazify.demo.history) are on the fake's Conversations API
and come in through the import on connect, at start.

The customers' script is data (wazify.demo.script); here each step becomes the signed
webhook Meta would post, built with the fake Meta's builders, and is posted to the running
server over HTTP, through the same verify -> persist -> process path as production.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import secrets
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import uvicorn

from wazify.app import create_app
from wazify.cli.common import CliError, cli_runtime
from wazify.cli.serve import server_options
from wazify.demo import script
from wazify.demo.history import PAST
from wazify.demo.seed import ACCOUNT_USERNAME, PASSWORD, TOKEN, seed
from wazify.demo.simulation import Customers
from wazify.embedded import EmbeddedError, resolve_settings
from wazify.fakemeta import webhooks as meta
from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FakeGraphState, FakeProfile, Messaging
from wazify.lib.logs import configure_logging, logging_config
from wazify.lib.tasks import spawn
from wazify.settings import load_settings

ACCOUNT = meta.ACCOUNT  # the demo business's IGID (the fake Meta's default account)


def register(verbs: argparse._SubParsersAction) -> None:
    demo = verbs.add_parser(
        "demo",
        help="try Wazify: a live inbox with simulated Instagram customers (nothing to set up)",
        description="Run the server with a fake Instagram (Graph API and webhooks), a connected"
        " demo account and customers who write in, react and read. Data lives in a temporary"
        " embedded PostgreSQL, removed on exit.",
    )
    demo.add_argument("--host", help="address to listen on (default WAZIFY_HOST or 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port (default WAZIFY_PORT or 8000)")
    demo.add_argument(
        "--quiet-customers", action="store_true", help="no simulated customers (for tests)"
    )
    demo.set_defaults(run=demo_command)


def demo_command(args: argparse.Namespace) -> None:
    plain = load_settings()
    configure_logging(plain.log_level, plain.log_format)
    host = args.host or plain.host
    port = args.port or plain.port
    public_url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"  # noqa: S104
    secret = secrets.token_hex(16)
    graph_url, fake, stop_graph = run_fake_graph_in_thread()
    atexit.register(stop_graph)
    folder = Path(tempfile.mkdtemp(prefix="wazify-demo-"))
    # Registered before pgserver's own exit hook, so it runs after PostgreSQL stopped.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    settings = msgspec.structs.replace(
        plain,
        database_url=None,
        redis_url=None,
        token_keys=(),
        data_dir=folder,
        host=host,
        port=port,
        public_url=public_url,
        meta_app_id="demo-app",
        meta_app_secrets=(secret,),
        meta_verify_token="demo-verify-token",  # noqa: S106
        meta_graph_url=graph_url,
    )
    print("Starting the demo (a temporary PostgreSQL and a fake Instagram)…", flush=True)
    try:
        settings = resolve_settings(settings)
    except EmbeddedError as error:
        raise CliError(str(error)) from None
    fake.add_token(TOKEN, ACCOUNT)
    _load_past(fake)
    for persona in script.PERSONAS + tuple(thread.persona for thread in PAST):
        fake.set_profile(
            FakeProfile(
                igsid=persona.igsid,
                name=persona.name,
                username=persona.username,
                profile_pic=f"{public_url}{script.MEDIA}{persona.avatar}",
                account_ig_id=ACCOUNT,
            )
        )
    webhook_url = f"http://127.0.0.1:{port}/webhooks/instagram"
    fake.configure_messaging(
        Messaging(webhook_url=webhook_url, app_secret=secret, read_receipts=True, read_after=3.0)
    )
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    asyncio.run(_serve(settings, webhook_url, secret, quiet=args.quiet_customers))


def _load_past(fake: FakeGraphState) -> None:
    """The demo account's conversations from before it was connected, on Meta's side."""
    now = meta.now_ms()
    for thread in PAST:
        mids = []
        for minutes_ago, who, text in thread.lines:
            item = fake.history.add_message(
                ACCOUNT,
                thread.persona.igsid,
                text,
                from_business=who == "us",
                ts_ms=now - minutes_ago * 60_000,
                contact_username=thread.persona.username,
                account_username=ACCOUNT_USERNAME,
            )
            mids.append(item.mid)
        for index, emoji in thread.reactions:
            fake.history.react(mids[index], thread.persona.igsid, emoji)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Exit normally so the exit hooks stop the embedded PostgreSQL and remove its folder.
    raise SystemExit(128 + signum)


async def _serve(settings, webhook_url: str, secret: str, quiet: bool) -> None:
    async with cli_runtime(settings) as runtime:
        workspace = await seed(runtime, ACCOUNT)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=False,
        **server_options(settings),
    )
    server = uvicorn.Server(config)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    async with httpx.AsyncClient(timeout=10) as client:
        deliver = _deliverer(client, webhook_url, secret, settings.public_url)
        customers = Customers(deliver, pool, workspace.workspace_id)
        serving = spawn(server.serve(), "demo-server")
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn's flag)
            await asyncio.sleep(0.05)
        if server.started:  # printed once the address really answers
            print(
                f"\nWazify demo: open {settings.public_url} and sign in with any of\n"
                + "".join(f"  {email:<28} ({role})\n" for email, _, role in workspace.logins)
                + f"password: {PASSWORD}\n"
                "Simulated customers start writing in a few seconds; reply to them, they answer.\n"
                "Stop with Ctrl+C (the demo's data is thrown away).\n",
                flush=True,
            )
        simulated = None if quiet else spawn(customers.run(), "demo-customers")
        try:
            await serving
        finally:
            if simulated is not None:
                simulated.cancel()
                await asyncio.gather(simulated, return_exceptions=True)
            await pool.close()


def _deliverer(client: httpx.AsyncClient, url: str, secret: str, public_url: str):
    async def deliver(step: script.Step, persona: int, target: str | None) -> str | None:
        contact = script.PERSONAS[persona].igsid
        item, mid = _item(step, contact, target, public_url)
        raw = meta.encode_body(meta.body([meta.entry(ACCOUNT, [item])]))
        response = await client.post(url, content=raw, headers=meta.signed(raw, secret))
        response.raise_for_status()
        return mid

    return deliver


def _absolute(url: str, public_url: str) -> str:
    return public_url + url if url.startswith("/") else url


def _item(
    step: script.Step, contact: str, target: str | None, public_url: str
) -> tuple[dict[str, Any], str | None]:
    """The messaging item Meta would send for a step, and the mid of the message it makes."""
    mid = meta.new_mid(ACCOUNT)
    urls = [_absolute(url, public_url) for url in step.urls]
    kind = step.kind
    if kind == "text":
        return meta.text_message(ACCOUNT, contact, step.text or "", mid), mid
    if kind in ("image", "video", "audio", "file"):
        attachments = [meta.attachment(kind, url) for url in urls]
        return meta.attachment_message(ACCOUNT, contact, attachments, mid=mid), mid
    if kind in ("ig_post", "ig_reel", "story_mention"):
        attachment = meta.attachment(kind, urls[0], title=step.title)
        return meta.attachment_message(ACCOUNT, contact, [attachment], mid=mid), mid
    if kind == "unknown_attachment":
        odd = meta.attachment("ig_avatar_sticker", meta.cdn_url(), avatar_sticker_id="991122")
        return meta.attachment_message(ACCOUNT, contact, [odd], mid=mid), mid
    if kind == "like_heart":
        return meta.attachment_message(
            ACCOUNT, contact, [meta.attachment("like_heart")], mid=mid
        ), mid
    if kind == "story_reply":
        story_id = str(3512345678901234567 + secrets.randbelow(1000))
        return meta.story_reply(ACCOUNT, contact, step.text or "", story_id, urls[0], mid), mid
    if kind == "reply_to" and target:
        return meta.reply_message(ACCOUNT, contact, step.text or "", target, mid), mid
    if kind == "quick_reply":
        item = meta.quick_reply_message(ACCOUNT, contact, step.text or "", step.payload or "", mid)
        return item, mid
    if kind == "ad_referral":
        ad = {
            "ref": "summer_linen_ad",
            "ad_id": "120210987654321098",
            "source": "ADS",
            "type": "OPEN_THREAD",
            "ads_context_data": {"ad_title": step.title, "photo_url": urls[0] if urls else None},
        }
        return meta.message(ACCOUNT, contact, mid=mid, text=step.text, referral=ad), mid
    if kind == "postback":
        return meta.postback(ACCOUNT, contact, step.title or "", step.payload or "", mid), mid
    if kind == "referral":
        return meta.referral(ACCOUNT, contact, step.payload or "demo"), None
    if kind == "optin":
        return meta.optin(ACCOUNT, contact, step.payload or "", step.title or ""), None
    if kind == "unsupported":
        return meta.message(ACCOUNT, contact, mid=mid, is_unsupported=True), mid
    if kind == "edit" and target:
        return meta.message_edit(ACCOUNT, contact, target, step.text or "", 1), None
    if kind == "unsend" and target:
        return meta.message(ACCOUNT, contact, mid=target, is_deleted=True), None
    if kind == "react" and target:
        return meta.reaction(ACCOUNT, contact, target), None
    raise ValueError(f"the demo script has a step it cannot render: {kind}")
