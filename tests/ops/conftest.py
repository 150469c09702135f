"""Fixtures for operations: the replies' live world (the app on a real port, the fake Graph
API, a shop with an agent and a customer who just wrote), with /metrics turned on."""

from __future__ import annotations

import json

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.replies.conftest import (  # noqa: F401 (fixtures)
    fake,
    fake_graph,
    live,
    password_hash,
    rt,
    shop,
)
from wazify.fakemeta.state import FakeGraphState
from wazify.settings import Settings

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def send_settings(
    settings: Settings,
    fake_graph: tuple[str, FakeGraphState],  # noqa: F811 (the fixture imported above)
) -> Settings:
    return msgspec.structs.replace(
        settings,
        meta_graph_url=fake_graph[0],
        send_timeout_seconds=1.0,
        send_unknown_deadline_seconds=2,
        metrics_token=METRICS_TOKEN,
    )


def parse_samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by its name and labels."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def json_lines(text: str) -> list[dict]:
    """Each non-empty line must be one JSON object."""
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(item, dict) for item in parsed)
    return parsed
