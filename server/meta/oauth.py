"""Instagram Login (PLATFORM.md section 7.1) and webhook subscriptions (section 4.2).

Tokens travel in the Authorization header or in POST form bodies wherever Meta allows it.
Two endpoints take the token in the query string by design (the long-lived exchange and
the refresh on graph.instagram.com): so this module never logs a URL, never includes one
in an exception, and keeps httpx/httpcore quiet (silence_http_client_logs).
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
import msgspec

from wazify.lib.inputs import replace_nul_escapes
from wazify.meta.graph_client import silence_http_client_logs
from wazify.meta.graph_errors import GraphError, parse_graph_error

SCOPES = ("instagram_business_basic", "instagram_business_manage_messages")
# The webhook fields the inbox handles (section 4.2, IG Login names).
WEBHOOK_FIELDS = (
    "messages",
    "message_reactions",
    "messaging_seen",
    "messaging_postbacks",
    "messaging_referral",
    "message_edit",
)
ME_FIELDS = "user_id,username,name,profile_picture_url,account_type"

T = TypeVar("T")


class ShortLivedToken(msgspec.Struct, frozen=True):
    access_token: str = msgspec.field(default="")
    user_id: str = ""
    permissions: tuple[str, ...] = ()

    def __repr__(self) -> str:  # never show the token
        return f"ShortLivedToken(user_id={self.user_id!r}, permissions={self.permissions!r})"


class LongLivedToken(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int = 0

    def __repr__(self) -> str:
        return f"LongLivedToken(expires_in={self.expires_in!r})"


class InstagramMe(msgspec.Struct, frozen=True):
    """The connected professional account; `user_id` is the IGID webhooks name in entry.id."""

    user_id: str = ""
    id: str | None = None
    username: str = ""
    name: str = ""
    profile_picture_url: str | None = None
    account_type: str | None = None


class _ShortItem(msgspec.Struct):
    access_token: str = ""
    user_id: int | str = ""
    permissions: str | list[str] = ""


class _ShortBody(msgspec.Struct):
    data: list[_ShortItem] | None = None
    access_token: str = ""
    user_id: int | str = ""
    permissions: str | list[str] = ""


class _MeBody(msgspec.Struct):
    user_id: int | str = ""
    id: str | None = None
    username: str = ""
    name: str = ""
    profile_picture_url: str | None = None
    account_type: str | None = None


class _Subscription(msgspec.Struct):
    subscribed_fields: list[str] = []


class _Subscriptions(msgspec.Struct):
    data: list[_Subscription] = []


class _Success(msgspec.Struct):
    success: bool = False


class _IgOAuthError(msgspec.Struct):
    """api.instagram.com's own error shape: {"error_type", "code", "error_message"}."""

    error_type: str
    error_message: str = ""
    code: int | None = None


