"""The fake Graph API: a Litestar app serving Meta's endpoints from a FakeGraphState.

Each area of the API is one controller (profiles, messages and sender actions; OAuth and
subscribed_apps later) sharing the state through the `fake` dependency. A thin ASGI layer in
front of the router records every Graph request and applies injected failures, so new
areas get both for free, and so do paths that do not exist (they are recorded too).
"""

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl

import uvicorn
from litestar import Litestar
from litestar.di import Provide
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from wazify.fakemeta.control import CONTROL_PREFIX, ControlController
from wazify.fakemeta.conversations import ConversationsController
from wazify.fakemeta.errors import (
    MetaApiError,
    failure_response,
    handle_meta_error,
    handle_method_not_allowed,
    handle_not_found,
)
from wazify.fakemeta.messages import MessagesController, MessagingControl, WebhookPoster
from wazify.fakemeta.oauth import OAuthController, SubscribedAppsController
from wazify.fakemeta.profiles import ProfileController
from wazify.fakemeta.state import FakeGraphState, RecordedRequest

AREAS: Sequence[type] = (
    ControlController,
    MessagingControl,
    ConversationsController,
    ProfileController,
    MessagesController,
    OAuthController,
    SubscribedAppsController,
)
_STARTUP_TIMEOUT_S = 10.0


def create_fake_graph(state: FakeGraphState | None = None) -> Litestar:
    """A fresh fake Graph app; pass `state` to share it with the test driving the fake."""
    fake = state if state is not None else FakeGraphState()
    poster = WebhookPoster()

    async def close_poster() -> None:
        await poster.aclose()

    app = Litestar(
        route_handlers=list(AREAS),
        dependencies={"fake": Provide(lambda: fake, use_cache=True, sync_to_thread=False)},
        exception_handlers={
            MetaApiError: handle_meta_error,
            NotFoundException: handle_not_found,
            MethodNotAllowedException: handle_method_not_allowed,
        },
        on_shutdown=[close_poster],
    )
    app.state.fake = fake
    app.state.webhook_poster = poster
    # Litestar middleware only runs for matched routes; wrapping the app's ASGI handler
    # also covers unknown paths, which are worth recording when a client gets one wrong.
    app.asgi_handler = _Gateway(app.asgi_handler, fake)
    return app


class _Gateway:
    """Records each Graph request, then applies the first matching injected failure."""

    def __init__(self, app: ASGIApp, state: FakeGraphState) -> None:
        self._app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self._app(scope, receive, send)
            return
        body = await _read_body(receive)
        self._state.record(_recorded(scope, body))
        rule = self._state.take_failure(scope["method"], scope["path"])
        if rule is not None and rule.delay > 0:
            await asyncio.sleep(rule.delay)
        failure = failure_response(rule) if rule is not None else None
        if failure is not None:
            if rule is not None and rule.deliver:
                # Carried out all the same; only the answer is replaced.
                await self._app(scope, _replay(body, receive), _discard)
            await _send_response(send, *failure)
            return
        await self._app(scope, _replay(body, receive), send)


async def _discard(message: Message) -> None:
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands the already-read body to the app, then defers."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay  # type: ignore[return-value]


def _recorded(scope: Scope, body: bytes) -> RecordedRequest:
    query_string = scope.get("query_string", b"").decode("latin-1")
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    return RecordedRequest(
        method=scope["method"],
        path=scope["path"],
        query=dict(parse_qsl(query_string, keep_blank_values=True)),
        query_string=query_string,
        headers=headers,
        body=body.decode("utf-8", errors="replace"),
    )


async def _send_response(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw_headers = [
        (b"content-type", b"application/json; charset=UTF-8"),
        (b"content-length", str(len(body)).encode()),
        *(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def run_fake_graph_in_thread(
    port: int = 0, state: FakeGraphState | None = None, host: str = "127.0.0.1"
) -> tuple[str, FakeGraphState, Callable[[], None]]:
    """Serve a fake Graph on a real port from a daemon thread.

    Returns (base_url, state, stop). Port 0 picks a free port; the socket is bound here,
    before the thread starts, so the URL is valid as soon as this returns.
    """
    fake = state if state is not None else FakeGraphState()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_fake_graph(fake), log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-graph-{bound_port}", daemon=True
    )
    thread.start()
    _wait_started(server, thread)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=_STARTUP_TIMEOUT_S)
        sock.close()

    return f"http://{host}:{bound_port}", fake, stop


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the fake Graph server thread exited during startup")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the fake Graph server did not start in time")
        time.sleep(0.01)
