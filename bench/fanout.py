"""Fan-out benchmark: the Wazify server beside the bare floor, in one run.

    python bench/fanout.py                 # every scenario, project and floor
    python bench/fanout.py --only latency  # one scenario

Both servers run as a user would (`wazify serve`; the floor under uvicorn), pinned to CPU 0,
with ../shared/bench/loadgen.py (open loop, exact percentiles, sent = received checks) on
CPU 1. Scenarios follow issue 7: cpu (200 agents x 100 events/s as signed webhooks), latency
(200 x 20/s published through the hub), e2e (50 agents, 100 webhook POSTs/s), capacity
(rising publish rates until p99 > 100 ms), slow (one agent stops reading for 30 s) and idle
(memory of 5,000 idle sockets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fanout_servers import FloorServer, ProjectServer
from bench.fanout_slow import idle_sockets, slow_agent

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
LOADGEN = SHARED / "loadgen.py"
ADAPTER = Path(__file__).resolve().parent / "fanout_adapter.py"


def loadgen(server, clients: int, events: int, rate: int, trigger: str | None) -> dict:
    command = [
        "taskset",
        "-c",
        "1",
        sys.executable,
        str(LOADGEN),
        "-K",
        str(clients),
        "-N",
        str(events),
        "-R",
        str(rate),
        "--server-pid",
        str(server.pid),
    ]
    env = dict(os.environ)
    if trigger is None:
        command += [
            "--ws-url",
            f"ws://127.0.0.1:{server.port}/ws",
            "--post-url",
            f"http://127.0.0.1:{server.port}/publish",
        ]
    else:
        command += ["--adapter", str(ADAPTER)]
        env.update(server.adapter_env(trigger))
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent), str(SHARED)])
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if not result.stdout.strip():
        raise RuntimeError(f"loadgen failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


SUMMARY = (
    "connected",
    "received",
    "expected",
    "missing",
    "duplicates",
    "reordered",
    "p50_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
    "deliveries_per_s",
    "server_cpu_s_per_1k",
)


def row(label: str, result: dict) -> dict:
    return {"label": label, **{key: result.get(key) for key in SUMMARY}}


def capacity(server, trigger: str | None, clients: int = 100) -> dict:
    """The highest delivered frames/s with p99 <= 100 ms, over rising rates."""
    best: dict = {}
    for rate in (200, 400, 600, 800, 1000, 1200, 1500):
        result = loadgen(server, clients, rate * 3, rate, trigger)
        ok = result.get("missing") == 0 and (result.get("p99_ms") or 1e9) <= 100
        print(
            f"  capacity {type(server).__name__} rate {rate}: p99 {result.get('p99_ms')} ms,"
            f" {result.get('deliveries_per_s')} frames/s, ok={ok}",
            flush=True,
        )
        if not ok:
            break
        best = row(f"capacity @ {rate}/s x {clients}", result)
    return best


async def run(only: str | None) -> list[dict]:
    rows: list[dict] = []
    project, floor = ProjectServer(), FloorServer()
    await project.start()
    floor.start()
    try:
        if only in (None, "cpu"):
            rows.append(
                row(
                    "cpu: project, 200 x 100/s webhooks",
                    loadgen(project, 200, 1000, 100, "webhook"),
                )
            )
            rows.append(row("cpu: floor, 200 x 100/s", loadgen(floor, 200, 1000, 100, None)))
        if only in (None, "latency"):
            rows.append(
                row(
                    "latency: project, 200 x 20/s publish",
                    loadgen(project, 200, 400, 20, "publish"),
                )
            )
            rows.append(row("latency: floor, 200 x 20/s", loadgen(floor, 200, 400, 20, None)))
        if only in (None, "e2e"):
            rows.append(
                row("e2e: project, 50 x 100 webhooks/s", loadgen(project, 50, 1000, 100, "webhook"))
            )
        if only in (None, "capacity"):
            rows.append({"label": "capacity: project", **capacity(project, "publish")})
            rows.append({"label": "capacity: floor", **capacity(floor, None)})
        if only in (None, "slow"):
            os.environ["WAZIFY_BENCH_PAD"] = "1400"  # real-sized frames fill real buffers
            rows.extend(
                await slow_agent(project, lambda: loadgen(project, 200, 3000, 100, "publish"))
            )
            os.environ.pop("WAZIFY_BENCH_PAD")
        if only in (None, "idle"):
            rows.append(await idle_sockets(project, 5000))
    finally:
        await project.stop()
        floor.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["cpu", "latency", "e2e", "capacity", "slow", "idle"])
    rows = asyncio.run(run(parser.parse_args().only))
    for line in rows:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
