"""In-memory state of the fake Graph API, shared by every route area and the control API.

Tests often touch the state from their own thread while the server runs in another, so
every mutation goes through one lock.
"""

import threading
import time
from typing import Any

import msgspec
from litestar.di import NamedDependency

from wazify.fakemeta.threads import FakeHistory


class FakeProfile(msgspec.Struct):
    """A customer as the User Profile API would show them, plus how the fake should behave."""

    igsid: str
    name: str | None = None
    username: str | None = None
    profile_pic: str | None = None
    follower_count: int | None = None
    is_user_follow_business: bool | None = None
    is_business_follow_user: bool | None = None
    is_verified_user: bool | None = None
    # When set, only tokens of this business can read the profile (IGSIDs are per business).
    account_ig_id: str | None = None
    # False: the person never messaged the business, so Meta answers code 230.
    consent: bool = True
    # True: the person blocked the business and the profile is unavailable.
    blocked: bool = False


class FakeToken(msgspec.Struct):
    token: str
    ig_id: str
    expired: bool = False


class FailureRule(msgspec.Struct):
    """Answer the next `count` matching requests with an error, a raw status, or a delay.

    Exactly how: `preset` (a name from fakemeta.errors.PRESETS), else `error` (fields of
    Meta's error object), else `body` (raw text), else `status` alone (a generic Meta error);
    with none of those, only `delay` seconds are added and the request proceeds.
    `deliver`: the request is still carried out (a message is sent and echoed) and only
    its answer is replaced: Meta's "5xx, but it went out".
    """

    path_prefix: str = "/"
    method: str | None = None
    count: int = 1
    status: int | None = None
    preset: str | None = None
    error: dict[str, Any] | None = None
    body: str | None = None
    delay: float = 0.0
    deliver: bool = False
    # Let this many matching requests through first (a token that dies mid-import).
    skip: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)


class RecordedRequest(msgspec.Struct):
    method: str
    path: str
    # Last value wins; query_string has everything verbatim.
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    body: str
    at: float = msgspec.field(default_factory=time.time)


class SentMessage(msgspec.Struct):
    """A message the Send API accepted (sender actions are kept as SenderAction)."""

    mid: str
    ig_id: str
    recipient_id: str
    message: dict[str, Any]
    tag: str | None = None
    at: float = msgspec.field(default_factory=time.time)


class SenderAction(msgspec.Struct):
    ig_id: str
    recipient_id: str
    action: str
    payload: dict[str, Any] | None = None
    at: float = msgspec.field(default_factory=time.time)


class Messaging(msgspec.Struct):
    """How the fake talks back: signed webhooks to `webhook_url`, as Meta would.

    `echo_before` is the share of sends whose echo is delivered before the Send API
    answers (Meta does that sometimes), `echo_lead` the pause between the two; with
    `read_receipts` the customer "reads" each message `read_after` seconds after its echo.
    """

    webhook_url: str | None = None
    app_secret: str = ""
    echo_before: float = 0.0
    echo_lead: float = 0.2
    read_receipts: bool = False
    read_after: float = 0.05
    # How long an undeliverable webhook is retried (Meta keeps trying for hours).
    webhook_retry_seconds: float = 60.0


class FakeGraphState:
    """Everything the fake knows. A plain class: handlers receive it as an opaque dependency."""

    def __init__(self) -> None:
        self.profiles: dict[str, FakeProfile] = {}
        self.tokens: dict[str, FakeToken] = {}
        self.failures: list[FailureRule] = []
        self.recorded: list[RecordedRequest] = []
        self.messaging = Messaging()
        self.sent: list[SentMessage] = []
        self.actions: list[SenderAction] = []
        # The Conversations API's threads (fakemeta.threads, fakemeta.conversations).
        self.history = FakeHistory()
        self._lock = threading.Lock()

    def set_profile(self, profile: FakeProfile) -> None:
        with self._lock:
            self.profiles[profile.igsid] = profile

    def add_token(self, token: str, ig_id: str, expired: bool = False) -> FakeToken:
        entry = FakeToken(token=token, ig_id=ig_id, expired=expired)
        with self._lock:
            self.tokens[token] = entry
        return entry

    def inject_failure(self, rule: FailureRule) -> None:
        with self._lock:
            self.failures.append(rule)

    def take_failure(self, method: str, path: str) -> FailureRule | None:
        """Consume one use of the first rule matching the request, if any."""
        with self._lock:
            for index, rule in enumerate(self.failures):
                if rule.matches(method, path):
                    if rule.skip > 0:
                        rule.skip -= 1
                        return None
                    rule.count -= 1
                    if rule.count <= 0:
                        del self.failures[index]
                    return rule
        return None

    def configure_messaging(self, messaging: Messaging) -> None:
        with self._lock:
            self.messaging = messaging

    def add_sent(self, item: SentMessage | SenderAction) -> None:
        with self._lock:
            if isinstance(item, SentMessage):
                self.sent.append(item)
            else:
                self.actions.append(item)

    def sent_messages(self) -> list[SentMessage]:
        with self._lock:
            return list(self.sent)

    def sender_actions(self) -> list[SenderAction]:
        with self._lock:
            return list(self.actions)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.recorded.append(request)

    def requests(self, path_prefix: str = "") -> list[RecordedRequest]:
        """A snapshot of the Graph requests received (control-API calls are not recorded)."""
        with self._lock:
            return [request for request in self.recorded if request.path.startswith(path_prefix)]

    def reset(self) -> None:
        with self._lock:
            self.profiles.clear()
            self.tokens.clear()
            self.failures.clear()
            self.recorded.clear()
            self.sent.clear()
            self.actions.clear()
            self.messaging = Messaging()
        self.history.reset()


# How route handlers ask for the state: `fake: Fake` (provided by create_fake_graph).
Fake = NamedDependency[FakeGraphState]
