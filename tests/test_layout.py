"""The house: the package's rooms and the one way their imports point.

``datagen/__init__.py`` states the rule: ``generate -> warehouse ->
publish``, ``chapters`` beside them needing only ``params`` and ``server``,
the command line and the benchmark on top; ``models`` (the statistical
models) below the warehouse and the chapters, needing only the ground
floor. Every import of every module is read (``ast``, also the ones inside
functions) and checked against it, and neither the generator nor the
models may import a database driver. The benchmark, a package
of one module per figure, calls only the entry points the command line
calls (``BENCH_MAY_CALL``), never the steps behind them, and none of its
modules is over ``MAX_LINES``.
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
    "warehouse": {"params", "server", "generate", "ingest", "models"},
    "chapters": {"params", "server", "models"},
    # the statistical models (numpy, scipy): the warehouse writes what they
    # fit, the chapters show it; they read no database and no other room
    "models": set(),
    "publish": {"params", "server"},
    "cli": {"params", "server", "cluster", "generate", "ingest", "warehouse",
            "publish", "bench"},
    # (chapters: P3 fills the chapters' jupysql templates with their
    # thresholds, BENCH_MAY_CALL)
    "bench": {"params", "server", "cluster", "generate", "warehouse",
              "publish", "chapters"},
    "__main__": {"cli"},
    "__init__": set(),
}
for _room in set(MAY_IMPORT) - {"errors", "escape", "__init__"}:
    MAY_IMPORT[_room] |= {"errors", "escape"}
#: third-party modules a room must never import
NEVER = {"generate": {"psycopg", "psycopg2", "sqlalchemy"},
         "ingest": {"psycopg", "psycopg2", "sqlalchemy"},
         "models": {"psycopg", "psycopg2", "sqlalchemy"},
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
    for name in ("generate", "ingest", "warehouse", "chapters", "publish",
                 "bench", "models"):
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
    ("models", "datagen.params"),
    ("models", "datagen.warehouse.build"),
    ("models", "psycopg"),
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


#: what the benchmark may take from the rooms below it (generate, ingest,
#: warehouse, publish, chapters): the entry points the command line calls
#: and what they report, never a step behind them (keys, views, fact_load,
#: copy_text, schemas, sql_files ...), so the order of a build's steps is
#: written once, in the build; the top rooms (params, server, cluster) and
#: the ground floor it may import whole
BENCH_MAY_CALL = {
    "datagen.generate": {"plan"},
    "datagen.warehouse.build": {"build", "BuildReport", "check_room"},
    "datagen.warehouse.refresh": {"refresh", "RefreshReport"},
    "datagen.warehouse.export": {"export"},
    # what datagen import opens before it calls build(params, source=...)
    "datagen.warehouse.import_build": {"Source"},
    "datagen.publish.book": {"build_book"},
    # the chapters the book runs: P3 times their %%sql cells
    "datagen.publish.notebooks": {"notebooks"},
    # the threshold their {{min_rule_customers}} template stands for
    "datagen.chapters": {"needs"},
}
BENCH_LOWER_ROOMS = {"generate", "ingest", "warehouse", "publish",
                     "chapters"}
#: the longest module the benchmark may have
MAX_LINES = 400
BENCH = PACKAGE / "bench"


def imported_names(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, absolute module, name) of every import in the file: ``from M
    import n`` gives (M, n), ``import M`` gives (M, None)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            found += [(node.lineno, module, alias.name)
                      for alias in node.names]
    return found


def internal(module: str, name: str | None) -> str | None:
    """Why the benchmark's ``from module import name`` reaches behind an
    entry point, if it does."""
    if module == "datagen" and name:  # from datagen import warehouse
        module, name = f"{module}.{name}", None
    if not module.startswith("datagen.") or room(module) not in \
            BENCH_LOWER_ROOMS:
        return None
    if name in BENCH_MAY_CALL.get(module, ()):
        return None
    what = f"{module}.{name}" if name else module
    return f"bench uses {what}, not an entry point the command line calls"


def test_the_benchmark_is_a_package_of_figures():
    assert not (PACKAGE / "bench.py").exists()
    figures = sorted(p.stem for p in BENCH.glob("p[0-9]_*.py"))
    assert [f[:2] for f in figures] == [f"p{n}" for n in range(1, 9)]
    for path in sorted(BENCH.glob("*.py")):
        assert ast.get_docstring(ast.parse(path.read_text())), path.name


def test_the_benchmark_calls_only_entry_points():
    """A figure times what ``build``, ``refresh``, ``datagen book`` report;
    it does not drive their steps itself."""
    wrong = [f"{path.relative_to(ROOT)}:{line}: {why}"
             for path in sorted(BENCH.rglob("*.py"))
             for line, module, name in imported_names(path)
             if (why := internal(module, name))]
    assert wrong == []


@pytest.mark.parametrize("module, name", [
    ("datagen.warehouse.keys", "add_keys"),
    ("datagen.warehouse.views", "create_views"),
    ("datagen.warehouse.fact_load", "load_facts"),
    ("datagen.warehouse.copy_text", "copy_frame"),
    ("datagen.warehouse.copy_binary", "copy_frozen"),
    ("datagen.warehouse.schemas", "drop_schema"),
    ("datagen.warehouse.sql_files", "set_search_path"),
    ("datagen.warehouse.parallel", "SessionPool"),
    ("datagen.warehouse.build", "tune_session"),
    ("datagen.warehouse", "keys"),
    ("datagen", "warehouse"),
    ("datagen.warehouse.keys", None),
    ("datagen.publish.pdf", "build_pdfs"),
])
def test_the_check_sees_a_step_behind_an_entry_point(module, name):
    assert internal(module, name)


@pytest.mark.parametrize("module, name", [
    ("datagen.warehouse.build", "build"),
    ("datagen.warehouse.refresh", "refresh"),
    ("datagen.warehouse.import_build", "Source"),
    ("datagen.publish.book", "build_book"),
    ("datagen", "server"),
    ("datagen.params", "schema_family"),
    ("datagen.bench.measure", "quiet"),
    ("psycopg", "sql"),
])
def test_the_check_lets_entry_points_through(module, name):
    assert internal(module, name) is None


def test_no_module_of_the_benchmark_is_over_max_lines():
    long = {str(path.relative_to(ROOT)): n for path in BENCH.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}
