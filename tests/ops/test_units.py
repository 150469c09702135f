"""The metric helpers on their own: slow-consumer closes counted once, bounded error-code
labels, the frame fold, the shared folder `wazify serve --workers N` makes, and a database
or Redis that does not answer reported down (never stale figures)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import SimpleNamespace

from tests.ops.conftest import parse_samples
from wazify.auth.principal import Principal
from wazify.meta.graph_errors import GraphError
from wazify.meta.send import MaybeSent, NotSent
from wazify.ops import metrics, queries
from wazify.ops.exposition import MULTIPROC_ENV, scrape_time_metrics, shared_metrics_for
from wazify.realtime.broker import LoggedEvent
from wazify.realtime.connection import Connection


def _connection(queue_limit: int) -> Connection:
    async def send(frame) -> None:
        await asyncio.sleep(3600)  # a client that never reads

    async def close(code: int, reason: str) -> None:
        return None

    principal = Principal(
        user_id=1, workspace_id=1, role="agent", email="a@b.test", name="a", via="token"
    )
    return Connection(principal, send, close, queue_limit=queue_limit)


def _event(seq: int) -> LoggedEvent:
    return LoggedEvent(1, seq, None, None, b"{}")


def _count(child) -> float:
    return child._value.get()


async def test_a_queue_overflow_counts_one_slow_consumer_close() -> None:
    queue_full = metrics.SLOW_CLOSES["queue_full"]
    before = _count(queue_full)
    connection = _connection(queue_limit=2)
    connection.finish_replay(0)
    for seq in range(1, 6):
        connection.offer(_event(seq))
    assert connection.closing
    assert _count(queue_full) == before + 1


async def test_a_stalled_socket_counts_once() -> None:
    stalled = metrics.SLOW_CLOSES["stalled"]
    before = _count(stalled)
    connection = _connection(queue_limit=10)
    connection.abandon_stalled()
    connection.abandon_stalled()
    assert _count(stalled) == before + 1
    await asyncio.sleep(0)


def test_send_error_codes_stay_bounded(monkeypatch) -> None:
    monkeypatch.setattr(metrics, "_error_codes", set())  # the process's own set stays free
    assert metrics.error_code(NotSent("refused")) == "not_sent"
    assert metrics.error_code(MaybeSent("timeout")) == "maybe_sent"
    assert metrics.error_code(RuntimeError()) == "unexpected"
    assert metrics.error_code(GraphError("x", code=190, http_status=400)) == "190"
    assert metrics.error_code(GraphError("x", http_status=502)) == "http_502"
    labels = {
        metrics.error_code(GraphError("x", code=900_000 + n, http_status=400)) for n in range(200)
    }
    assert "other" in labels
    assert len(metrics._error_codes) == metrics.MAX_ERROR_CODES


def test_the_frame_fold_adds_only_what_is_new() -> None:
    folder = metrics.FrameFolder()
    before = metrics.websocket_frames._value.get()
    folder.fold(5)
    folder.fold(5)
    folder.fold(8)
    assert metrics.websocket_frames._value.get() == before + 8


def test_workers_share_a_fresh_folder_removed_afterwards(monkeypatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with shared_metrics_for(1):
        assert MULTIPROC_ENV not in os.environ  # one process: no files needed
    with shared_metrics_for(2):
        folder = Path(os.environ[MULTIPROC_ENV])
        assert folder.is_dir() and not list(folder.iterdir())
    assert MULTIPROC_ENV not in os.environ and not folder.exists()


def test_an_operators_folder_is_used_as_is(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    with shared_metrics_for(4):
        assert os.environ[MULTIPROC_ENV] == str(tmp_path)
    assert tmp_path.is_dir()


async def test_a_database_in_trouble_is_reported_down_not_stale() -> None:
    class Down:
        def acquire(self):
            raise ConnectionRefusedError("PostgreSQL is not there")

    class Slow:
        async def ping(self) -> bool:
            await asyncio.sleep(60)
            return True

    runtime = SimpleNamespace(
        engine=SimpleNamespace(pool=Down()),
        broker=Slow(),
        settings=SimpleNamespace(redis_url="redis://127.0.0.1:1/0"),
    )
    queries.TIMEOUT_SECONDS, saved = 0.05, queries.TIMEOUT_SECONDS
    try:
        facts = await queries.database_facts(runtime)
        redis = await queries.redis_up(runtime)
    finally:
        queries.TIMEOUT_SECONDS = saved
    assert facts is None and redis is False
    samples = parse_samples(scrape_time_metrics(facts, redis).decode())
    assert samples == {
        ("wazify_postgres_up", frozenset()): 0.0,
        ("wazify_redis_up", frozenset()): 0.0,
    }
