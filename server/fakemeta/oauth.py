"""Fake Instagram Login and subscribed_apps (PLATFORM.md sections 7.1 and 4.2).

- `GET /oauth/authorize`: the consent page, simulated: it redirects at once to the
  redirect_uri with a one-use `code` (suffixed `#_` as Instagram does) for the next
  configured login, or with `error=access_denied` when that login is a cancellation.
- `POST /oauth/access_token` (form): the code for a short-lived token (the current
  `{"data": [...]}` shape).
- `GET /access_token?grant_type=ig_exchange_token`: short-lived for long-lived (60 days).
- `GET /refresh_access_token?grant_type=ig_refresh_token`: Meta's rules: the token must be
  at least 24 h old and not expired.
- `GET /{version}/me`: the account the token belongs to.
- `GET/POST/DELETE /{version}/{ig_id}/subscribed_apps`.

Tests configure it through `oauth_state(fake)` (FakeOAuth): the accounts that can log in,
the next login, token ages; `drop_subscription` simulates Meta unsubscribing after an outage.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_302_FOUND

from wazify.fakemeta.auth import authenticate
from wazify.fakemeta.errors import MetaApiError, invalid_token, object_unavailable, unknown_path
from wazify.fakemeta.profiles import VERSION
from wazify.fakemeta.state import Fake, FakeGraphState

LONG_LIVED_SECONDS = 60 * 24 * 3600
SHORT_LIVED_SECONDS = 3600
MIN_REFRESH_AGE_SECONDS = 24 * 3600
ME_FIELDS = frozenset({"id", "user_id", "username", "name", "profile_picture_url", "account_type"})


@dataclass
class FakeIgAccount:
    """A professional account that can log in (its /me answer)."""

    ig_id: str
    username: str
    name: str = ""
    profile_picture_url: str | None = None
    account_type: str = "BUSINESS"
    # The app-scoped user id the code exchange names (for deauthorize callbacks).
    user_id: str = ""
    permissions: tuple[str, ...] = (
        "instagram_business_basic",
        "instagram_business_manage_messages",
    )


@dataclass
class TokenInfo:
    ig_id: str
    issued_at: float
    expires_at: float
    long_lived: bool


@dataclass
class FakeOAuth:
    app_id: str = ""
    app_secret: str = ""
    accounts: dict[str, FakeIgAccount] = field(default_factory=dict)
    # What the consent page does next: an ig_id logs in, None cancels.
    next_login: list[str | None] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code -> ig_id
    used_codes: set[str] = field(default_factory=set)
    tokens: dict[str, TokenInfo] = field(default_factory=dict)
    subscriptions: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_account(self, account: FakeIgAccount) -> FakeIgAccount:
        with self.lock:
            self.accounts[account.ig_id] = account
        return account

    def login_as(self, ig_id: str | None) -> None:
        """The next visit of the consent page logs in as `ig_id` (None: the user cancels)."""
        with self.lock:
            self.next_login.append(ig_id)

    def issue(
        self,
        fake: FakeGraphState,
        ig_id: str,
        *,
        long_lived: bool = True,
        age: float = 0.0,
        lifetime: float | None = None,
    ) -> str:
        """A token for `ig_id`, `age` seconds old, valid `lifetime` seconds from issue."""
        prefix = "IGAA" if long_lived else "IGQ"
        token = f"{prefix}{secrets.token_urlsafe(24)}"
        now = time.time()
        if lifetime is None:
            lifetime = LONG_LIVED_SECONDS if long_lived else SHORT_LIVED_SECONDS
        with self.lock:
            self.tokens[token] = TokenInfo(ig_id, now - age, now - age + lifetime, long_lived)
        fake.add_token(token, ig_id)
        return token

    def set_age(self, token: str, age: float, lifetime: float = LONG_LIVED_SECONDS) -> None:
        now = time.time()
        with self.lock:
            info = self.tokens[token]
            info.issued_at, info.expires_at = now - age, now - age + lifetime

    def revoke(self, fake: FakeGraphState, token: str) -> None:
        """The user removed the app or a permission: the token is dead (error 190)."""
        with self.lock:
            self.tokens.pop(token, None)
        with fake._lock:
            fake.tokens.pop(token, None)

    def drop_subscription(self, ig_id: str) -> None:
        """Meta unsubscribed the app (an hour of failed deliveries)."""
        with self.lock:
            self.subscriptions.pop(ig_id, None)

    def reset(self) -> None:
        with self.lock:
            self.accounts.clear()
            self.next_login.clear()
            self.codes.clear()
            self.used_codes.clear()
            self.tokens.clear()
            self.subscriptions.clear()
            self.app_id = self.app_secret = ""


_ATTACH_LOCK = threading.Lock()


def oauth_state(fake: FakeGraphState) -> FakeOAuth:
    """The OAuth side of a fake Graph's state (attached on first use)."""
    with _ATTACH_LOCK:
        found = getattr(fake, "oauth", None)
        if not isinstance(found, FakeOAuth):
            found = FakeOAuth()
            fake.oauth = found  # type: ignore[attr-defined]
        return found


