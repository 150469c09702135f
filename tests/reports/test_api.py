"""The reports API: business hours, CSV, who may read and change what, bad input (400s
naming their parameter), and the status history the write path records."""

from __future__ import annotations

import csv
import io

from tests.conversations.conftest import Shop
from tests.reports.conftest import DAY, Script
from tests.reports.test_figures import PERIOD, TOTAL, fetch

# 14:30 to 21:30 in Kolkata (UTC+5:30, no daylight saving) is 09:00 to 16:00 UTC.
KOLKATA = {"timezone": "Asia/Kolkata", "business_hours": {d: [["14:30", "21:30"]] for d in (
    "mon", "tue", "wed", "thu", "fri", "sat", "sun")}}  # fmt: skip


async def test_business_hours_and_the_time_zone(shop: Shop, day: Script) -> None:
    response = await shop.client.put(
        "/api/v1/reports/settings", json=KOLKATA, headers=shop.admin.headers
    )
    assert response.status_code == 200, response.text
    report = await fetch(shop.client, shop.supervisor.headers, hours="business")
    assert report["business_hours"] is True and report["timezone"] == "Asia/Kolkata"
    # Only C's reply leaves the hours: 15:50:00 -> 16:20:00 UTC counts 15:50 to 16:00, 600 s.
    # Replies [200, 300, 600, 600, 2700]: median 600, p90 at 3.6: 600 + 0.6 * 2100 = 1860.
    assert report["total"]["reply"] == {"count": 5, "median": 600.0, "p90": 1860.0, "mean": 880.0}
    # First responses [200, 600, 2700]: p90 at 1.8: 600 + 0.8 * 2100 = 2280.
    assert report["total"]["first_response"] == {
        "count": 3, "median": 600.0, "p90": 2280.0, "mean": 1166.667}  # fmt: skip
    assert report["total"]["resolution"] == TOTAL["resolution"]
    # Wall-clock times are unchanged; days and hours are Kolkata's.
    wall = await fetch(shop.client, shop.supervisor.headers, group_by="hour")
    assert wall["total"]["reply"] == TOTAL["reply"]
    day_ = DAY.date().isoformat()
    incoming = [(row["key"], row["messages_in"]) for row in wall["groups"] if row["messages_in"]]
    assert incoming == [
        (f"{day_}T{h}:00", n) for h, n in (("14", 3), ("15", 1), ("18", 1), ("21", 1))
    ]
    hours = {hour: n for hour, n in enumerate(wall["heatmap"][DAY.weekday()]) if n}
    assert hours == {14: 3, 15: 1, 18: 1, 21: 1}


async def test_csv_download(shop: Shop, day: Script) -> None:
    response = await shop.client.get(
        "/api/v1/reports.csv",
        params=PERIOD | {"group_by": "member"},
        headers=shop.supervisor.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="wazify-report-'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    total = rows[0]
    assert (total["group"], total["opened"], total["messages_in"]) == ("total", "3", "6")
    assert (total["reply_median_s"], total["reply_p90_s"]) == ("600.0", "2340.0")
    assert (total["resolution_median_s"], total["first_response_count"]) == ("2700.0", "3")
    assert {row["name"] for row in rows[1:]} == {"agent", "agent2", "(no member)"}


async def test_who_may_read_and_change(shop: Shop, day: Script) -> None:
    client = shop.client
    for path in ("/api/v1/reports", "/api/v1/reports.csv", "/api/v1/reports/settings"):
        assert (await client.get(path, headers=shop.agent.headers)).status_code == 403
        assert (await client.get(path, headers=shop.supervisor.headers)).status_code == 200
        assert (await client.get(path, headers=shop.admin.headers)).status_code == 200
        assert (await client.get(path)).status_code == 401
    for member in (shop.agent, shop.supervisor):
        put = await client.put("/api/v1/reports/settings", json=KOLKATA, headers=member.headers)
        assert put.status_code == 403
    # Another workspace's report counts nothing of this one.
    rival = await fetch(client, shop.rival.headers)
    assert (rival["total"]["opened"], rival["total"]["reply"]["count"]) == (0, 0)


BAD = [
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-01"}, "to"),
    ({"to": "2026-12-01T00:00:00." + "0" * 60 + "+00:00"}, "to"),
    ({"from": "2026-12-01\x00"}, "from"),
    ({"to": "0001-01-03"}, "to"),
    ({"from": "0001-01-01T00:00:00+14:00"}, "from"),
    ({"from": "2026-12-02", "to": "2026-12-01"}, "from"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
    ({"group_by": "planet"}, "group_by"),
    ({"hours": "business"}, "hours"),  # no business hours set
    ({"hours": "night"}, "hours"),
]
BAD_SETTINGS = [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "UTC", "business_hours": {"mon": [["18:00", "09:00"]]}}, "business_hours"),
    ({"timezone": "UTC", "business_hours": {"someday": []}}, "business_hours"),
    ({"timezone": "UTC", "business_hours": {"mon": [["9am", "5pm"]]}}, "business_hours"),
    ({"timezone": "UTC", "business_hours": {"mon": [["09:00"]]}}, "business_hours"),
]


async def test_bad_input_is_a_400_naming_the_parameter(shop: Shop) -> None:
    for params, field in BAD:
        for path in ("/api/v1/reports", "/api/v1/reports.csv"):
            response = await shop.client.get(path, params=params, headers=shop.admin.headers)
            error = response.json()["error"] if response.status_code == 400 else {}
            assert (response.status_code, error.get("field")) == (400, field), (
                params,
                response.text,
            )
    for body, field in BAD_SETTINGS:
        response = await shop.client.put(
            "/api/v1/reports/settings", json=body, headers=shop.admin.headers
        )
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"].get("field") == field, (body, response.text)


async def test_the_status_history_the_write_path_records(shop: Shop, day: Script) -> None:
    rows = await shop.runtime.engine.pool.fetch(
        "SELECT from_status, to_status, cause, assignee_id, by_user_id, changed_at"
        " FROM conversation_status_changes WHERE conversation_id = $1 ORDER BY id",
        day.conversations["A"],
    )
    agent = shop.agent.user_id
    assert [tuple(row) for row in rows] == [
        ("open", "resolved", "member", agent, agent, DAY.replace(hour=9, minute=30)),
        # The customer's message reopened it, at the message's time.
        ("resolved", "open", "customer", agent, None, DAY.replace(hour=13)),
        ("open", "resolved", "member", agent, agent, DAY.replace(hour=14)),
    ]
