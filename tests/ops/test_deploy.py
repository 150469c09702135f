"""The compose stack's front: docker-compose.yml and its plain-HTTP override read as Compose
would, deploy/Caddyfile validated by Caddy, then Caddy itself run in front of two app
servers (its own local certificate authority standing in for Let's Encrypt): HTTPS, the
app seeing https and the real client, a webhook and a live websocket through it.

Docker does not run on the test machines; Caddy does (.ci/run installs it). Without the
`caddy` binary the Caddy tests skip loudly (and fail under WAZIFY_TEST_STRICT=1)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
import yaml

from tests.ops.conftest import METRICS_TOKEN
from tests.replies.conftest import SYSTEM, wait_for
from tests.support.live import live_server
from tests.support.services import free_port
from tests.support.world import World
from wazify.actions.accounts import do_register_account
from wazify.actions.uow import unit_of_work
from wazify.app import create_app
from wazify.fakemeta.webhooks import ACCOUNT, body, encode_body, entry, signed, text_message

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
CADDY = shutil.which("caddy")
needs_caddy = pytest.mark.skipif(
    CADDY is None,
    reason="!!! Caddy tests SKIPPED: no `caddy` binary on PATH (apt-get install caddy)",
)


class ComposeLoader(yaml.SafeLoader):
    """YAML as Compose reads it: merge keys (SafeLoader has them) and the !override tag."""


ComposeLoader.add_constructor("!override", lambda loader, node: loader.construct_sequence(node))


def compose(path: str) -> dict:
    return yaml.load((ROOT / path).read_text(), Loader=ComposeLoader)  # noqa: S506


def test_the_stack_terminates_https_in_caddy() -> None:
    services = compose("docker-compose.yml")["services"]
    assert set(services) == {"postgres", "redis", "migrate", "app1", "app2", "proxy"}
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:2.")
    assert {"80:80", "443:443", "443:443/udp"} == set(proxy["ports"])
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert {"caddydata:/data", "caddyconfig:/config"} <= set(proxy["volumes"])
    # Caddy serves exactly the address the app builds its links from.
    public_url = services["app1"]["environment"]["WAZIFY_PUBLIC_URL"]
    assert proxy["environment"]["WAZIFY_SITE_ADDRESS"] == public_url
    assert public_url.startswith("${WAZIFY_PUBLIC_URL:-https://")
    for name in ("app1", "app2"):
        app = services[name]
        assert "ports" not in app  # reachable through the proxy only
        assert app["environment"]["FORWARDED_ALLOW_IPS"] == "*"
        assert app["environment"]["WAZIFY_PUBLIC_URL"] == public_url
        assert app["command"][-2:] == ["--port", "8000"]
        assert set(proxy["depends_on"][name].values()) == {"service_healthy"}
    assert services["app2"]["environment"]["WAZIFY_SEND_WORKER"] == "0"
    # Uploaded attachments: one volume both replicas serve from, and a body limit for them.
    for name in ("app1", "app2"):
        app = services[name]
        folder = app["environment"]["WAZIFY_UPLOAD_DIR"]
        assert f"uploads:{folder}" in app["volumes"]
    assert "uploads" in compose("docker-compose.yml")["volumes"]
    assert "max_size 26MB" in CADDYFILE.read_text()
    for mount in proxy["volumes"]:
        source = mount.split(":")[0]
        assert not source.startswith("./") or (ROOT / source).exists(), mount
    text = (ROOT / "docker-compose.yml").read_text() + CADDYFILE.read_text()
    assert "nginx" not in text
    assert "app1:8000 app2:8000" in CADDYFILE.read_text()


def test_plain_http_is_an_explicit_override() -> None:
    override = compose("deploy/compose.http.yml")["services"]
    assert override["proxy"]["environment"]["WAZIFY_SITE_ADDRESS"] == ":80"
    assert override["proxy"]["ports"] == ["${WAZIFY_HTTP_PORT:-8080}:80"]
    assert "!override" in (ROOT / "deploy" / "compose.http.yml").read_text()
    for name in ("migrate", "app1", "app2"):
        url = override[name]["environment"]["WAZIFY_PUBLIC_URL"]
        assert url == "http://localhost:${WAZIFY_HTTP_PORT:-8080}"


def _caddy_env(folder: Path, site: str) -> dict[str, str]:
    return {
        **os.environ,
        "WAZIFY_SITE_ADDRESS": site,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }


@needs_caddy
@pytest.mark.parametrize("site", ["https://inbox.example.com", "https://localhost", ":80"])
def test_caddy_accepts_the_caddyfile(site: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [CADDY, "validate", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
        env=_caddy_env(tmp_path, site),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Valid configuration" in result.stdout + result.stderr
    assert "not formatted" not in result.stderr  # `caddy fmt --overwrite` keeps it tidy


class Seen:
    """What the app saw of each request, behind uvicorn's proxy-headers handling."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, str]] = []

    def wrap(self, app, name: str):
        async def recording(scope, receive, send) -> None:
            if scope["type"] in ("http", "websocket"):
                client = scope["client"][0] if scope.get("client") else ""
                self.requests.append((name, scope["scheme"], client, scope["path"]))
            await app(scope, receive, send)

        return recording


