"""The process's Prometheus metrics: what the code counts as it runs.

Facts that live in the database (pending receipts, outbox depth) are not here: they are
read from Postgres when /metrics is scraped (wazify.ops.queries), once, by the process that
answers, so several processes never add them up.

Cost on the hot paths: the webhook endpoint does one counter increment and one histogram
observation per request, through label children bound here once (a `labels()` call per
request would hash the label values every time). The websocket writer adds 1 to a plain
integer per frame; the hub folds those integers into the counter every few seconds
(`fold_frames`). Label values come from short fixed lists, except the Send API's error
codes, which Meta chooses: at most MAX_ERROR_CODES distinct ones, then "other".

Several server processes (`wazify serve --workers N`) share these through
prometheus-client's multiprocess mode: see wazify.ops.exposition.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

from wazify.meta.graph_errors import GraphError
from wazify.meta.send import MaybeSent, NotSent

# Seconds; the webhook ack is a commit (fsync) away, the Send API a round trip to Meta.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0)
MAX_ERROR_CODES = 50
T = TypeVar("T")

WEBHOOK_OUTCOMES = ("stored", "bad_signature", "too_large", "unavailable", "client_gone")
webhook_deliveries = Counter(
    "wazify_webhook_deliveries",
    "Webhook POSTs from Meta, by outcome (stored = committed and acknowledged).",
    ["outcome"],
)
webhook_ack_seconds = Histogram(
    "wazify_webhook_ack_seconds",
    "Time from a webhook POST's arrival to its answer (the body committed for a 200).",
    buckets=ACK_BUCKETS,
)
WEBHOOK = {outcome: webhook_deliveries.labels(outcome) for outcome in WEBHOOK_OUTCOMES}

receipts_processed = Counter(
    "wazify_receipts_processed",
    "Webhook receipts the background processor finished, by outcome.",
    ["outcome"],
)
RECEIPTS_PROCESSED = receipts_processed.labels("processed")
RECEIPTS_QUARANTINED = receipts_processed.labels("quarantined")
receipt_lag_seconds = Histogram(
    "wazify_receipt_lag_seconds",
    "Time from a receipt's commit (Meta's 200) to its processing into messages and events.",
    buckets=LAG_BUCKETS,
)

send_api_seconds = Histogram(
    "wazify_send_api_seconds",
    "Duration of Send API calls (replies, and sender actions such as typing or seen).",
    ["call"],
    buckets=SEND_BUCKETS,
)
SEND_SECONDS = {call: send_api_seconds.labels(call) for call in ("message", "action")}
send_api_errors = Counter(
    "wazify_send_api_errors",
    "Failed Send API calls, by Meta error code (or not_sent, maybe_sent, http_<status>).",
    ["code"],
)

websockets_connected = Gauge(
    "wazify_websockets_connected",
    "Agents' websockets open on this process.",
    multiprocess_mode="livesum",
)
websocket_frames = Counter(
    "wazify_websocket_frames_sent",
    "Frames written to agents' websockets (events, replayed events and protocol frames).",
)
websocket_slow_closes = Counter(
    "wazify_websocket_slow_consumer_closes",
    "Websockets closed with 4008 (resume): queue_full (the bounded queue overflowed),"
    " stalled (a send waited too long), not_reading (a ping went unanswered).",
    ["reason"],
)
SLOW_CLOSES = {
    reason: websocket_slow_closes.labels(reason)
    for reason in ("queue_full", "stalled", "not_reading")
}

_error_codes: set[str] = set()


def error_code(error: BaseException) -> str:
    """A bounded label for a failed Send API call."""
    if isinstance(error, NotSent):
        return "not_sent"
    if isinstance(error, MaybeSent):
        return "maybe_sent"
    if not isinstance(error, GraphError):
        return "unexpected"
    code = str(error.code) if error.code is not None else f"http_{error.http_status}"
    if code in _error_codes:
        return code
    if len(_error_codes) >= MAX_ERROR_CODES:
        return "other"
    _error_codes.add(code)
    return code


async def timed_send(call: str, sending: Awaitable[T]) -> T:
    """Await a Send API call (`call`: message or action), timing it and counting failures."""
    started = time.perf_counter()
    try:
        result = await sending
    except Exception as error:
        SEND_SECONDS[call].observe(time.perf_counter() - started)
        send_api_errors.labels(error_code(error)).inc()
        raise
    SEND_SECONDS[call].observe(time.perf_counter() - started)
    return result


class FrameFolder:
    """Folds a growing frame total (plain integers kept by the hub) into the counter."""

    def __init__(self) -> None:
        self._folded = 0

    def fold(self, total: int) -> None:
        if total > self._folded:
            websocket_frames.inc(total - self._folded)
            self._folded = total
