"""GraphClient against the fake Graph API served for real on a local port."""

import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from wazify.fakemeta.graph import run_fake_graph_in_thread
from wazify.fakemeta.state import FailureRule, FakeGraphState, FakeProfile
from wazify.meta.graph_client import GraphClient, UserProfile, silence_http_client_logs
from wazify.meta.graph_errors import (
    GraphError,
    is_consent_required,
    is_permission,
    is_throttling,
    is_token_dead,
    is_user_unavailable,
    is_window_closed,
    parse_graph_error,
)

ACCOUNT = "17841401234567890"
TOKEN = "IGQWRPa1ZAfake-token-for-tests"
PROFILE_QUERY = (
    "fields=name%2Cusername%2Cprofile_pic%2Cfollower_count%2Cis_user_follow_business"
    "%2Cis_business_follow_user%2Cis_verified_user"
)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, FakeGraphState]]:
    base_url, state, stop = run_fake_graph_in_thread()
    yield base_url, state
    stop()


@pytest.fixture
def fake(server: tuple[str, FakeGraphState]) -> FakeGraphState:
    state = server[1]
    state.reset()
    state.add_token(TOKEN, ACCOUNT)
    return state


@pytest.fixture
async def client(server: tuple[str, FakeGraphState]) -> AsyncIterator[GraphClient]:
    async with GraphClient(server[0], "v25.0") as graph:
        yield graph


async def test_profile_success(client: GraphClient, fake: FakeGraphState) -> None:
    fake.set_profile(
        FakeProfile(
            igsid="7523146982351467",
            name="Ana Souza",
            username="ana.linen",
            profile_pic="https://scontent.cdninstagram.com/v/t51/ana.jpg",
            follower_count=1234,
            is_user_follow_business=True,
            is_business_follow_user=False,
            is_verified_user=False,
        )
    )
    profile = await client.get_user_profile("7523146982351467", TOKEN)
    assert profile == UserProfile(
        name="Ana Souza",
        username="ana.linen",
        profile_pic="https://scontent.cdninstagram.com/v/t51/ana.jpg",
        follower_count=1234,
        is_user_follow_business=True,
        is_business_follow_user=False,
        is_verified_user=False,
    )


async def test_profile_with_null_name(client: GraphClient, fake: FakeGraphState) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="only_username"))
    assert await client.get_user_profile("42", TOKEN) == UserProfile(username="only_username")


async def test_token_travels_in_the_header_never_in_the_url(
    client: GraphClient, fake: FakeGraphState
) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="u"))
    await client.get_user_profile("42", TOKEN)
    [request] = fake.requests()
    assert (request.method, request.path, request.query_string) == (
        "GET",
        "/v25.0/42",
        PROFILE_QUERY,
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in request.path + request.query_string
    assert "access_token" not in request.query


async def test_consent_required(client: GraphClient, fake: FakeGraphState) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="commenter", consent=False))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", TOKEN)
    error = caught.value
    assert (error.code, error.subcode, error.http_status, error.type) == (
        230, None, 400, "OAuthException"
    )  # fmt: skip
    assert error.message == "User consent is required to access user profile"
    assert is_consent_required(error) and is_permission(error) and not is_token_dead(error)
    assert error.fbtrace_id


async def test_blocked_user(client: GraphClient, fake: FakeGraphState) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="blocker", blocked=True))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", TOKEN)
    assert (caught.value.code, caught.value.subcode, caught.value.type) == (
        100, 33, "GraphMethodException"
    )  # fmt: skip
    assert "Object with ID '42' does not exist" in caught.value.message


async def test_profile_of_another_business_is_invisible(
    client: GraphClient, fake: FakeGraphState
) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="u", account_ig_id="17841409876543210"))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", TOKEN)
    assert (caught.value.code, caught.value.subcode) == (100, 33)


async def test_invalid_token(client: GraphClient, fake: FakeGraphState) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="u"))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", "not-a-registered-token")
    assert (caught.value.code, caught.value.subcode, caught.value.http_status) == (190, None, 400)
    assert is_token_dead(caught.value) and not caught.value.is_transient


async def test_expired_token(client: GraphClient, fake: FakeGraphState) -> None:
    fake.add_token("expired-token", ACCOUNT, expired=True)
    fake.set_profile(FakeProfile(igsid="42", username="u"))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", "expired-token")
    assert (caught.value.code, caught.value.subcode) == (190, 463)
    assert is_token_dead(caught.value)


async def test_injected_server_error_then_recovery(
    client: GraphClient, fake: FakeGraphState
) -> None:
    fake.set_profile(FakeProfile(igsid="42", username="u"))
    fake.inject_failure(FailureRule(path_prefix="/v25.0/42", preset="server_error"))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", TOKEN)
    assert (caught.value.code, caught.value.http_status, caught.value.is_transient) == (
        1,
        500,
        True,
    )
    assert (await client.get_user_profile("42", TOKEN)).username == "u"