def _oauth_error(message: str, code: int = 400) -> MetaApiError:
    return MetaApiError(400, message, code)


def _check_client(oauth: FakeOAuth, client_id: str | None, secret: str | None) -> None:
    if oauth.app_id and client_id is not None and client_id != oauth.app_id:
        raise _oauth_error("Invalid platform app", 400)
    if oauth.app_secret and secret is not None and secret != oauth.app_secret:
        raise _oauth_error("Error validating client secret.", 1)


def _live_token(fake: FakeGraphState, request: Request, token: str | None = None) -> TokenInfo:
    oauth = oauth_state(fake)
    if token is None:
        registered = authenticate(request, fake)
        token = registered.token
    info = oauth.tokens.get(token)
    if info is None:
        if token in fake.tokens and not fake.tokens[token].expired:
            # A token registered directly on FakeGraphState: long-lived, brand new.
            now = time.time()
            return TokenInfo(fake.tokens[token].ig_id, now, now + LONG_LIVED_SECONDS, True)
        raise invalid_token()
    if info.expires_at <= time.time():
        raise MetaApiError(400, "Error validating access token: Session has expired.", 190, 463)
    return info


def _token_answer(token: str, lifetime: float) -> dict[str, Any]:
    return {"access_token": token, "token_type": "bearer", "expires_in": int(lifetime)}


