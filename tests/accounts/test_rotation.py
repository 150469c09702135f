"""Key rotation without downtime, with servers running: two live app instances, each with
its own Runtime and TokenCipher of the keys in force, read a stored token (through
check-subscription, which decrypts it and calls the fake Graph API) at every stage:
[old] -> [new, old] (both restart) -> `wazify keys rotate` -> [new]."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import msgspec

from tests.accounts.conftest import IG_ID, Shop
from tests.support.live import live_server
from wazify.app import create_app
from wazify.fakemeta.oauth import FakeOAuth
from wazify.fakemeta.state import FakeGraphState
from wazify.lib.crypto import generate_key, key_id
from wazify.realtime.broker import InProcessBroker
from wazify.runtime import Runtime, open_runtime


@asynccontextmanager
async def servers(rt: Runtime, keys: list[str], count: int = 2) -> AsyncIterator[list[str]]:
    """`count` app instances live on real ports, each on a runtime with `keys`."""
    settings = msgspec.structs.replace(rt.settings, token_keys=tuple(keys))
    async with AsyncExitStack() as stack:
        urls = []
        for _ in range(count):
            runtime = await open_runtime(
                settings, rt.dsn, settings.token_keys, broker=InProcessBroker(), pool_max=4
            )
            stack.push_async_callback(runtime.close)
            address = await stack.enter_async_context(
                live_server(create_app(settings, runtime=runtime))
            )
            urls.append(f"http://{address}")
        yield urls


async def read_token_everywhere(urls: list[str], shop: Shop, account_id: int) -> None:
    async with httpx.AsyncClient() as http:
        for url in urls:
            response = await http.post(
                f"{url}/api/v1/accounts/{account_id}/check-subscription",
                headers=shop.admin.headers,
            )
            assert response.status_code == 200, response.text
            assert response.json()["subscribed"] is True


async def rotate(rt: Runtime, keys: list[str], tmp_path: os.PathLike[str]) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WAZIFY_", "DATABASE_URL", "META_", "REDIS_URL"))
    }
    env.update(DATABASE_URL=rt.dsn, WAZIFY_TOKEN_KEYS=",".join(keys))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wazify.cli",
        "keys",
        "rotate",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_rotation_with_servers_running(
    shop: Shop, oauth: FakeOAuth, fake: FakeGraphState, rt: Runtime, db, tmp_path
) -> None:
    old, new = generate_key(), generate_key()
    token = oauth.issue(fake, IG_ID)
    async with servers(rt, [old]) as urls:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{urls[0]}/api/v1/accounts/token",
                headers=shop.admin.headers,
                json={"token": token},
            )
        assert response.status_code == 201, response.text
        account_id = response.json()["id"]
        await read_token_everywhere(urls, shop, account_id)
    enc = await db.fetchval("SELECT access_token_enc FROM ig_accounts WHERE id = $1", account_id)
    assert enc.split(".")[1] == key_id(old) and token not in enc

    async with servers(rt, [new, old]) as urls:  # both restarted with both keys
        await read_token_everywhere(urls, shop, account_id)
        output = await rotate(rt, [new, old], tmp_path)
        assert "re-encrypted 1 of 1" in output and token not in output
        await read_token_everywhere(urls, shop, account_id)  # still running, still reading
    enc = await db.fetchval("SELECT access_token_enc FROM ig_accounts WHERE id = $1", account_id)
    assert enc.split(".")[1] == key_id(new)

    async with servers(rt, [new]) as urls:  # the old key dropped
        await read_token_everywhere(urls, shop, account_id)
    actions = await db.fetch("SELECT action FROM audit_entries WHERE action = 'secret.rotated'")
    assert len(actions) == 1