async def test_non_json_error_body(client: GraphClient, fake: FakeGraphState) -> None:
    fake.inject_failure(FailureRule(status=502, body="<html>Bad Gateway</html>"))
    with pytest.raises(GraphError) as caught:
        await client.get_user_profile("42", TOKEN)
    error = caught.value
    assert (error.code, error.http_status, error.is_transient) == (None, 502, True)
    assert "<html>Bad Gateway</html>" in error.message


async def test_ids_are_quoted_into_one_path_segment() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"username": "u"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        graph = GraphClient("https://graph.instagram.com", "v25.0", http=http)
        await graph.get_user_profile("42/messages?x=1", TOKEN)
        with pytest.raises(ValueError, match="must not be empty"):
            await graph.get_user_profile("", TOKEN)
    [request] = seen
    assert request.url.raw_path == b"/v25.0/42%2Fmessages%3Fx%3D1?" + PROFILE_QUERY.encode()
    assert request.url.host == "graph.instagram.com"


async def test_shared_http_client_is_not_closed(server: tuple[str, FakeGraphState]) -> None:
    async with httpx.AsyncClient() as http:
        graph = GraphClient(server[0] + "/", "/v25.0/", http=http)
        assert graph.url("42") == f"{server[0]}/v25.0/42"
        await graph.aclose()
        assert not http.is_closed


def test_silence_http_client_logs() -> None:
    logging.getLogger("httpx").setLevel(logging.INFO)
    silence_http_client_logs()
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING


# Error parsing and classification (section 6.4)


def error_json(code: int, subcode: int | None = None, **extra: object) -> bytes:
    error: dict[str, object] = {"message": "m", "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return json.dumps({"error": error}).encode()


def test_parse_graph_error_reads_every_field() -> None:
    body = error_json(
        10, 2534022, error_user_title="t", error_user_msg="u", fbtrace_id="AbC", is_transient=False
    )
    error = parse_graph_error(400, body)
    assert (error.code, error.subcode, error.message, error.type) == (
        10,
        2534022,
        "m",
        "OAuthException",
    )
    assert (error.user_title, error.user_message, error.fbtrace_id) == ("t", "u", "AbC")
    assert (error.http_status, error.is_transient) == (400, False)
    assert str(error) == "Graph API error 10/2534022 (HTTP 400): m"


def test_string_codes_are_tolerated() -> None:
    error = parse_graph_error(400, b'{"error":{"message":"x","code":"190","error_subcode":"460"}}')
    assert (error.code, error.subcode) == (190, 460)


def test_meta_transient_flag_wins() -> None:
    assert parse_graph_error(500, error_json(1, is_transient=False)).is_transient is False
    assert parse_graph_error(400, error_json(100, is_transient=True)).is_transient is True
    assert parse_graph_error(400, error_json(2)).is_transient is True
    assert parse_graph_error(400, error_json(100)).is_transient is False


@pytest.mark.parametrize(
    ("code", "subcode", "expected"),
    [
        (4, None, {"throttling"}),
        (17, None, {"throttling"}),
        (32, None, {"throttling"}),
        (613, None, {"throttling"}),
        (80002, None, {"throttling"}),
        (190, 463, {"token_dead"}),
        (10, 2534022, {"window_closed"}),
        (10, 2018278, {"window_closed"}),
        (10, 1893063, set()),
        (551, 1545041, {"user_unavailable"}),
        (200, 2534041, {"permission"}),
        (299, None, {"permission"}),
        (230, None, {"permission", "consent"}),
        (300, None, set()),
        (100, 2534014, set()),
    ],
)
def test_classification(code: int, subcode: int | None, expected: set[str]) -> None:
    error = parse_graph_error(400, error_json(code, subcode))
    checks = {
        "throttling": is_throttling,
        "token_dead": is_token_dead,
        "window_closed": is_window_closed,
        "user_unavailable": is_user_unavailable,
        "permission": is_permission,
        "consent": is_consent_required,
    }
    assert {name for name, check in checks.items() if check(error)} == expected


@pytest.mark.parametrize("body", [b"", b"<html>oops</html>", b'{"data":[]}', b'{"error":"x"}'])
def test_unparseable_error_bodies(body: bytes) -> None:
    error = parse_graph_error(503, body)
    assert (error.code, error.subcode, error.http_status, error.is_transient) == (
        None,
        None,
        503,
        True,
    )
    assert not is_permission(error)


async def test_a_nul_in_a_profile_becomes_the_replacement_character(
    client: GraphClient, fake: FakeGraphState
) -> None:
    """Postgres text cannot hold U+0000: the contact is stored with U+FFFD instead of the
    profile fetch failing on every try."""
    fake.set_profile(FakeProfile(igsid="42", name="Ana\u0000", username="ana\u0000x"))
    profile = await client.get_user_profile("42", TOKEN)
    assert (profile.name, profile.username) == ("Ana\ufffd", "ana\ufffdx")
