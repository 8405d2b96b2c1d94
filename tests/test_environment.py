"""Set-up: the pins of requirements.txt and environment.yml agree, the
ranges pyproject.toml declares admit them, and the rooms that build, import,
refresh and export import only what its ``[project]`` dependencies declare
(the installed package runs without the extras)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement

from conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: the modules an installed ``datagen build|import|refresh|export|dsn|server``
#: runs (the book's ``publish`` and ``chapters`` and the benchmark need extras;
#: ``models`` is the warehouse's to import)
RUNTIME = ("generate", "ingest", "warehouse", "models", "__init__.py",
           "__main__.py", "cli.py", "cluster.py", "errors.py", "escape.py",
           "params.py", "server.py")


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def test_environment_yml_has_the_same_pins_as_requirements():
    requirements = _pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert requirements, "no pins found in requirements.txt"
    assert environment == requirements


def test_every_requirement_is_pinned():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"unpinned requirement: {line}"


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _declared() -> dict[str, list[Requirement]]:
    """Each extra's requirements and the runtime's (``""``), without the
    extras that name the project itself."""
    groups = {"": PROJECT["dependencies"],
              **PROJECT["optional-dependencies"]}
    return {group: [Requirement(r) for r in requirements
                    if _name(r) != _name(PROJECT["name"])]
            for group, requirements in groups.items()}


def test_pyproject_declares_every_pin_with_a_range_that_admits_it():
    pins = {_name(name): version for name, version in _pins(
        (ROOT / "requirements.txt").read_text().splitlines()).items()}
    declared = {}
    for group, requirements in _declared().items():
        for requirement in requirements:
            name = _name(str(requirement))
            assert name in pins, f"{name} ({group or 'runtime'}) is not pinned"
            assert requirement.specifier.contains(pins[name]), (
                f"{requirement} ({group or 'runtime'}) refuses the pin "
                f"{pins[name]}")
            declared[name] = group
    assert set(declared) == set(pins), "pinned but not declared: " + \
        ", ".join(sorted(set(pins) - set(declared)))


def _third_party_imports() -> dict[str, set[str]]:
    """Each top-level module the runtime modules import (also inside
    functions) that is neither the standard library's nor the package's,
    with the files that import it."""
    files = [path for name in RUNTIME for path in (
        sorted((ROOT / "datagen" / name).rglob("*.py"))
        if (ROOT / "datagen" / name).is_dir() else [ROOT / "datagen" / name])]
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "datagen":
                    found.setdefault(top, set()).add(path.name)
    return found


def test_the_runtime_imports_only_its_declared_dependencies():
    runtime = {_name(str(r)) for r in _declared()[""]}
    distributions = packages_distributions()
    imported = _third_party_imports()
    undeclared = {module: sorted(files) for module, files in imported.items()
                  if not runtime & {_name(d) for d in
                                    distributions.get(module, [module])}}
    assert undeclared == {}
    used = {_name(d) for module in imported
            for d in distributions.get(module, [module])}
    assert runtime - used == set(), "declared but never imported"
