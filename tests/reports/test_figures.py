"""A scripted day's figures, computed by hand and checked to the second: through the API,
again after a server restart, and again after `wazify metrics rebuild` (the incremental
figures and the rebuilt ones are the same)."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

from tests.reports.conftest import DAY, Script
from tests.support.http import make_client, running
from wazify.app import create_app
from wazify.runtime import Runtime
from wazify.settings import Settings

PERIOD = {"from": DAY.isoformat(), "to": (DAY.replace(hour=23, minute=59)).isoformat()}

# Replies (customer's first waiting message -> the next business message), in seconds:
#   A 09:00:00 -> 09:03:20 agent   200 (first response)
#   A 09:10:00 -> 09:20:00 agent2  600 (09:11:00 waits in the same run)
#   B 10:00:00 -> 10:45:00 agent2 2700 (first response)
#   A 13:00:00 -> 13:05:00 agent   300
#   C 15:50:00 -> 16:20:00 agent  1800 (first response)
# Resolutions: A 09:00:00 -> 09:30:00 1800; A reopened 13:00:00 -> 14:00:00 3600.
TOTAL = {
    "key": "total",
    "name": "Total",
    "opened": 3,
    "reopened": 1,
    "resolved": 2,
    "messages_in": 6,
    "messages_out": 5,
    # [200, 1800, 2700]: median 1800; p90 at rank 1.8: 1800 + 0.8 * 900 = 2520
    "first_response": {"count": 3, "median": 1800.0, "p90": 2520.0, "mean": 1566.667},
    # [200, 300, 600, 1800, 2700]: median 600; p90 at rank 3.6: 1800 + 0.6 * 900 = 2340
    "reply": {"count": 5, "median": 600.0, "p90": 2340.0, "mean": 1120.0},
    # [1800, 3600]: median 2700; p90 at rank 0.9: 1800 + 0.9 * 1800 = 3420
    "resolution": {"count": 2, "median": 2700.0, "p90": 3420.0, "mean": 2700.0},
}


def by_name(report: dict) -> dict[str, dict]:
    return {row["name"]: row for row in report["groups"]}


async def fetch(client: httpx.AsyncClient, headers: dict, **params: str) -> dict:
    response = await client.get("/api/v1/reports", params=PERIOD | params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def check_the_day(report: dict, members: dict[str, dict]) -> None:
    assert report["total"] == TOTAL
    agent, agent2 = members["agent"], members["agent2"]
    # agent: replies [200, 300, 1800], first responses [200, 1800], resolutions [1800, 3600].
    assert agent["reply"] == {"count": 3, "median": 300.0, "p90": 1500.0, "mean": 766.667}
    assert agent["first_response"] == {"count": 2, "median": 1000.0, "p90": 1640.0, "mean": 1000.0}
    assert agent["resolution"]["count"] == 2
    assert (agent["resolved"], agent["messages_out"], agent["reopened"]) == (2, 3, 1)
    # agent2: replies [600, 2700], first response [2700].
    assert agent2["reply"] == {"count": 2, "median": 1650.0, "p90": 2490.0, "mean": 1650.0}
    assert agent2["first_response"]["median"] == 2700.0
    assert (agent2["resolved"], agent2["messages_out"]) == (0, 2)
    # Customer messages and openings belong to no member.
    assert members["(no member)"]["messages_in"] == 6
    assert members["(no member)"]["opened"] == 3


async def test_the_scripted_day(shop, day: Script, settings: Settings, runtime: Runtime) -> None:
    supervisor = shop.supervisor.headers
    report = await fetch(shop.client, supervisor, group_by="member")
    check_the_day(report, by_name(report))
    # below 60: -, below 300: 200, below 900: 300 600, below 1800: -, below 3600: 1800 2700
    assert [b["count"] for b in report["histogram"]] == [0, 1, 2, 0, 2, 0, 0, 0, 0]
    weekday = DAY.weekday()
    hours = {hour: n for hour, n in enumerate(report["heatmap"][weekday]) if n}
    assert hours == {9: 3, 10: 1, 13: 1, 15: 1}
    days = await fetch(shop.client, supervisor, group_by="day")
    assert [row["key"] for row in days["groups"]] == [DAY.date().isoformat()]
    assert days["groups"][0]["reply"] == TOTAL["reply"]
    accounts = await fetch(shop.client, supervisor, group_by="account")
    assert [(row["name"], row["reply"]["count"]) for row in accounts["groups"]] == [("shop", 5)]

    # A restart: a new server over the same database reports the same figures.
    restarted = create_app(settings, runtime=runtime)
    async with running(restarted), make_client(restarted) as client:
        report = await fetch(client, supervisor, group_by="member")
    check_the_day(report, by_name(report))

    # The rebuild derives every fact again from history: the same rows, the same figures.
    facts_sql = (
        "SELECT conversation_id, kind, started_at, at, member_id, first, count"
        " FROM report_facts ORDER BY 1, 2, 4, 5, 6"
    )
    incremental = [tuple(row) for row in await runtime.engine.pool.fetch(facts_sql)]
    await rebuild(settings, runtime)
    assert [tuple(row) for row in await runtime.engine.pool.fetch(facts_sql)] == incremental
    report = await fetch(shop.client, supervisor, group_by="member")
    check_the_day(report, by_name(report))


async def rebuild(settings: Settings, runtime: Runtime) -> None:
    """`wazify metrics rebuild`, run as the operator runs it, on the tests' database."""
    await runtime.engine.pool.execute("DELETE FROM report_facts")
    environment = dict(os.environ)
    environment |= {
        "DATABASE_URL": settings.database_url,
        "WAZIFY_TOKEN_KEYS": ",".join(settings.token_keys),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wazify.cli", "metrics", "rebuild",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "derived again for 3 conversation(s)" in out.decode()
