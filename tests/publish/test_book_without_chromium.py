"""``make book`` on a machine without Chromium: the whole site, no PDFs.

A newcomer's first command must work with Python alone; Chromium only
prints the PDFs. The test copies the repository as a clean clone would have
it (the files git tracks, nothing built), hides every Chromium from
``PATH`` and runs the real ``make book`` there (the clone shares this
checkout's ``.venv``, so nothing is installed again): the site is built,
one line says the PDFs were left out and how to get them, the exit status
is 0, and no page offers a PDF.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from datagen.publish import pdf
from datagen.publish.chromium import BROWSERS

pytestmark = [pytest.mark.book, pytest.mark.process]

#: what a make around this test run (make test) hands its children
OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
              "PYTEST_ADDOPTS")


def clean_clone(folder: Path) -> Path:
    """The files git tracks (and new ones it does not ignore), copied."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard",
         "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    clone = folder / "clone"
    for name in filter(None, names.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    (clone / ".venv").symlink_to(ROOT / ".venv")
    return clone


def path_without_chromium(folder: Path) -> str:
    """A ``PATH`` of one folder that links every program of ``PATH`` but
    the Chromium browsers."""
    shadow = folder / "bin"
    shadow.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not Path(directory).is_dir():
            continue
        for program in Path(directory).iterdir():
            link = shadow / program.name
            if program.name not in BROWSERS and not link.exists():
                link.symlink_to(program)
    return str(shadow)


def test_make_book_without_chromium_builds_the_site_without_pdfs(
        pg_url, tmp_path):
    clone = clean_clone(tmp_path)
    path = path_without_chromium(tmp_path)
    assert shutil.which("chromium", path=path) is None
    environment = {name: value for name, value in os.environ.items()
                   if name not in OUTER_MAKE
                   and not name.startswith("DATAGEN_")}
    result = subprocess.run(
        ["make", "--no-print-directory", "book", "SCALE=0.1",
         "SCHEMA=book_without_chromium"], cwd=clone, capture_output=True,
        text=True, timeout=900,
        env={**environment, "PATH": path, "DATABASE_URL": pg_url})
    assert result.returncode == 0, result.stderr[-3000:]
    said = [line.strip() for line in result.stderr.splitlines()
            if "PDF" in line]
    assert said == [pdf.LEFT_OUT], result.stderr
    site = clone / "_build" / "html"
    assert f"the book is in {site}/index.html" in result.stdout
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    assert list(site.rglob("*.pdf")) == []
    for page in pages:
        text = page.read_text()
        assert not re.search(r'href="[^"]*\.pdf"', text), page
        assert "wh-pdf-links" not in text, page
