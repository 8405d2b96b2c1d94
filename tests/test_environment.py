"""Set-up: the pins of requirements.txt and environment.yml agree."""

from __future__ import annotations

import re

from conftest import ROOT


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
