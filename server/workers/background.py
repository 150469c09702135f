"""One background loop per worker: started with the app, cancelled and awaited at stop."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from wazify.lib.tasks import spawn


class BackgroundLoop:
    """A worker whose `_run()` loops until cancelled. Subclasses name their task; their
    loops shield any transaction that must not be cut by the cancellation at stop()."""

    task_name: ClassVar[str] = "background-loop"
    _task: asyncio.Task[None] | None = None  # set per instance by start()

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._task is None:
            self._task = spawn(self._run(), self.task_name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
