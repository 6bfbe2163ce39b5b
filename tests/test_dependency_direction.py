"""DESIGN §4, enforced: dependencies point one way (domain ← store ← services ← presentation ← api/web/cli). The
edges import from ``store/`` only the unit of work they open (``store/uow.py``) and the migrations; reads go through
the services (issue 14 item 1). The edges never import each other: what the API and the web UI present alike (the
error code -> HTTP status table, the Content-Security-Policy, the printable documents and their print rule, the CSV
exports, money formatting) is in ``presentation/``, and only ``creditmemo/app.py`` puts the API and the web UI
together. The domain imports nothing from store, services, presentation or the edges; the services and the store
nothing from presentation or the edges; presentation nothing from the edges. Every import is found, at module level
or inside a function, absolute or relative."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "creditmemo"
EDGES = ("api", "web", "cli")
EDGE_MODULES = tuple(f"creditmemo.{e}" for e in EDGES)
ABOVE_SERVICES = ("creditmemo.presentation", "creditmemo.app", *EDGE_MODULES)  # what the services never import
EDGE_MAY_USE = ("creditmemo.store.uow", "creditmemo.store.migrate", "creditmemo.store.migrations")


def imported_modules(source: str, module: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything ``source`` (the module ``module``) imports; ``from a import b`` yields
    ``a.b``, so ``from creditmemo.store import tables`` is seen as ``creditmemo.store.tables``."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(source: str, module: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{module}:{line} imports {name}"
        for line, name in imported_modules(source, module)
        if _within(name, forbidden) and not _within(name, allowed)
    ]


def modules(*packages: str) -> Iterator[tuple[str, str]]:
    for package in packages:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            dotted = ".".join(path.relative_to(SRC).with_suffix("").parts)
            yield dotted, path.read_text(encoding="utf-8")


def _scan(packages: tuple[str, ...], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    found: list[str] = []
    seen = 0
    for module, source in modules(*packages):
        seen += 1
        found += violations(source, module, forbidden, allowed)
    assert seen > 0, f"no modules under {packages}: the scan would pass vacuously"
    return found


def test_the_edges_and_presentation_import_from_store_only_the_unit_of_work_and_the_migrations() -> None:
    assert _scan((*EDGES, "presentation"), ("creditmemo.store",), EDGE_MAY_USE) == []


@pytest.mark.parametrize("edge", EDGES)
def test_an_edge_imports_no_other_edge(edge: str) -> None:
    others = tuple(m for m in EDGE_MODULES if m != f"creditmemo.{edge}")
    assert _scan((edge,), (*others, "creditmemo.app")) == []


def test_presentation_imports_no_edge() -> None:
    assert _scan(("presentation",), (*EDGE_MODULES, "creditmemo.app")) == []


def test_the_domain_imports_no_store_services_or_edges() -> None:
    assert _scan(("domain",), ("creditmemo.store", "creditmemo.services", *ABOVE_SERVICES)) == []


def test_the_store_and_the_services_import_no_presentation_or_edge() -> None:
    assert _scan(("store", "services"), ABOVE_SERVICES) == []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from creditmemo.store.repositories.overviews import ListQuery", "creditmemo.web.routes.lists"),
        ("import creditmemo.store.tables", "creditmemo.cli.show"),
        ("from creditmemo.store import tables", "creditmemo.cli.show"),
        ("def f():\n    from creditmemo.store.repositories import reports\n", "creditmemo.api.routes.reports"),
        ("from ...store.tables import memos", "creditmemo.web.routes.memos"),
        ("from creditmemo import store", "creditmemo.api.app"),
    ],
)
def test_the_scan_sees_a_store_import_however_it_is_written(source: str, module: str) -> None:
    assert violations(source, module, ("creditmemo.store",), EDGE_MAY_USE) != []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from creditmemo.web.printable import memo_document", "creditmemo.api.routes.memos"),
        ("def f():\n    from creditmemo.web import printable\n", "creditmemo.api.routes.memos"),
        ("from creditmemo.api.problems import status_for", "creditmemo.web.core"),
        ("from ..api import csv_export", "creditmemo.web.lists"),
        ("import creditmemo.api.request_log", "creditmemo.cli.serve"),
        ("from creditmemo import web", "creditmemo.api.app"),
    ],
)
def test_the_scan_sees_an_edge_importing_another(source: str, module: str) -> None:
    edge = module.split(".")[1]
    others = tuple(m for m in EDGE_MODULES if m != f"creditmemo.{edge}")
    assert violations(source, module, others) != []


@pytest.mark.parametrize(
    "source",
    [
        "from creditmemo.store.uow import Database, UnitOfWork",
        "from creditmemo.store import migrate",
        "from creditmemo.store import uow",
        "from creditmemo.services.lists import ListQuery",
    ],
)
def test_the_scan_lets_the_unit_of_work_and_the_migrations_through(source: str) -> None:
    assert violations(source, "creditmemo.cli.main", ("creditmemo.store",), EDGE_MAY_USE) == []
