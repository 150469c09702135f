"""deploy/grafana-dashboard.json reads only metrics the app exports, and shows all of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from tests.ops.conftest import parse_samples
from wazify.ops import metrics
from wazify.ops.exposition import scrape_time_metrics
from wazify.ops.queries import DatabaseFacts

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"
METRIC_NAME = re.compile(r"\bwazify_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", ())]


def dashboard_metric_names() -> set[str]:
    return {name for expr in dashboard_exprs() for name in METRIC_NAME.findall(expr)}


def exported_names() -> dict[str, set[str]]:
    """Family name -> the sample names it exports: the process's metrics (labelled ones
    included before their first sample) and the scrape-time facts."""
    families: dict[str, set[str]] = {}
    for item in vars(metrics).values():
        if isinstance(item, MetricWrapperBase):
            for family in item.describe():
                families[family.name] = {family.name + end for end in SUFFIXES[family.type]}
    facts = DatabaseFacts(1, 0, 2.5, 0.0, {"pending": 1, "sending": 0, "unknown": 0})
    for name, _ in parse_samples(scrape_time_metrics(facts, True).decode()):
        families.setdefault(name, set()).add(name)
    return families


def test_the_dashboard_is_valid_json_with_a_query_per_panel() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] == "Wazify"
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["targets"] and all(target["expr"] for target in panel["targets"])
            assert panel["datasource"]["uid"] == "${datasource}"


def test_every_expr_names_an_exported_metric() -> None:
    exported = set().union(*exported_names().values())
    for expr in dashboard_exprs():
        names = METRIC_NAME.findall(expr)
        assert names, expr
        assert set(names) <= exported, f"not exported: {set(names) - exported} in {expr}"


def test_every_exported_family_has_a_panel() -> None:
    used = dashboard_metric_names()
    for family, names in exported_names().items():
        assert names & used, f"no panel reads {family}"
