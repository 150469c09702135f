"""The history importer: claims import jobs and walks them (workers/import_run.py).

Every process that runs it competes for due jobs with FOR UPDATE SKIP LOCKED and a lease;
at most one job per account is queued or running (actions/imports.py), so one account's
Conversations API calls come from one process, which keeps Meta's 2 calls/s per account
with a rate limiter of its own (the sliding log the Send API uses). A stopped process hands
its jobs back to the queue; a crashed one's leases run out and another process resumes
them from their cursor. Wakes on NOTIFY wazify_imports (a job was queued) and polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx

from wazify.actions.imports import IMPORT_CHANNEL, ClaimedImport, do_claim_imports
from wazify.actions.uow import Actor, unit_of_work
from wazify.lib.tasks import spawn
from wazify.meta.conversations import THREADS_PER_PAGE
from wazify.meta.graph_client import GraphClient, silence_http_client_logs
from wazify.runtime import Runtime
from wazify.workers.import_run import ImportRun
from wazify.workers.outbound import RateLimiter
from wazify.workers.reconcile import Reconciler

log = logging.getLogger("wazify.history")
ACTOR = Actor.system("history-importer")


class HistoryImporter:
    def __init__(
        self,
        runtime: Runtime,
        graph: GraphClient,
        *,
        rate: int = 2,
        concurrency: int = 4,
        lease: timedelta = timedelta(seconds=90),
        on_new_contacts: Callable[[], None] = lambda: None,
    ) -> None:
        self.runtime = runtime
        self.graph = graph
        self.limiter = RateLimiter(rate)
        self.concurrency = concurrency
        self.lease = lease
        self.on_new_contacts = on_new_contacts
        self.poll_seconds = 1.0
        self.page_size = THREADS_PER_PAGE
        self.backoff_base = 5.0
        self.backoff_cap = 300.0
        self.max_attempts = 8
        self.calls_made = 0  # Graph calls of this process (the benchmark reads it)
        self._wake = asyncio.Event()
        self._runs: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    def wake(self, *_: object) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = spawn(self._run(), "history-importer")

    async def stop(self) -> None:
        """Jobs in flight go back to the queue (each run records that as it is cancelled)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for run in list(self._runs):
            run.cancel()
        await asyncio.gather(*self._runs, return_exceptions=True)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def _listen(self) -> None:
        try:
            self._listener = await asyncpg.connect(self.runtime.dsn)
            await self._listener.add_listener(IMPORT_CHANNEL, self.wake)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("no NOTIFY wake-ups for imports (%s); polling only", type(error).__name__)

    async def _run(self) -> None:
        await self._listen()
        while True:
            self._wake.clear()
            try:
                await self.claim_and_run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claiming import jobs failed; retrying shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def claim_and_run(self) -> list[ClaimedImport]:
        free = self.concurrency - len(self._runs)
        if free <= 0:
            return []
        # Shielded: a claim cancelled while it commits would leak its connection.
        jobs = await asyncio.shield(self._claim(free))
        for job in jobs:
            task = spawn(self._walk(job), f"import-job-{job.id}")
            self._runs.add(task)
            task.add_done_callback(self._done)
        return jobs

    async def _claim(self, limit: int) -> list[ClaimedImport]:
        async with unit_of_work(self.runtime, ACTOR) as uow:
            return await do_claim_imports(uow, limit, self.lease)

    async def _walk(self, job: ClaimedImport) -> None:
        log.info("import job %s (account %s, %s) started", job.id, job.account_id, job.trigger)
        await ImportRun(self, job).run()

    def _done(self, task: asyncio.Task[None]) -> None:
        # A failure is logged by spawn(); the job's lease runs out and it is claimed again,
        # from its cursor.
        self._runs.discard(task)
        self._wake.set()

    async def run_until_idle(self) -> None:
        """Claim and walk jobs until none is due or running (the CLI and tests use it)."""
        while True:
            await self.claim_and_run()
            if not self._runs:
                return
            await asyncio.wait(self._runs, return_when=asyncio.FIRST_COMPLETED)


@dataclass
class History:
    """The history importer and the reconciler of one process, with their Graph client."""

    importer: HistoryImporter
    reconciler: Reconciler
    http: httpx.AsyncClient

    @classmethod
    def create(cls, runtime: Runtime, on_new_contacts: Callable[[], None]) -> History:
        silence_http_client_logs()  # httpx logs full URLs at INFO
        settings = runtime.settings
        http = httpx.AsyncClient(timeout=settings.send_timeout_seconds)
        graph = GraphClient(settings.meta_graph_url, settings.meta_graph_version, http=http)
        importer = HistoryImporter(
            runtime,
            graph,
            rate=settings.history_rate_per_second,
            on_new_contacts=on_new_contacts,
        )
        return cls(importer, Reconciler(runtime), http)

    def start(self) -> None:
        self.importer.start()
        self.reconciler.start()

    async def stop(self) -> None:
        await self.reconciler.stop()
        await self.importer.stop()
        await self.http.aclose()
