"""Background tasks that are named, kept and watched.

asyncio reports a task that failed without anyone awaiting it only when it is garbage
collected, as "Task exception was never retrieved", nameless and late (a chaos run showed
a ConnectionRefusedError that way during a database outage). Every task the server starts
goes through spawn(): it carries a name, a reference is held until it ends (the event loop
keeps only a weak one), and its failure is logged at once with that name. Whoever awaits
the task still gets its exception; the log line is in addition.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("wazify.tasks")

T = TypeVar("T")

_running: set[asyncio.Task[Any]] = set()


def spawn(
    work: Coroutine[Any, Any, T], name: str, *, context: contextvars.Context | None = None
) -> asyncio.Task[T]:
    """Start `work` as a task named `name` (in `context`, else a copy of the current one),
    whose failure is logged when it happens."""
    task = asyncio.get_running_loop().create_task(work, name=name, context=context)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()  # retrieved: asyncio will not report it again
    if error is not None:
        log.error(
            "background task %s failed: %s: %s",
            task.get_name(),
            type(error).__name__,
            error,
            exc_info=error,
        )
