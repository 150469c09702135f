"""create_app(settings) -> Litestar: wiring only, no logic."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from wazify import __version__
from wazify.audit.routes import audit_router
from wazify.auth.guards import PRINCIPAL_DEPENDENCY
from wazify.auth.middleware import AuthMiddleware
from wazify.auth.routes import auth_router
from wazify.health import healthz, readyz
from wazify.lib.http_errors import EXCEPTION_HANDLERS
from wazify.members.routes import members_router
from wazify.realtime.bootstrap import bootstrap
from wazify.realtime.service import Realtime
from wazify.realtime.ws import live_stream
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings, load_settings
from wazify.webhooks.routes import receive_delivery, verify_subscription
from wazify.webhooks.service import WebhookPipeline

log = logging.getLogger("wazify.app")


def client_folder() -> Path:
    return Path(str(resources.files("wazify.client")))


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Litestar:
    """The HTTP and websocket app. Settings come from the environment unless given; the
    database must already be resolved (DATABASE_URL, which `wazify serve` sets for the
    embedded server). A given runtime is used as is and not closed (tests share one)."""
    settings = settings or load_settings()
    if settings.database_url is None:
        raise RuntimeError("create_app needs a resolved DATABASE_URL (wazify serve sets it)")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = runtime is None
        app.state.runtime = runtime or await open_runtime(
            settings, settings.database_url or "", settings.token_keys
        )
        app.state.realtime = Realtime(app.state.runtime)
        app.state.realtime.start()
        app.state.webhooks = WebhookPipeline.create(app.state.runtime)
        app.state.webhooks.start()
        try:
            yield
        finally:
            await app.state.webhooks.stop()
            await app.state.realtime.stop()
            if owned:
                await app.state.runtime.close()

    def provide_runtime(state: State) -> Runtime:
        return state.runtime

    def provide_webhooks(state: State) -> WebhookPipeline:
        return state.webhooks

    def provide_realtime(state: State) -> Realtime:
        return state.realtime

    return Litestar(
        route_handlers=[
            healthz,
            readyz,
            auth_router,
            members_router,
            audit_router,
            verify_subscription,
            receive_delivery,
            bootstrap,
            live_stream,
            create_static_files_router(
                path="/", directories=[client_folder()], html_mode=True, include_in_schema=False
            ),
        ],
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "webhooks": Provide(provide_webhooks, sync_to_thread=False),
            "realtime": Provide(provide_realtime, sync_to_thread=False),
            "principal": PRINCIPAL_DEPENDENCY,
        },
        middleware=[AuthMiddleware()],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Wazify", version=__version__, path="/schema"),
        request_max_body_size=settings.webhook_max_bytes,
        debug=False,
    )


def create_app_from_environment() -> Litestar:
    """Factory for uvicorn workers (`wazify serve --workers N`)."""
    return create_app(load_settings())
