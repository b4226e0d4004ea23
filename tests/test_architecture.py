"""The apps depend on each other one way: each imports only the layers below it.

    atm_support (the project package, but its urls.py)
    < mail < accounts < tickets < notifications < allowances
    < health, mantis, demo (the top: they may use every app)

atm_support/urls.py is the root that mounts every app. A lower layer that needs something of a
higher one declares an extension point that the higher one fills (a signal, a registry filled in
its AppConfig.ready), so that nothing imports upwards, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[set[str]] = [
    {"atm_support"},
    {"mail"},
    {"accounts"},
    {"tickets"},
    {"notifications"},
    {"allowances"},
    {"health", "mantis", "demo"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
ROOT_MODULES = {Path("atm_support/urls.py")}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute import of the file, wherever it stands (module level, a function,
    TYPE_CHECKING), as (line, module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports() -> list[str]:
    offences = []
    for app, rank in RANK.items():
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative in ROOT_MODULES:
                continue
            for line, module in imported_modules(path):
                other = module.split(".", 1)[0]
                if other != app and RANK.get(other, -1) >= rank:
                    offences.append(f"{relative}:{line} imports {module}")
    return offences


def test_every_app_imports_only_the_layers_below_it() -> None:
    offences = upward_imports()
    assert not offences, "imports against the layers:\n" + "\n".join(offences)


def test_every_app_has_a_layer() -> None:
    """A new app must be given its place above, or the test above would not look at it."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"atm_support"}
    assert apps == set(RANK), sorted(apps ^ set(RANK))
