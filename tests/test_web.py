"""What a browser gets besides the API: only the web app's own files, the security headers
on every response (page, files, API, /schema, errors), and an API reference that loads
nothing from elsewhere. The app running under that policy is tests/browser/test_security.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from tests.support.http import make_client, running
from wazify.app import create_app
from wazify.runtime import Runtime
from wazify.settings import Settings
from wazify.web.headers import content_security_policy

SERVED = [
    "/",
    "/styles.css",
    "/favicon.svg",
    "/js/app.js",
    "/js/views/message.js",
    "/demo-media/avatar-1.svg",
    "/api-docs/api-docs.js",
    "/api-docs/openapi.js",
    "/api-docs/api-docs.css",
]
NOT_SERVED = [
    "/tests/fixtures.js",
    "/tests/reducer.test.js",
    "/package.json",
    "/__init__.py",
    "/index.html",
    "/api-docs/index.html/..",
    "/js/%2e%2e/package.json",
    "/demo-media/%2e%2e/__init__.py",
    "/js/..%2f..%2fpackage.json",
]


@pytest.fixture(scope="module")
async def client(settings: Settings, shared_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, runtime=shared_runtime)
    async with running(app), make_client(app) as http:
        yield http


def assert_security_headers(response: httpx.Response, settings: Settings) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == content_security_policy(settings.public_url)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # a plain-http installation


@pytest.mark.parametrize("path", SERVED)
async def test_the_app_files_are_served(
    client: httpx.AsyncClient, settings: Settings, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200, path
    assert_security_headers(response, settings)
    assert (await client.head(path)).status_code == 200, path


@pytest.mark.parametrize("path", NOT_SERVED)
async def test_nothing_else_of_the_client_folder_is(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404, (path, response.text[:200])
    assert response.json()["error"]["code"] == "not_found"


async def test_every_kind_of_response_carries_the_headers(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    answers = [
        await client.get("/api/v1/me"),  # 401
        await client.get("/api/v1/no-such-thing"),  # 404
        await client.post("/api/v1/auth/login", json={}),  # 400
        await client.get("/healthz"),
        await client.get("/schema"),
        await client.get("/schema/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [401, 404, 400, 200, 200, 200]
    for answer in answers:
        assert_security_headers(answer, settings)


def test_the_policy_is_strict() -> None:
    policy = dict(
        directive.split(" ", 1)
        for directive in content_security_policy("https://inbox.example.com").split("; ")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["connect-src"] == "'self' wss://inbox.example.com"
    assert "unsafe" not in " ".join(policy.values())
    plain = content_security_policy("http://localhost:8000")
    assert "connect-src 'self' ws://localhost:8000;" in plain


async def test_hsts_only_behind_https(settings: Settings, runtime: Runtime) -> None:
    https = msgspec.structs.replace(settings, public_url="https://inbox.example.com")
    app = create_app(https, runtime=runtime)
    async with running(app), make_client(app) as http:
        for path in ("/", "/api/v1/me", "/schema"):
            response = await http.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_the_api_reference_is_ours_and_self_contained(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<script type="module" src="/api-docs/api-docs.js"></script>' in html
    # No inline script or style, nothing from another host.
    assert re.findall(r"<script\b[^>]*>\s*[^<\s]", html) == []
    assert "<style" not in html and "style=" not in html
    assert re.findall(r"(?:src|href)=\"(?:https?:)?//", html) == []
    schema = await client.get("/schema/openapi.json")
    assert schema.json()["openapi"].startswith("3.1")
    # Litestar's CDN-backed pages are gone.
    for gone in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert (await client.get(gone)).status_code == 404, gone


HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")


def test_the_client_never_turns_strings_into_html() -> None:
    """Customer text, names and URLs reach the page as text nodes (textContent) or checked
    attributes, never parsed as HTML: an HTML sink anywhere in the app is a script hole
    the CSP would be the only thing left to close."""
    from wazify.app import client_folder

    offenders = [
        f"{path.relative_to(client_folder())}:{number}"
        for path in client_folder().rglob("*.js")
        if "tests" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HTML_SINKS.search(line)
    ]
    assert offenders == []
