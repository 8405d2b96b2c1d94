"""The house: the package's rooms and the one way their imports point.

``datagen/__init__.py`` states the rule: ``generate -> warehouse ->
publish``, ``chapters`` beside them needing only ``params`` and ``server``,
the command line and the benchmark on top. Every import of every module is
read (``ast``, also the ones inside functions) and checked against it, and
the generator must not import a database driver.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "datagen"
#: what each room may import of the package (besides itself)
MAY_IMPORT = {
    # the ground floor: the one exception base and the one escaping helper,
    # which every room may import (added below) and which import nothing
    "errors": set(),
    "escape": set(),
    "params": set(),
    "server": {"params"},
    "cluster": {"params", "server"},
    "generate": {"params"},
    "ingest": {"params"},
    "warehouse": {"params", "server", "generate", "ingest"},
    "chapters": {"params", "server"},
    "publish": {"params", "server"},
    "cli": {"params", "server", "cluster", "generate", "ingest", "warehouse",
            "publish", "bench"},
    "bench": {"params", "server", "cluster", "generate", "warehouse",
              "publish"},
    "__main__": {"cli"},
    "__init__": set(),
}
for _room in set(MAY_IMPORT) - {"errors", "escape", "__init__"}:
    MAY_IMPORT[_room] |= {"errors", "escape"}
#: third-party modules a room must never import
NEVER = {"generate": {"psycopg", "psycopg2", "sqlalchemy"},
         "ingest": {"psycopg", "psycopg2", "sqlalchemy"},
         "chapters": {"psycopg2"}}


def room(module: str) -> str:
    """``datagen.warehouse.keys`` -> ``warehouse``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module if path.name == "__init__.py" else \
        module.rpartition(".")[0]
    if path.name == "__init__.py":
        module = package
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module
                                          else []))
            else:
                target = node.module
            names = [f"{target}.{a.name}" for a in node.names]
            found += [(node.lineno, target)] + [
                (node.lineno, n) for n in names
                if (ROOT / Path(*n.split("."))).with_suffix(".py").exists()
                or (ROOT / Path(*n.split("."))).is_dir()]
    return found


def arrows():
    for path in sorted(PACKAGE.rglob("*.py")):
        source = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for line, target in imports(path):
            yield path, line, room(source), target


def test_every_room_is_a_package_or_a_top_module():
    rooms = {room(".".join(p.relative_to(ROOT).with_suffix("").parts))
             for p in PACKAGE.rglob("*.py")}
    assert rooms == set(MAY_IMPORT)
    for name in ("generate", "ingest", "warehouse", "chapters", "publish"):
        assert (PACKAGE / name / "__init__.py").read_text().startswith('"""')


def wrong_way(source: str, target: str) -> str | None:
    """Why ``import target`` in room ``source`` breaks the rule, if it does."""
    if not target.startswith("datagen"):
        top = target.split(".")[0]
        return f"imports {top}" if top in NEVER.get(source, ()) else None
    other = room(target)
    if target == "datagen" or other == source or other in MAY_IMPORT[source]:
        return None
    return f"{source} -> {other} ({target})"


def test_imports_point_one_way():
    wrong = [f"{path.relative_to(ROOT)}:{line}: {why}"
             for path, line, source, target in arrows()
             if (why := wrong_way(source, target))]
    assert wrong == []


@pytest.mark.parametrize("source, target", [
    ("generate", "datagen.warehouse.schemas"),
    ("generate", "psycopg"),
    ("chapters", "datagen.publish.book"),
    ("warehouse", "datagen.publish.site"),
    ("publish", "datagen.chapters"),
    ("escape", "datagen.params"),
])
def test_the_check_sees_an_arrow_the_wrong_way(source, target):
    assert wrong_way(source, target)


def test_relative_imports_are_read_as_the_modules_they_name():
    found = {target for _, target in
             imports(PACKAGE / "warehouse" / "build.py")}
    assert {"datagen.generate", "datagen.params", "datagen.server",
            "datagen.warehouse.keys"} <= found


def test_no_module_shadows_the_standard_library():
    import sys
    stdlib = sys.stdlib_module_names
    shadows = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
               if p.stem in stdlib and p.stem != "__main__"]
    assert shadows == []
