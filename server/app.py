"""create_app(settings) -> Litestar: wiring only, no logic."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide

from wazify import __version__
from wazify.accounts.routes import accounts_router
from wazify.assignment.routes import assignment_router
from wazify.audit.routes import audit_router
from wazify.auth.guards import PRINCIPAL_DEPENDENCY
from wazify.auth.middleware import AuthMiddleware
from wazify.auth.routes import auth_router
from wazify.canned.routes import canned_router
from wazify.contacts.routes import contacts_router
from wazify.conversations.routes import conversations_router
from wazify.exports.routes import exports_router
from wazify.health import healthz, readyz
from wazify.history.routes import history_router
from wazify.labels.routes import labels_router
from wazify.lib.gc_tuning import tune_garbage_collector
from wazify.lib.http_errors import EXCEPTION_HANDLERS
from wazify.lib.logs import configure_logging
from wazify.lib.request_checks import JSONRequest, RefuseNulMiddleware
from wazify.members.routes import members_router
from wazify.notes.routes import notes_router
from wazify.ops.exposition import forget_this_process
from wazify.ops.request_id import RequestIdMiddleware
from wazify.ops.routes import metrics
from wazify.privacy.routes import privacy_router
from wazify.realtime.bootstrap import bootstrap
from wazify.realtime.service import Realtime
from wazify.realtime.ws import live_stream
from wazify.replies.routes import replies_handlers
from wazify.reports.routes import reports_router
from wazify.runtime import Runtime, open_runtime
from wazify.settings import Settings, load_settings
from wazify.uploads.routes import uploads_handlers
from wazify.web.docs import openapi_config
from wazify.web.files import web_app_routes
from wazify.web.headers import add_security_headers
from wazify.webhooks.admin import receipts_router
from wazify.webhooks.routes import instagram_webhook
from wazify.webhooks.service import WebhookPipeline
from wazify.workers.assignment import AssignmentSweeper
from wazify.workers.deletions import DeletionWorker
from wazify.workers.export_sweeper import ExportSweeper
from wazify.workers.exports import ExportWorker
from wazify.workers.history import History
from wazify.workers.outbound import Outbound
from wazify.workers.privacy import PrivacySweeper
from wazify.workers.reports import ReportsWorker
from wazify.workers.retention import EventRetentionSweeper
from wazify.workers.sweepers import SnoozeSweeper
from wazify.workers.token_refresh import TokenRefresher
from wazify.workspaces.routes import workspace_router

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
        app.state.realtime = Realtime(
            app.state.runtime,
            heartbeat_seconds=settings.realtime_heartbeat_seconds,
            validate_seconds=settings.realtime_validate_seconds,
        )
        app.state.realtime.start()
        app.state.webhooks = WebhookPipeline.create(app.state.runtime)
        app.state.webhooks.start()
        app.state.snoozes = SnoozeSweeper(app.state.runtime)
        app.state.snoozes.start()
        app.state.assignment = AssignmentSweeper(app.state.runtime)
        app.state.assignment.start()
        app.state.retention = EventRetentionSweeper(app.state.runtime)
        app.state.retention.start()
        app.state.token_refresher = TokenRefresher(app.state.runtime)
        app.state.token_refresher.start()
        app.state.outbound = Outbound.create(app.state.runtime, settings, settings.send_worker)
        app.state.outbound.start()
        app.state.history = None
        if settings.history_worker:
            app.state.history = History.create(
                app.state.runtime, on_new_contacts=app.state.webhooks.profiles.wake
            )
            app.state.history.start()
        app.state.deletions = DeletionWorker(app.state.runtime)
        app.state.deletions.start()
        app.state.privacy = PrivacySweeper(app.state.runtime)
        app.state.privacy.start()
        app.state.exports = ExportWorker(app.state.runtime, settings)
        app.state.exports.start()
        app.state.export_sweeper = ExportSweeper(app.state.runtime, settings)
        app.state.export_sweeper.start()
        app.state.reports = ReportsWorker(app.state.runtime)
        app.state.reports.start()
        try:
            yield
        finally:
            await app.state.reports.stop()
            await app.state.export_sweeper.stop()
            await app.state.exports.stop()
            await app.state.privacy.stop()
            await app.state.deletions.stop()
            if app.state.history is not None:
                await app.state.history.stop()
            await app.state.outbound.stop()
            await app.state.token_refresher.stop()
            await app.state.retention.stop()
            await app.state.snoozes.stop()
            await app.state.assignment.stop()
            await app.state.webhooks.stop()
            await app.state.realtime.stop()
            if owned:
                await app.state.runtime.close()
            forget_this_process()

    def provide_runtime(state: State) -> Runtime:
        return state.runtime

    def provide_webhooks(state: State) -> WebhookPipeline:
        return state.webhooks

    def provide_realtime(state: State) -> Realtime:
        return state.realtime

    def provide_outbound(state: State) -> Outbound | None:
        return getattr(state, "outbound", None)

    def provide_wake_deletions(state: State) -> Callable[[], None]:
        return state.deletions.wake

    def provide_exports(state: State) -> ExportWorker | None:
        return getattr(state, "exports", None)

    return Litestar(
        route_handlers=[
            healthz,
            readyz,
            metrics,
            auth_router,
            members_router,
            audit_router,
            receipts_router,
            accounts_router,
            history_router,
            conversations_router,
            contacts_router,
            *replies_handlers,  # after conversations_router: they share a path
            *uploads_handlers,
            exports_router,
            notes_router,
            labels_router,
            canned_router,
            reports_router,
            assignment_router,
            instagram_webhook,
            workspace_router,
            privacy_router,
            bootstrap,
            live_stream,
            *web_app_routes(client_folder()),
        ],
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "webhooks": Provide(provide_webhooks, sync_to_thread=False),
            "realtime": Provide(provide_realtime, sync_to_thread=False),
            "outbound": Provide(provide_outbound, sync_to_thread=False),
            "wake_deletions": Provide(provide_wake_deletions, sync_to_thread=False),
            "exports": Provide(provide_exports, sync_to_thread=False),
            "principal": PRINCIPAL_DEPENDENCY,
        },
        middleware=[RequestIdMiddleware(), RefuseNulMiddleware(), AuthMiddleware()],
        request_class=JSONRequest,
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config("Wazify", __version__, client_folder()),
        before_send=[add_security_headers(settings)],
        request_max_body_size=settings.webhook_max_bytes,
        # Logging is the process's (wazify.lib.logs: every handler redacts secrets), not each
        # app's: Litestar's default would replace the root handlers with its own unfiltered
        # ones whenever an app is made.
        logging_config=None,
        debug=False,
    )


def create_app_from_environment() -> Litestar:
    """Factory for uvicorn workers (`wazify serve --workers N`)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    tune_garbage_collector()
    return app
