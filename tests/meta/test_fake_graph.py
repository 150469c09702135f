"""The fake Graph API and its /_fake/ control API, driven over HTTP in-process."""

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from wazify.fakemeta.graph import create_fake_graph, run_fake_graph_in_thread
from wazify.fakemeta.state import FakeGraphState

ACCOUNT = "17841401234567890"
TOKEN = "fake-token-a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANA = {
    "igsid": "7523146982351467",
    "name": "Ana Souza",
    "username": "ana.linen",
    "profile_pic": "https://scontent.cdninstagram.com/ana.jpg",
    "follower_count": 1234,
    "is_user_follow_business": True,
    "is_business_follow_user": False,
}
ALL_FIELDS = (
    "name,username,profile_pic,follower_count,is_user_follow_business,is_business_follow_user,"
    "is_verified_user"
)


@pytest.fixture
def state() -> FakeGraphState:
    return FakeGraphState()


@pytest.fixture
async def http(state: FakeGraphState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_fake_graph(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://graph.test") as client:
        response = await client.post("/_fake/tokens", json={"token": TOKEN, "ig_id": ACCOUNT})
        assert response.status_code == 200
        yield client


async def set_ana(http: httpx.AsyncClient, **overrides: object) -> None:
    response = await http.post("/_fake/profiles", json={**ANA, **overrides})
    assert response.status_code == 200


def error_of(response: httpx.Response) -> tuple[int, int, int | None, str]:
    error = response.json()["error"]
    assert set(error) <= {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}
    assert isinstance(error["fbtrace_id"], str) and error["fbtrace_id"]
    return response.status_code, error["code"], error.get("error_subcode"), error["message"]


async def test_profile_set_over_http_is_served(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    response = await http.get(f"/v25.0/{ANA['igsid']}", params={"fields": ALL_FIELDS}, headers=AUTH)
    assert response.status_code == 200
    # Requested order, nulls (is_verified_user) omitted.
    assert list(response.json().items()) == [
        ("name", "Ana Souza"),
        ("username", "ana.linen"),
        ("profile_pic", "https://scontent.cdninstagram.com/ana.jpg"),
        ("follower_count", 1234),
        ("is_user_follow_business", True),
        ("is_business_follow_user", False),
    ]


async def test_without_fields_only_the_id_comes_back(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    response = await http.get(f"/v25.0/{ANA['igsid']}", headers=AUTH)
    assert response.json() == {"id": ANA["igsid"]}


async def test_access_token_in_the_query_also_works(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    response = await http.get(
        f"/v26.0/{ANA['igsid']}", params={"fields": "username", "access_token": TOKEN}
    )
    assert response.json() == {"username": "ana.linen"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (400, 104, None, "An access token is required to request this resource.")),
        (
            {"Authorization": "Bearer nope"},
            (400, 190, None, "Invalid OAuth access token - Cannot parse access token"),
        ),
    ],
)
async def test_token_errors(http: httpx.AsyncClient, headers: dict, expected: tuple) -> None:
    await set_ana(http)
    response = await http.get(f"/v25.0/{ANA['igsid']}", headers=headers)
    assert error_of(response) == expected


async def test_invalid_token_carries_www_authenticate(http: httpx.AsyncClient) -> None:
    response = await http.get("/v25.0/1", headers={"Authorization": "Bearer nope"})
    assert response.headers["www-authenticate"] == (
        'OAuth "Facebook Platform" "invalid_token" '
        '"Invalid OAuth access token - Cannot parse access token"'
    )


async def test_expired_token_registered_over_http(http: httpx.AsyncClient) -> None:
    await http.post("/_fake/tokens", json={"token": "old", "ig_id": ACCOUNT, "expired": True})
    response = await http.get("/v25.0/1", headers={"Authorization": "Bearer old"})
    assert error_of(response)[:3] == (400, 190, 463)


async def test_consent_and_blocked_profiles(http: httpx.AsyncClient) -> None:
    await set_ana(http, consent=False)
    response = await http.get(f"/v25.0/{ANA['igsid']}", headers=AUTH)
    assert error_of(response) == (400, 230, None, "User consent is required to access user profile")
    assert response.json()["error"]["type"] == "OAuthException"
    await set_ana(http, blocked=True)
    response = await http.get(f"/v25.0/{ANA['igsid']}", headers=AUTH)
    assert error_of(response)[:3] == (400, 100, 33)
    assert response.json()["error"]["type"] == "GraphMethodException"


async def test_unknown_field_and_unknown_path(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    response = await http.get(f"/v25.0/{ANA['igsid']}?fields=name,email", headers=AUTH)
    assert error_of(response) == (
        400, 100, None, "(#100) Tried accessing nonexisting field (email) on node type (User)"
    )  # fmt: skip
    response = await http.get("/v25.0/1/nothing/here", headers=AUTH)
    assert error_of(response) == (400, 2500, None, "Unknown path components: /v25.0/1/nothing/here")
    response = await http.get("/latest/1", headers=AUTH)
    assert error_of(response)[1] == 2500
    response = await http.delete(f"/v25.0/{ANA['igsid']}", headers=AUTH)
    assert error_of(response) == (400, 100, None, "Unsupported delete request.")


async def test_failures_apply_count_times_then_stop(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    rule = {"path_prefix": "/v25.0/", "count": 2, "preset": "throttled"}
    assert (await http.post("/_fake/fail", json=rule)).status_code == 200
    url = f"/v25.0/{ANA['igsid']}?fields=username"
    first, second, third = [await http.get(url, headers=AUTH) for _ in range(3)]
    assert error_of(first) == (400, 4, None, "(#4) Application request limit reached")
    assert error_of(second)[1] == 4
    assert third.json() == {"username": "ana.linen"}


async def test_failure_matches_prefix_and_method(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    await http.post("/_fake/fail", json={"path_prefix": "/v25.0/other", "status": 500})
    await http.post("/_fake/fail", json={"method": "POST", "status": 503})
    ok = await http.get(f"/v25.0/{ANA['igsid']}?fields=username", headers=AUTH)
    assert ok.status_code == 200
    post = await http.post(f"/v25.0/{ANA['igsid']}", headers=AUTH)
    assert error_of(post) == (503, 2, None, "Service temporarily unavailable")
    assert post.json()["error"]["is_transient"] is True
    other = await http.get("/v25.0/other", headers=AUTH)
    assert error_of(other) == (500, 1, 99, "An unknown error occurred")


async def test_custom_error_and_raw_body_failures(http: httpx.AsyncClient) -> None:
    custom = {"message": "Custom", "type": "OAuthException", "code": 10, "error_subcode": 2534022}
    await http.post("/_fake/fail", json={"error": custom})
    await http.post("/_fake/fail", json={"status": 502, "body": "<html>Bad Gateway</html>"})
    response = await http.get("/v25.0/1", headers=AUTH)
    assert error_of(response) == (400, 10, 2534022, "Custom")
    response = await http.get("/v25.0/1", headers=AUTH)
    assert (response.status_code, response.text) == (502, "<html>Bad Gateway</html>")


async def test_delay_only_rule_delays_then_answers(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    await http.post("/_fake/fail", json={"delay": 0.2})
    started = time.monotonic()
    response = await http.get(f"/v25.0/{ANA['igsid']}?fields=username", headers=AUTH)
    assert time.monotonic() - started >= 0.2
    assert response.json() == {"username": "ana.linen"}


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ({"preset": "nope"}, "unknown preset 'nope'"),
        ({"count": 0, "status": 500}, "count must be at least 1"),
        ({"delay": -1}, "delay must not be negative"),
        ({"status": 42}, "status must be an HTTP status code"),
        ({"count": "many"}, "Validation failed"),
    ],
)
async def test_bad_failure_rules_are_refused(
    http: httpx.AsyncClient, rule: dict, detail: str
) -> None:
    response = await http.post("/_fake/fail", json=rule)
    assert response.status_code == 400
    assert detail in response.json()["detail"]


async def test_requests_are_recorded_verbatim(http: httpx.AsyncClient) -> None:
    await set_ana(http)
    await http.get("/v25.0/42?fields=name&access_token=leaky", headers=AUTH)
    await http.post(
        "/v25.0/17841401234567890/messages", headers=AUTH, json={"message": {"text": "é"}}
    )
    recorded = (await http.get("/_fake/requests")).json()
    assert [(r["method"], r["path"]) for r in recorded] == [
        ("GET", "/v25.0/42"),
        ("POST", "/v25.0/17841401234567890/messages"),
    ]
    assert recorded[0]["query"] == {"fields": "name", "access_token": "leaky"}
    assert recorded[0]["query_string"] == "fields=name&access_token=leaky"
    assert recorded[0]["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert recorded[1]["body"] == '{"message":{"text":"é"}}'
    filtered = (await http.get("/_fake/requests", params={"path_prefix": "/v25.0/42"})).json()
    assert [r["path"] for r in filtered] == ["/v25.0/42"]


async def test_reset_clears_everything(http: httpx.AsyncClient, state: FakeGraphState) -> None:
    await set_ana(http)
    await http.post("/_fake/fail", json={"status": 500})
    await http.get("/v25.0/1", headers=AUTH)
    assert (await http.post("/_fake/reset")).json() == {"success": True}
    assert (state.profiles, state.tokens, state.failures, state.requests()) == ({}, {}, [], [])
    # The token is gone too.
    assert error_of(await http.get("/v25.0/1", headers=AUTH))[1] == 190


async def test_state_is_shared_with_the_test(
    http: httpx.AsyncClient, state: FakeGraphState
) -> None:
    await set_ana(http)
    assert state.profiles[ANA["igsid"]].username == "ana.linen"
    assert state.tokens[TOKEN].ig_id == ACCOUNT


async def test_profiles_can_be_scoped_to_one_business(http: httpx.AsyncClient) -> None:
    await http.post("/_fake/tokens", json={"token": "token-b", "ig_id": "17841409876543210"})
    await set_ana(http, account_ig_id=ACCOUNT)
    mine = await http.get(f"/v25.0/{ANA['igsid']}?fields=username", headers=AUTH)
    theirs = await http.get(
        f"/v25.0/{ANA['igsid']}?fields=username", headers={"Authorization": "Bearer token-b"}
    )
    assert mine.json() == {"username": "ana.linen"}
    assert error_of(theirs)[:3] == (400, 100, 33)


def test_runs_on_a_real_port_in_a_thread() -> None:
    state = FakeGraphState()
    state.add_token(TOKEN, ACCOUNT)
    base_url, returned, stop = run_fake_graph_in_thread(state=state)
    try:
        assert returned is state
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.post(f"{base_url}/_fake/profiles", json=ANA)
        assert response.status_code == 200
        response = httpx.get(f"{base_url}/v25.0/{ANA['igsid']}?fields=name", headers=AUTH)
        assert response.json() == {"name": "Ana Souza"}
        assert [r.path for r in state.requests()] == [f"/v25.0/{ANA['igsid']}"]
    finally:
        stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/_fake/requests", timeout=1)
