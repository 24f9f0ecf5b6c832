"""The shape of the house, checked: import arrows point one way, nothing imports in a circle,
each layer imports only what it may, and no module grows past about 450 lines.

Every ``import`` counts, also those under ``if TYPE_CHECKING:`` and inside functions: a circle
hidden from the interpreter is still a circle for the reader.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "domain", "db")
MAX_LINES = 460  # "about 450"
FRAMEWORKS = ("sqlalchemy", "asyncpg", "alembic", "telegram", "discord", "apscheduler", "aiohttp")


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


@cache
def imports_of(module: str) -> frozenset[str]:
    """Every module of ours that ``module`` imports (``from a import b``: ``a.b`` if that is a
    module of ours, else ``a``)."""
    ours = modules()
    tree = ast.parse(ours[module].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in ours
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(names)
    return frozenset(found)


def ours(module: str) -> set[str]:
    return {name for name in imports_of(module) if name in modules() and name != module}


def test_no_module_imports_in_a_circle() -> None:
    graph = {module: ours(module) for module in modules()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    circles = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def _layer_cases() -> list[tuple[str, str]]:
    return sorted((module, name) for module in modules() for name in imports_of(module))


def _allowed(module: str, name: str) -> bool:
    top = name.split(".")[0]
    if module.startswith("domain"):
        # the domain: the standard library, pydantic, and itself
        return top not in ("bot", "db", *FRAMEWORKS)
    if module.startswith("db"):
        # db: the domain's models and ports (and its shared kernel) only; never a service
        if top == "bot":
            return False
        if top == "domain":
            last = name.split(".")[-1]
            # value types: ``model``, or ``<part>_model`` when one context's model.py would
            # pass about 450 lines (``domain.learning.card_model``)
            return (
                name.startswith("domain.shared")
                or last in ("model", "ports", "unit_of_work")
                or last.endswith("_model")
            )
        return True
    if module.startswith("bot.handlers"):
        return top not in ("db", *FRAMEWORKS) and not name.startswith(("bot.adapters", "bot.w"))
    if module.startswith("bot.adapters"):
        # adapters: the handler layer and their platform library, nothing deeper
        return top not in ("domain", "db") and (
            top != "bot" or name.startswith(("bot.handlers", "bot.adapters"))
        )
    return True


@pytest.mark.parametrize("module", sorted(modules()))
def test_each_layer_imports_only_what_it_may(module: str) -> None:
    wrong = sorted(name for name in imports_of(module) if not _allowed(module, name))
    assert wrong == [], f"{module} imports {wrong}"


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_is_longer_than_about_450_lines(module: str) -> None:
    lines = len(modules()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it"


def test_the_checks_see_a_circle_and_a_wrong_arrow() -> None:
    """The rules above are not vacuous: they do reject what they are for."""
    assert not _allowed("domain.learning.sessions", "sqlalchemy")
    assert not _allowed("db.repositories.bookings", "domain.marketplace.bookings")
    assert not _allowed("bot.adapters.telegram", "bot.worker")
    assert not _allowed("bot.adapters.discord", "domain.accounts.model")
    assert _allowed("db.repositories.bookings", "domain.marketplace.model")
    assert _allowed("db.repositories.cards", "domain.learning.card_model")
    assert not _allowed("db.repositories.cards", "domain.learning.cards")
    assert "domain.learning.model" in ours("domain.learning.sessions")
