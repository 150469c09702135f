"""The /metrics text: this process's metrics (or all workers'), then the scrape-time facts.

Several server processes on one host (`wazify serve --workers N`) answer on one port, and a
scrape reaches any one of them: each would report only its own counts. So the workers
share prometheus-client's multiprocess mode: every process writes its values to files in
PROMETHEUS_MULTIPROC_DIR (memory-mapped, an increment stays a few microseconds) and the
process answering a scrape adds up the files of all of them. `wazify serve` creates that
folder for its workers, and removes it when it stops, so counts never carry over from an
earlier run; a process that stops cleanly drops its share of the live gauges.

Separate hosts or containers (the compose stack's two replicas) are scraped one by one:
Prometheus adds them up (docs/operations.md). The database facts and health checks are
computed at scrape time by the answering process only, never stored per process, so
neither a multi-worker scrape nor the sum over replicas counts them twice (dashboards take
their max over replicas).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from wazify.ops.queries import DatabaseFacts

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


@contextmanager
def shared_metrics_for(workers: int) -> Iterator[None]:
    """Around `uvicorn.run(workers=N)`: a fresh folder the workers (started afterwards, so
    they see the variable when they import prometheus-client) share their metrics in.
    An operator's own PROMETHEUS_MULTIPROC_DIR is used as is (it must start empty)."""
    if workers <= 1 or multiprocess_dir():
        yield
        return
    folder = tempfile.mkdtemp(prefix="wazify-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


def forget_this_process() -> None:
    """At a worker's clean exit: its live gauges (open websockets) stop counting."""
    folder = multiprocess_dir()
    if folder:
        multiprocess.mark_process_dead(os.getpid(), folder)


def process_metrics() -> bytes:
    folder = multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, folder)
    return generate_latest(registry)


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def scrape_time_metrics(facts: DatabaseFacts | None, redis_up: bool | None) -> bytes:
    """Health and database facts, as measured just now by this process."""
    families: list[Metric] = [
        _gauge("wazify_postgres_up", "1 if PostgreSQL answered this scrape.", facts is not None)
    ]
    if redis_up is not None:
        families.append(_gauge("wazify_redis_up", "1 if Redis answered this scrape.", redis_up))
    if facts is not None:
        families += [
            _gauge(
                "wazify_receipts_pending",
                "Webhook receipts committed but not yet processed.",
                facts.receipts_pending,
            ),
            _gauge(
                "wazify_receipts_quarantined",
                "Webhook receipts whose processing failed (kept with the reason).",
                facts.receipts_quarantined,
            ),
            _gauge(
                "wazify_receipts_oldest_pending_seconds",
                "Age of the oldest pending receipt (0 when none): the processing lag.",
                facts.receipts_oldest_seconds,
            ),
            _gauge(
                "wazify_outbox_oldest_pending_seconds",
                "Age of the oldest reply waiting to be sent (0 when none).",
                facts.outbox_oldest_seconds,
            ),
        ]
        outbox = GaugeMetricFamily(
            "wazify_outbox_messages", "Replies in the outbox, by state.", labels=["state"]
        )
        for state, count in facts.outbox.items():
            outbox.add_metric([state], count)
        families.append(outbox)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))  # type: ignore[arg-type]
    return generate_latest(registry)
