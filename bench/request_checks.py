"""What the JSON body checks (server/lib/request_checks.py) cost on a typical request.

    python bench/request_checks.py            # 20,000 requests per variant
    python bench/request_checks.py --requests 50000

Two figures. First the walk alone (check_json_value: NUL and depth) on the bodies the web
app sends most: sign-in, a reply with quick replies, an assignment, a contact's notes.
Then whole requests through Litestar, in process (the ASGI app called directly: no
network, no database, so the difference is not hidden in noise), for the same POST route
decoding a reply body with the stock Request class and with JSONRequest (media type,
recursion guard, byte scans; the walk runs only for a body that could need it); the cost
is the difference per request. CPU time of this process (not wall time): on a shared
machine, wall time measures the neighbours too.

Measured on the 2-core development machine: the walk 1-5 µs per body; a reply POST 72 µs
with Request, 77 µs with JSONRequest: +5 µs, against the 1-3 ms of a real request's
database round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import timeit
from pathlib import Path

import msgspec
from litestar import Litestar, Request, post

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wazify.lib.inputs import check_json_value
from wazify.lib.request_checks import JSONRequest
from wazify.replies.schemas import SendReplyRequest

ROUNDS = 10
BODIES = {
    "sign-in": {"email": "alice@example.com", "password": "correct horse battery staple"},
    "reply": {
        "text": "Yes, we have it in M! " * 10,
        "quick_replies": [{"title": f"Size {s}", "payload": f"SIZE_{s}"} for s in "SML"],
        "client_id": "c-6f1b2d3e",
    },
    "assign": {"user_id": 42},
    "notes (10 kB)": {"notes": "prefers the linen shirts; " * 400},
}


def walk_figures(repeat: int) -> None:
    print("check_json_value alone (median of 5 runs):")
    for name, value in BODIES.items():
        runs = timeit.repeat(lambda v=value: check_json_value(v), number=repeat, repeat=5)
        print(f"  {name:14} {statistics.median(runs) / repeat * 1e6:6.2f} µs")


@post("/reply", status_code=200)
async def reply(data: SendReplyRequest) -> dict[str, int]:
    return {"n": len(data.quick_replies)}


async def request_seconds(app: Litestar, raw: bytes, count: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/reply",
        "raw_path": b"/reply",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    statuses: list[int] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(count):
        # A fresh state each time: Litestar caches the decoded body there.
        await app({**scope, "state": {}}, receive, send)
    elapsed = time.process_time() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / count


async def request_figures(count: int) -> None:
    raw = msgspec.json.encode(BODIES["reply"])
    apps = {
        "Request": Litestar([reply], request_class=Request),
        "JSONRequest": Litestar([reply], request_class=JSONRequest),
    }
    results: dict[str, list[float]] = {name: [] for name in apps}
    for app in apps.values():
        await request_seconds(app, raw, 500)  # warm up
    for _ in range(ROUNDS):  # interleaved, so drift hits both alike
        for name, app in apps.items():
            results[name].append(await request_seconds(app, raw, count // ROUNDS))
    # The fastest round: on a shared machine, slower ones measure the neighbours.
    best = {name: min(values) * 1e6 for name, values in results.items()}
    print(f"a reply POST through Litestar in process ({count} requests each, best of {ROUNDS}):")
    for name, micros in best.items():
        print(f"  {name:12} {micros:7.1f} µs per request")
    extra = best["JSONRequest"] - best["Request"]
    print(f"  the checks: {extra:+.1f} µs per request ({extra / best['Request']:+.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    walk_figures(20_000)
    asyncio.run(request_figures(args.requests))


if __name__ == "__main__":
    main()