class OAuthClient:
    """Instagram Login and subscribed_apps for one app (id and Instagram app secret)."""

    def __init__(
        self,
        *,
        graph_url: str,
        version: str,
        authorize_url: str,
        token_url: str,
        app_id: str,
        app_secret: str,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10,
    ) -> None:
        silence_http_client_logs()
        self._graph = graph_url.rstrip("/")
        self._version = version.strip("/")
        self._authorize_url = authorize_url
        self._token_url = token_url
        self._app_id = app_id
        self._app_secret = app_secret
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)

    def __repr__(self) -> str:
        return f"OAuthClient(graph={self._graph!r}, app_id={self._app_id!r})"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> OAuthClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def authorize_url(self, redirect_uri: str, state: str, scopes: tuple[str, ...] = SCOPES) -> str:
        query = urlencode(
            {
                "client_id": self._app_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": ",".join(scopes),
                "state": state,
                "enable_fb_login": "0",
                "force_reauth": "true",
            }
        )
        return f"{self._authorize_url}?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> ShortLivedToken:
        """Step 3: the code (valid 1 h, once) for a short-lived token (a form POST)."""
        code = code.strip().removesuffix("#_")
        form = {
            "client_id": self._app_id,
            "client_secret": self._app_secret,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code": code,
        }
        body = await self._request("POST", self._token_url, _ShortBody, data=form)
        item: Any = body.data[0] if body.data else body
        if not item.access_token:
            raise GraphError("the code exchange returned no access token", http_status=200)
        return ShortLivedToken(
            access_token=item.access_token,
            user_id=str(item.user_id),
            permissions=_permissions(item.permissions),
        )

    async def exchange_long_lived(self, short_token: str) -> LongLivedToken:
        """Step 4: short-lived for long-lived (60 days). The token rides in the query, as
        Meta requires: nothing here logs the URL."""
        params = {
            "grant_type": "ig_exchange_token",
            "client_secret": self._app_secret,
            "access_token": short_token,
        }
        return await self._request(
            "GET", f"{self._graph}/access_token", LongLivedToken, params=params
        )

    async def refresh(self, long_token: str) -> LongLivedToken:
        """Step 5: a fresh 60 days (token at least 24 h old and not yet expired)."""
        params = {"grant_type": "ig_refresh_token", "access_token": long_token}
        return await self._request(
            "GET", f"{self._graph}/refresh_access_token", LongLivedToken, params=params
        )

    async def me(self, token: str) -> InstagramMe:
        """Step 6: who the token belongs to (also the token validity check)."""
        body = await self._request(
            "GET", self._url("me"), _MeBody, params={"fields": ME_FIELDS}, token=token
        )
        user_id = str(body.user_id or body.id or "")
        if not user_id:
            raise GraphError("the /me answer names no user_id", http_status=200)
        return InstagramMe(
            user_id=user_id,
            id=body.id,
            username=body.username,
            name=body.name,
            profile_picture_url=body.profile_picture_url,
            account_type=body.account_type,
        )

    async def subscribed_fields(self, ig_id: str, token: str) -> list[str]:
        """The fields this app is subscribed to for the account ([] when unsubscribed)."""
        body = await self._request("GET", self._subscribed(ig_id), _Subscriptions, token=token)
        fields: list[str] = []
        for item in body.data:
            fields.extend(name for name in item.subscribed_fields if name not in fields)
        return fields

    async def subscribe(
        self, ig_id: str, token: str, fields: tuple[str, ...] = WEBHOOK_FIELDS
    ) -> None:
        form = {"subscribed_fields": ",".join(fields)}
        body = await self._request(
            "POST", self._subscribed(ig_id), _Success, data=form, token=token
        )
        if not body.success:
            raise GraphError("Meta did not confirm the webhook subscription", http_status=200)

    async def unsubscribe(self, ig_id: str, token: str) -> None:
        await self._request("DELETE", self._subscribed(ig_id), _Success, token=token)

    def _url(self, path: str) -> str:
        return f"{self._graph}/{self._version}/{path}"

    def _subscribed(self, ig_id: str) -> str:
        if not ig_id:
            raise ValueError("an Instagram account id must not be empty")
        return self._url(f"{quote(ig_id, safe='')}/subscribed_apps")

    async def _request(
        self,
        method: str,
        url: str,
        response_type: type[T],
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        token: str | None = None,
    ) -> T:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        try:
            response = await self._http.request(
                method, url, params=params, data=data, headers=headers
            )
        except httpx.HTTPError as exc:
            # httpx's messages name no URL; say only what kind of failure it was.
            raise GraphError(f"network error talking to Meta: {type(exc).__name__}") from None
        if not response.is_success:
            raise _error(response)
        try:
            return msgspec.json.decode(replace_nul_escapes(response.content), type=response_type)
        except msgspec.DecodeError as exc:
            raise GraphError(
                f"unexpected answer from Meta: {exc}", http_status=response.status_code
            ) from None


def _error(response: httpx.Response) -> GraphError:
    try:
        ig = msgspec.json.decode(response.content, type=_IgOAuthError)
    except msgspec.DecodeError:
        return parse_graph_error(response.status_code, response.content)
    return GraphError(
        ig.error_message or ig.error_type,
        code=ig.code,
        type=ig.error_type,
        http_status=response.status_code,
    )


def _permissions(value: str | list[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())
