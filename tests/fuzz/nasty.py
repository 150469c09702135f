"""Schemathesis hooks for the fuzz stage (SCHEMATHESIS_HOOKS=tests.fuzz.nasty).

Schemathesis generates values that fit the schema, or break it by type; it rarely makes
the values that broke this app while fitting the schema's types: a NUL inside a string,
an integer past bigint, a time that leaves the calendar in UTC, a body nested thousands
deep. In its fuzzing phase, three in four generated bodies, query strings and path
parameters get one of their values (a leaf anywhere in a body) replaced by such a value.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests.support.json_tree import places, replaced

NASTY: list[Any] = [
    "\x00",
    "a\x00b",
    2**63,
    2**70,
    -(2**63) - 1,
    0,
    -1,
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "\u00b2",
    "9" * 5000,
    "\ufffd\u200b\U0001f600",
    1e308,
]


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


# Past the API's limit of 32 (thousands deep, past the decoder's stack, would also break
# Schemathesis's own recursion: tests/conversations/test_bad_input.py sends those).
DEEP = _nested(40)


def _mutated(value: Any, nasty: list[Any]) -> st.SearchStrategy:
    """The value as it is, or with one place (never the whole: a body, a query or path
    parameters stay an object) replaced by a nasty value."""
    inner = places(value)[1:] if isinstance(value, dict | list) else []
    if not inner:
        return st.just(value)
    mutation = st.tuples(st.sampled_from(inner), st.sampled_from(nasty)).map(
        lambda chosen: replaced(value, *chosen)
    )
    return st.one_of(mutation, mutation, mutation, st.just(value))  # mostly mutated


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy:
    return _mutated(body, [*NASTY, DEEP])


@schemathesis.hook
def flatmap_query(context: Any, query: dict[str, Any]) -> st.SearchStrategy:
    return _mutated(query, NASTY)


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    return _mutated(path_parameters, NASTY)