class OAuthController(Controller):
    path = "/"

    @get("/oauth/authorize")
    async def authorize(
        self,
        request: Request,
        fake: Fake,
        client_id: FromQuery[str],
        redirect_uri: FromQuery[str],
    ) -> Response[str]:
        # `state` is a reserved handler argument name in Litestar: read it from the query.
        state = request.query_params.get("state", "")
        oauth = oauth_state(fake)
        _check_client(oauth, client_id, None)
        with oauth.lock:
            login = oauth.next_login.pop(0) if oauth.next_login else None
        if login is None:
            query = {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": "The user denied your request.",
                "state": state,
            }
            location = f"{redirect_uri}?{urlencode(query)}"
        else:
            code = secrets.token_urlsafe(32)
            with oauth.lock:
                oauth.codes[code] = login
            location = f"{redirect_uri}?{urlencode({'code': code, 'state': state})}#_"
        return Response("", status_code=HTTP_302_FOUND, headers={"Location": location})

    @post("/oauth/access_token", status_code=200)
    async def exchange_code(self, request: Request, fake: Fake) -> dict[str, Any]:
        oauth = oauth_state(fake)
        form = await request.form()
        _check_client(oauth, form.get("client_id"), str(form.get("client_secret") or ""))
        if form.get("grant_type") != "authorization_code":
            raise _oauth_error("Invalid grant_type")
        code = str(form.get("code") or "")
        with oauth.lock:
            ig_id = oauth.codes.pop(code, None)
            reused = code in oauth.used_codes
            oauth.used_codes.add(code)
        if ig_id is None:
            message = "This authorization code has been used" if reused else "Invalid code"
            raise _oauth_error(message)
        account = oauth.accounts[ig_id]
        token = oauth.issue(fake, ig_id, long_lived=False)
        item = {
            "access_token": token,
            "user_id": account.user_id or ig_id,
            "permissions": ",".join(account.permissions),
        }
        return {"data": [item]}

    @get("/access_token")
    async def long_lived(
        self,
        request: Request,
        fake: Fake,
        grant_type: FromQuery[str] = "",
        client_secret: FromQuery[str] = "",
        access_token: FromQuery[str] = "",
    ) -> dict[str, Any]:
        oauth = oauth_state(fake)
        if grant_type != "ig_exchange_token":
            raise _oauth_error("Unsupported grant_type", 100)
        _check_client(oauth, None, client_secret)
        info = _live_token(fake, request, access_token)
        token = oauth.issue(fake, info.ig_id)
        return _token_answer(token, LONG_LIVED_SECONDS)

    @get("/refresh_access_token")
    async def refresh(
        self,
        request: Request,
        fake: Fake,
        grant_type: FromQuery[str] = "",
        access_token: FromQuery[str] = "",
    ) -> dict[str, Any]:
        oauth = oauth_state(fake)
        if grant_type != "ig_refresh_token":
            raise _oauth_error("Unsupported grant_type", 100)
        info = _live_token(fake, request, access_token)
        if not info.long_lived:
            raise _oauth_error("A short-lived token cannot be refreshed", 100)
        if time.time() - info.issued_at < MIN_REFRESH_AGE_SECONDS:
            raise _oauth_error("The access token must be at least 24 hours old", 100)
        token = oauth.issue(fake, info.ig_id)
        return _token_answer(token, LONG_LIVED_SECONDS)

    @get("/{version:str}/me")
    async def me(
        self,
        request: Request,
        fake: Fake,
        version: FromPath[str],
        fields: FromQuery[str] = "user_id",
    ) -> dict[str, Any]:
        if not VERSION.fullmatch(version):
            raise unknown_path(request.url.path)
        info = _live_token(fake, request)
        account = oauth_state(fake).accounts.get(info.ig_id) or FakeIgAccount(
            ig_id=info.ig_id, username=f"account{info.ig_id}"
        )
        values = {
            "id": info.ig_id,
            "user_id": info.ig_id,
            "username": account.username,
            "name": account.name,
            "profile_picture_url": account.profile_picture_url,
            "account_type": account.account_type,
        }
        names = [name.strip() for name in fields.split(",") if name.strip()]
        for name in names:
            if name not in ME_FIELDS:
                raise MetaApiError(400, f"(#100) Tried accessing nonexisting field ({name})", 100)
        return {name: values[name] for name in names if values[name] is not None}


class SubscribedAppsController(Controller):
    path = "/{version:str}/{node_id:str}/subscribed_apps"

    @get("/")
    async def list_subscriptions(
        self, request: Request, fake: Fake, version: FromPath[str], node_id: FromPath[str]
    ) -> dict[str, Any]:
        oauth = self._check(request, fake, version, node_id, "get")
        with oauth.lock:
            fields = list(oauth.subscriptions.get(node_id, []))
        if not fields:
            return {"data": []}
        return {"data": [{"subscribed_fields": fields, "id": oauth.app_id or "0"}]}

    @post("/", status_code=200)
    async def subscribe(
        self, request: Request, fake: Fake, version: FromPath[str], node_id: FromPath[str]
    ) -> dict[str, Any]:
        oauth = self._check(request, fake, version, node_id, "post")
        form = await request.form()
        raw = form.get("subscribed_fields") or request.query_params.get("subscribed_fields")
        fields = [name.strip() for name in str(raw or "").split(",") if name.strip()]
        if not fields:
            raise MetaApiError(400, "(#100) The parameter subscribed_fields is required.", 100)
        with oauth.lock:
            oauth.subscriptions[node_id] = fields
        return {"success": True}

    @delete("/", status_code=200)
    async def unsubscribe(
        self, request: Request, fake: Fake, version: FromPath[str], node_id: FromPath[str]
    ) -> dict[str, Any]:
        oauth = self._check(request, fake, version, node_id, "delete")
        with oauth.lock:
            oauth.subscriptions.pop(node_id, None)
        return {"success": True}

    @staticmethod
    def _check(
        request: Request, fake: FakeGraphState, version: str, node_id: str, method: str
    ) -> FakeOAuth:
        if not VERSION.fullmatch(version):
            raise unknown_path(request.url.path)
        info = _live_token(fake, request)
        if node_id not in ("me", info.ig_id):
            raise object_unavailable(node_id, method)
        return oauth_state(fake)
