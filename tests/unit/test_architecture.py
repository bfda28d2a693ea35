"""The core knows nothing of Textual or the network (DESIGN.md): checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "warroom"
CORE = ("domain", "playbook", "store", "comms")
FORBIDDEN = ("textual", "httpx", "warroom.tui", "warroom.integrations", "warroom.cli")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (  # deferred("module"): an import on first use (store/reader.py)
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "deferred"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


CORE_FILES = sorted([p for layer in CORE for p in (PACKAGE / layer).rglob("*.py")])

# The war room's pure parts: the action table and the entry line's grammar.
PURE_TUI = {"warroom.tui.actions", "warroom.tui.entry_grammar"}


def test_core_files_are_found():
    assert len(CORE_FILES) > 10


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_does_not_import_ui_or_network(path: Path):
    bad = {
        module
        for module in imported_modules(path)
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(PURE_TUI))
def test_the_action_table_and_the_entry_grammar_are_pure(module: str):
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    bad = {
        m
        for m in imported_modules(path)
        if m.split(".")[0] in ("textual", "rich", "httpx")
        or (m.startswith("warroom.") and m not in PURE_TUI and not m.startswith("warroom.domain"))
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_domain_does_no_io():
    for path in (PACKAGE / "domain").rglob("*.py"):
        modules = imported_modules(path)
        assert not modules & {"sqlite3", "sqlalchemy", "sqlmodel", "os", "pathlib", "jinja2"}, path


def test_the_checker_catches_a_forbidden_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text('from textual.app import App\nimport httpx\nrich = deferred("rich")\n')
    assert {"textual.app", "httpx", "rich"} <= imported_modules(bad)


STORE_FORBIDDEN = ("warroom.comms", "warroom.integrations", "warroom.tui", "warroom.cli")


@pytest.mark.parametrize("path", sorted((PACKAGE / "store").rglob("*.py")), ids=lambda p: p.name)
def test_the_store_is_below_everything_but_domain_and_playbook(path: Path):
    """DESIGN.md: the store imports nothing from comms, integrations or tui."""
    bad = {
        module
        for module in imported_modules(path)
        if any(module == f or module.startswith(f + ".") for f in STORE_FORBIDDEN)
    }
    assert not bad, f"store/{path.name} imports {sorted(bad)}"


def test_only_the_store_imports_the_postgresql_driver():
    """psycopg is an extra (warroom[postgres]): one store module imports it; the rest of the
    package reaches it through that module, and only for a PostgreSQL target."""
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if any(m == "psycopg" or m.startswith("psycopg.") for m in imported_modules(path))
    }
    assert importers == {"store/pg.py"}


LAYERS = ("playbook", "domain", "store", "comms", "integrations", "tui", "cli")
"""DESIGN.md's layers, bottom first: each may import those below it, never one above."""


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_no_layer_imports_one_above_it(layer: str):
    above = tuple(f"warroom.{name}" for name in LAYERS[LAYERS.index(layer) + 1 :])
    bad = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for module in imported_modules(path)
        if any(module == f or module.startswith(f + ".") for f in above)
    }
    assert not bad, bad


def test_the_screens_do_not_import_the_app():
    """The App imports its screens; they see it through tui/context.py (no cycle)."""
    bad = {
        str(path.relative_to(PACKAGE))
        for path in sorted((PACKAGE / "tui" / "screens").rglob("*.py"))
        if "warroom.tui.app" in imported_modules(path)
    }
    assert not bad, bad
