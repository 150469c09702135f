"""What the operations instrumentation adds to the hot paths, measured on its own.

    python bench/instrumentation.py

The end-to-end benchmarks (bench/ingest.py, bench/fanout.py) swing by more than this cost
on shared machines, so this times exactly the lines issue 19 added: per webhook POST, the
request id, its log binding, a counter increment and a histogram observation; per websocket
frame, an integer addition. Both prometheus-client modes are timed: one process, and the
memory-mapped files of `wazify serve --workers N` (in a child process, which must see
PROMETHEUS_MULTIPROC_DIR before it imports prometheus-client).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = 200_000


def per_request_seconds() -> float:
    from wazify.lib.logs import bind_request_id, request_id_from, unbind
    from wazify.ops.metrics import WEBHOOK, webhook_ack_seconds

    headers = [(b"x-request-id", b"4bf92f3577b34da6a3ce929d0e0e4736")]

    def added_work() -> None:  # what webhooks/routes.py does per POST, beyond the old work
        started = time.perf_counter()
        request_id = request_id_from(headers[0][1])
        token = bind_request_id(request_id)
        echo = [(b"x-request-id", request_id.encode())]
        unbind(token)
        WEBHOOK["stored"].inc()
        webhook_ack_seconds.observe(time.perf_counter() - started)
        del echo

    return min(timeit.repeat(added_work, number=ROUNDS, repeat=5)) / ROUNDS


def per_frame_seconds() -> float:
    class Connection:
        sent = 0

    connection = Connection()

    def added_work() -> None:
        connection.sent += 1

    baseline = min(timeit.repeat(lambda: None, number=ROUNDS, repeat=5)) / ROUNDS
    return min(timeit.repeat(added_work, number=ROUNDS, repeat=5)) / ROUNDS - baseline


def measure() -> dict[str, float]:
    return {
        "per_webhook_post_us": round(per_request_seconds() * 1e6, 2),
        "per_websocket_frame_us": round(per_frame_seconds() * 1e6, 3),
    }


def main() -> None:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return
    with tempfile.TemporaryDirectory(prefix="wazify-bench-metrics-") as folder:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder}
        child = subprocess.run(
            [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True
        )
    print(json.dumps({"one_process": measure(), "workers_mmap": json.loads(child.stdout)}))


if __name__ == "__main__":
    main()
