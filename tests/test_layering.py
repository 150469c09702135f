"""The dependency rules of ARCHITECTURE.md ("Layout"), checked by scanning imports.

Every import statement counts, including those inside functions and `if TYPE_CHECKING:`
blocks: a layer that may not depend on another may not name it at all.

Rules (each encodes a sentence of the architecture):
- lib/ has no domain knowledge: it imports nothing of wazify but wazify.lib.
- meta/ is pure Meta knowledge: wazify.meta and wazify.lib only.
- db/ imports nothing from server/: wazify.db only.
- views.py (the shared row shapes), settings.py and realtime/events.py (the wire contract)
  sit at the bottom: wazify.lib and wazify.views only.
- routes never write tables: no routes module imports wazify.db (nor asyncpg).
- actions never import routes, the websocket layer, the app or the CLI, and never call the
  network (no HTTP client, no Graph API client, no Litestar).
- only the write path publishes logged events: wazify.realtime.broker is imported by
  actions, realtime and the runtime that owns the broker, nobody else.
- routes are wired in app.py only; the app is started by the CLI only; nothing imports the
  CLI; the fake Meta (fakemeta) is for tests and the demo, never the product.
- nothing imports db/piccolo_conf.py: it is Piccolo's entry point (its CLI, and its migration
  code looking up an engine); the runtime binds its own engine at start-up.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"wazify": ROOT / "server", "wazify.db": ROOT / "db"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. wazify.actions.members
    target: str  # what it imports, e.g. wazify.lib.errors
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    for package, folder in sorted(FOLDERS.items(), key=lambda item: -len(item[0])):
        if path.is_relative_to(folder):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            return ".".join([package, *parts])
    raise ValueError(path)


def source_files() -> list[Path]:
    files: list[Path] = []
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            if package == "wazify" and path.is_relative_to(FOLDERS["wazify.db"]):
                continue
            files.append(path)
    return files


def imports_of(module: str, source: str, is_package: bool = False) -> list[Import]:
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(module, base, node.lineno))
            # `from wazify.auth import sessions` imports the module wazify.auth.sessions
            found += [Import(module, f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def all_imports() -> list[Import]:
    found: list[Import] = []
    for path in source_files():
        found += imports_of(module_name(path), path.read_text(), path.name == "__init__.py")
    return found


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def is_routes(name: str) -> bool:
    return name.split(".")[-1] == "routes" or ".routes." in name


def known_modules() -> set[str]:
    return {module_name(path) for path in source_files()}


def wazify_targets(imports: Iterable[Import]) -> list[Import]:
    """Imports of wazify modules (a `from x import name` counts when name is a module)."""
    modules = known_modules()
    kept = []
    for item in imports:
        if not within(item.target, "wazify"):
            continue
        if item.target in modules or item.target == "wazify":
            kept.append(item)
    return kept


@dataclass(frozen=True)
class Rule:
    name: str
    applies_to: Callable[[str], bool]
    forbidden: Callable[[Import], bool]


def only(*allowed: str) -> Callable[[Import], bool]:
    return lambda item: within(item.target, "wazify") and not within(item.target, *allowed)


def any_of(*packages: str) -> Callable[[Import], bool]:
    return lambda item: within(item.target, *packages)


RULES = [
    Rule("lib imports only wazify.lib", lambda m: within(m, "wazify.lib"), only("wazify.lib")),
    Rule(
        "meta imports only wazify.meta and wazify.lib",
        lambda m: within(m, "wazify.meta"),
        only("wazify.meta", "wazify.lib"),
    ),
    Rule("db imports only wazify.db", lambda m: within(m, "wazify.db"), only("wazify.db")),
    Rule(
        "views, settings and realtime.events import only lib and views",
        lambda m: m in {"wazify.views", "wazify.settings", "wazify.realtime.events"},
        only("wazify.lib", "wazify.views"),
    ),
    Rule("routes import no wazify.db and no asyncpg", is_routes, any_of("wazify.db", "asyncpg")),
    Rule(
        "actions import no routes, ws, app, cli, HTTP server or client",
        lambda m: within(m, "wazify.actions"),
        lambda item: (
            is_routes(item.target)
            or within(
                item.target,
                "wazify.realtime.ws",
                "wazify.app",
                "wazify.cli",
                "wazify.meta.graph_client",
                "wazify.fakemeta",
                "litestar",
                "httpx",
                "aiohttp",
                "requests",
            )
        ),
    ),
    Rule(
        "only actions, realtime and the runtime import the broker",
        lambda m: not within(m, "wazify.actions", "wazify.realtime", "wazify.runtime"),
        any_of("wazify.realtime.broker"),
    ),
    Rule(
        "routes modules are wired by app.py only",
        lambda m: m != "wazify.app",
        lambda item: within(item.target, "wazify") and is_routes(item.target),
    ),
    Rule(
        "the app is started by the CLI only",
        lambda m: not within(m, "wazify.cli", "wazify.app"),
        any_of("wazify.app"),
    ),
    Rule(
        "nothing imports the CLI",
        lambda m: not within(m, "wazify.cli"),
        any_of("wazify.cli"),
    ),
    Rule(
        "the fake Meta is for tests and the demo only",
        lambda m: not within(m, "wazify.fakemeta", "wazify.cli"),
        any_of("wazify.fakemeta"),
    ),
    Rule(
        "nothing imports piccolo_conf (the runtime binds the engine)",
        lambda m: True,
        lambda item: item.target.split(".")[-1] == "piccolo_conf",
    ),
]


def violations(imports: Iterable[Import]) -> list[str]:
    imports = list(imports)
    ours = set(wazify_targets(imports))
    found = []
    for rule in RULES:
        for item in imports:
            if not rule.applies_to(item.module):
                continue
            if within(item.target, "wazify") and item not in ours:
                continue  # `from wazify.x import name` where name is not a module
            if rule.forbidden(item):
                found.append(f"{rule.name}: {item}")
    return sorted(set(found))


def test_the_scan_sees_the_whole_tree() -> None:
    modules = known_modules()
    for expected in (
        "wazify.app",
        "wazify.settings",
        "wazify.lib.crypto",
        "wazify.actions.uow",
        "wazify.cli",
        "wazify.db.migrate",
        "wazify.db.tables.identity",
    ):
        assert expected in modules
    targets = {(item.module, item.target) for item in all_imports()}
    assert ("wazify.actions.uow", "wazify.runtime") in targets
    assert ("wazify.db.engine", "wazify.db.tables") in targets


def test_relative_imports_are_resolved() -> None:
    found = imports_of("wazify.auth.routes", "from . import guards\nfrom ..db import tables\n")
    assert {item.target for item in found} >= {"wazify.auth.guards", "wazify.db.tables"}
    found = imports_of("wazify.auth", "from .principal import Principal\n", is_package=True)
    assert "wazify.auth.principal" in {item.target for item in found}


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("wazify.lib.crypto", "from wazify.db.tables import User\n"),
        ("wazify.meta.normalize", "import wazify.actions.uow\n"),
        ("wazify.db.engine", "from wazify.settings import Settings\n"),
        ("wazify.members.routes", "from wazify.db.tables import Membership\n"),
        ("wazify.members.routes", "import asyncpg\n"),
        ("wazify.actions.members", "from wazify.members import routes\n"),
        ("wazify.actions.members", "from wazify.meta.graph_client import GraphClient\n"),
        ("wazify.members.routes", "from wazify.realtime.broker import LoggedEvent\n"),
        ("wazify.health", "from wazify.auth.routes import auth_router\n"),
        ("wazify.webhooks.routes", "from wazify.fakemeta import cases\n"),
        ("wazify.runtime", "def f():\n    from wazify.cli import main\n"),
        ("wazify.realtime.events", "from wazify.actions.uow import Actor\n"),
    ],
)
def test_a_violation_is_caught(module: str, source: str) -> None:
    # Only modules that exist count as import targets: check against the real tree.
    assert violations(imports_of(module, source)), f"{module}: {source!r} slipped through"


def test_dependency_rules_hold() -> None:
    assert violations(all_imports()) == []