@contextlib.asynccontextmanager
async def caddy_in_front(
    folder: Path, upstreams: tuple[str, str]
) -> AsyncIterator[tuple[str, int, ssl.SSLContext]]:
    """Caddy on free ports, the production Caddyfile with local upstreams and test-only
    global options (no admin endpoint, no trust-store changes)."""
    https_port, http_port = free_port(), free_port()
    text = CADDYFILE.read_text()
    text = text.replace("app1:8000", upstreams[0]).replace("app2:8000", upstreams[1])
    options = (
        "{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n}}\n\n"
    )
    config = folder / "Caddyfile"
    config.write_text(options + text)
    site = f"https://localhost:{https_port}"
    log = (folder / "caddy.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *(CADDY or "caddy", "run", "--adapter", "caddyfile", "--config", str(config)),
        env=_caddy_env(folder, site),
        stdout=log,
        stderr=log,
    )
    root = folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:

        async def serving() -> bool:
            if process.returncode is not None:
                raise RuntimeError((folder / "caddy.log").read_text()[-3000:])
            if not root.exists():
                return False
            context = ssl.create_default_context(cafile=str(root))
            try:
                async with httpx.AsyncClient(verify=context) as client:
                    return (await client.get(f"{site}/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(serving, timeout=30)
        yield site, http_port, ssl.create_default_context(cafile=str(root))
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


@needs_caddy
async def test_https_websockets_and_forwarded_headers_through_caddy(
    rt, send_settings, password_hash, tmp_path
) -> None:
    world = World(rt, password_hash)
    workspace_id = await world.workspace("shop")
    async with unit_of_work(rt, SYSTEM) as uow:
        await do_register_account(uow, workspace_id, ig_id=ACCOUNT, username="shop")
    agent = await world.member(workspace_id, "ana@shop.test")
    seen = Seen()
    proxied = {"proxy_headers": True, "forwarded_allow_ips": "*"}
    first = seen.wrap(create_app(send_settings, runtime=rt), "app1")
    second = seen.wrap(create_app(send_settings, runtime=rt), "app2")
    async with (
        live_server(first, **proxied) as app1,
        live_server(second, **proxied) as app2,
        caddy_in_front(tmp_path, (app1, app2)) as (site, http_port, tls),
        httpx.AsyncClient(base_url=site, verify=tls) as client,
    ):
        # The app sees https and the real client, whatever a client claims.
        seen.requests.clear()
        forged = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "http"}
        for _ in range(4):
            assert (await client.get("/healthz", headers=forged)).status_code == 200
        probes = [item for item in seen.requests if item[3] == "/healthz"]
        assert {(scheme, client_ip) for _, scheme, client_ip, _ in probes} == {
            ("https", "127.0.0.1")
        }
        assert {name for name, *_ in probes} == {"app1", "app2"}  # both replicas serve

        # A live websocket over TLS, fed by a webhook posted through the proxy.
        host = site.removeprefix("https://")
        socket = await websockets.connect(
            f"wss://{host}/api/v1/ws?since=0",
            ssl=tls,
            additional_headers={**agent.cookie_only, "Origin": site},
        )
        try:
            while (await _next_frame(socket))["type"] != "ready":
                pass  # the replay of what happened since seq 0 comes first
            raw = encode_body(
                body([entry(ACCOUNT, [text_message(ACCOUNT, "7000000000000042", "via caddy")])])
            )
            secret = send_settings.meta_app_secrets[0]
            posted = await client.post(
                "/webhooks/instagram", content=raw, headers=signed(raw, secret)
            )
            assert posted.status_code == 200 and posted.text == "EVENT_RECEIVED"
            while (frame := await _next_frame(socket))["type"] != "message.created":
                pass
            assert frame["message"]["text"] == "via caddy"
        finally:
            await socket.close()
        assert {scheme for _, scheme, _, path in seen.requests if path == "/api/v1/ws"} == {"wss"}

        # Each replica's metrics on a path of its own; the balanced path refuses.
        auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        seen.requests.clear()
        for name in ("app1", "app2"):
            scraped = await client.get(f"/metrics/{name}", headers=auth)
            assert scraped.status_code == 200 and "wazify_webhook_deliveries_total" in scraped.text
        assert [(name, path) for name, _, _, path in seen.requests] == [
            ("app1", "/metrics"),
            ("app2", "/metrics"),
        ]
        refused = await client.get("/metrics", headers=auth)
        assert refused.status_code == 404 and "/metrics/app1" in refused.text
        assert (await client.get("/metrics/app1")).status_code == 401  # the token still counts

        # Plain HTTP only redirects to HTTPS.
        async with httpx.AsyncClient() as plain:
            redirect = await plain.get(f"http://localhost:{http_port}/healthz")
        assert redirect.status_code in (301, 308)
        assert redirect.headers["location"].startswith("https://localhost")
    # Caddy writes no access log: no URL (hub.verify_token, OAuth codes) reaches it.
    assert "/webhooks/instagram" not in (tmp_path / "caddy.log").read_text()


async def _next_frame(socket) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
