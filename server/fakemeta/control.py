"""Control API under /_fake/: lets tests, other processes and the demo drive the fake."""

from typing import Any

from litestar import Controller, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, JSONBody

from wazify.fakemeta.errors import PRESETS
from wazify.fakemeta.state import (
    FailureRule,
    Fake,
    FakeProfile,
    FakeToken,
    RecordedRequest,
)

CONTROL_PREFIX = "/_fake"


class ControlController(Controller):
    path = CONTROL_PREFIX

    @post("/profiles", status_code=200)
    async def set_profile(self, data: JSONBody[FakeProfile], fake: Fake) -> FakeProfile:
        fake.set_profile(data)
        return data

    @post("/tokens", status_code=200)
    async def add_token(self, data: JSONBody[FakeToken], fake: Fake) -> FakeToken:
        return fake.add_token(data.token, data.ig_id, data.expired)

    @post("/fail", status_code=200)
    async def inject_failure(self, data: JSONBody[FailureRule], fake: Fake) -> FailureRule:
        _check_rule(data)
        fake.inject_failure(data)
        return data

    @get("/requests")
    async def list_requests(
        self, fake: Fake, path_prefix: FromQuery[str] = ""
    ) -> list[RecordedRequest]:
        return fake.requests(path_prefix)

    @post("/reset", status_code=200)
    async def reset(self, fake: Fake) -> dict[str, Any]:
        fake.reset()
        return {"success": True}


def _check_rule(rule: FailureRule) -> None:
    # Refuse nonsense at injection time, where the caller sees why, not at match time.
    if rule.preset is not None and rule.preset not in PRESETS:
        raise ValidationException(f"unknown preset {rule.preset!r}; known: {sorted(PRESETS)}")
    if rule.count < 1:
        raise ValidationException("count must be at least 1")
    if rule.delay < 0:
        raise ValidationException("delay must not be negative")
    if rule.status is not None and not 100 <= rule.status <= 599:
        raise ValidationException("status must be an HTTP status code")
