"""Async client for the Graph API calls the inbox makes: user profiles, the Send API, the
Conversations API (history imports).

Tokens travel in the Authorization header, never in the URL, so that no access log,
proxy log or httpx INFO line can capture them.
"""

import logging
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from wazify.lib.inputs import replace_nul_escapes
from wazify.meta.conversations import (
    MESSAGE_FIELDS,
    THREADS_PER_PAGE,
    ApiMessage,
    ThreadDetail,
    ThreadsPage,
    thread_fields,
)
from wazify.meta.graph_errors import GraphError, parse_graph_error
from wazify.meta.send import MaybeSent, NotSent, SendResult

PROFILE_FIELDS = (
    "name",
    "username",
    "profile_pic",
    "follower_count",
    "is_user_follow_business",
    "is_business_follow_user",
    "is_verified_user",
)

ResponseT = TypeVar("ResponseT")


def is_token_text(token: str) -> bool:
    """Whether `token` can be an access token: one word of printable ASCII. Anything else
    cannot go in an HTTP header (httpx raises UnicodeEncodeError) and is no Meta token."""
    return bool(token) and all("!" <= char <= "~" for char in token)


class UserProfile(msgspec.Struct, frozen=True):
    """An Instagram user's profile as seen by one business (section 8.2); all optional."""

    id: str | None = None
    # name may be null: fall back to username.
    name: str | None = None
    username: str | None = None
    # An expiring CDN URL: copy the image or refetch periodically.
    profile_pic: str | None = None
    follower_count: int | None = None
    is_user_follow_business: bool | None = None
    is_business_follow_user: bool | None = None
    is_verified_user: bool | None = None


class GraphClient:
    """One Graph host and version (graph.instagram.com or graph.facebook.com).

    Network failures surface as httpx exceptions; answers Meta rejects as GraphError.
    """

    def __init__(
        self,
        base_url: str,
        version: str,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._version = version.strip("/")
        # A caller-provided client is shared (connection pool, test transport): not ours to close.
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)

    async def get_user_profile(self, igsid: str, token: str) -> UserProfile:
        """Profile of a customer by IGSID; GraphError 230 if they never messaged (consent)."""
        params = {"fields": ",".join(PROFILE_FIELDS)}
        return await self._call("GET", _node(igsid), token, UserProfile, params=params)

    async def list_conversations(
        self, token: str, *, after: str | None = None, limit: int = THREADS_PER_PAGE
    ) -> ThreadsPage:
        """One page of the account's threads, most recently active first."""
        params = {"platform": "instagram", "fields": "participants,updated_time"}
        params["limit"] = str(limit)
        if after:
            params["after"] = after
        return await self._call("GET", "me/conversations", token, ThreadsPage, params=params)

    async def thread_messages(self, conversation_id: str, token: str) -> ThreadDetail:
        """A thread's most recent messages (at most the 20 Meta lets anyone read)."""
        params = {"fields": thread_fields()}
        return await self._call("GET", _node(conversation_id), token, ThreadDetail, params=params)

    async def message_detail(self, message_id: str, token: str) -> ApiMessage:
        """One message in detail (only the 20 most recent of a thread can be read)."""
        params = {"fields": MESSAGE_FIELDS}
        return await self._call("GET", _node(message_id), token, ApiMessage, params=params)

    async def send_message(
        self, ig_id: str, token: str, body: dict[str, Any], read_timeout: float | None = None
    ) -> SendResult:
        """POST a Send API body (wazify.meta.send builds them) as the account `ig_id`.

        Raises NotSent when the request never reached Meta, MaybeSent when it may have
        (a timeout or a broken connection after sending), GraphError for Meta's refusals.
        """
        try:
            return await self._call(
                "POST",
                f"{_node(ig_id)}/messages",
                token,
                SendResult,
                json=body,
                read_timeout=read_timeout,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NotSent(_describe(exc)) from None
        except httpx.HTTPError as exc:
            raise MaybeSent(_describe(exc)) from None
        except GraphError as exc:
            if 200 <= exc.http_status < 300:  # accepted, but the answer is unreadable
                raise MaybeSent("unreadable answer to an accepted send") from None
            raise

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "GraphClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def url(self, path: str) -> str:
        """Absolute URL of a Graph path such as "<igsid>" or "<ig_id>/messages"."""
        return f"{self._base_url}/{self._version}/{path.lstrip('/')}"

    async def _call(
        self,
        method: str,
        path: str,
        token: str,
        response_type: type[ResponseT],
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        read_timeout: float | None = None,
    ) -> ResponseT:
        """Send one authenticated request and decode the success body into `response_type`.

        The building block for later calls (send_message, sender actions, subscriptions).
        """
        response = await self._http.request(
            method,
            self.url(path),
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=_timeout(read_timeout),
        )
        if not response.is_success:
            raise parse_graph_error(response.status_code, response.content)
        return _decode(response, response_type)


def silence_http_client_logs() -> None:
    """httpx logs every request URL at INFO; keep httpx and httpcore at WARNING and above."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _timeout(seconds: float | None) -> Any:
    if seconds is None:
        return httpx.USE_CLIENT_DEFAULT
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def _describe(exc: Exception) -> str:
    # httpx's messages name no URL; the class tells a connect error from a read timeout.
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {detail}"[:200] if detail else type(exc).__name__


def _node(node_id: str) -> str:
    # Quote everything so that an id from a webhook can never add path segments or a query.
    if not node_id:
        raise ValueError("a Graph node id must not be empty")
    return quote(node_id, safe="")


def _decode(response: httpx.Response, response_type: type[ResponseT]) -> ResponseT:
    try:
        return msgspec.json.decode(replace_nul_escapes(response.content), type=response_type)
    except msgspec.DecodeError as exc:
        raise GraphError(
            f"unexpected Graph response body: {exc}",
            http_status=response.status_code,
        ) from exc
