"""Fixtures for auto-assignment across processes: the replies' world (the session's
runtime with settings naming the fake Graph API, which the servers' profile fetcher asks)."""

from tests.replies.conftest import (  # noqa: F401 (fixtures)
    fake,
    fake_graph,
    password_hash,
    rt,
    send_settings,
)
