"""The site: staging the book's sources, jupyter-book, the swap.

Owns the HTML build. The sources (``_config.yml``, ``_toc.yml``, ``book/``
without notebooks) and plotly's ``plotly.min.js`` are staged in a folder
where the executed notebooks join them; jupyter-book builds the site there
(``execute_notebooks: off``), every page gets its Content-Security-Policy
(``csp``), and only a complete site replaces ``<out>/html``, so a failed
build leaves the previous one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from . import csp
from .notebooks import ChapterFailed

BOOK_SOURCES = ("_config.yml", "_toc.yml", "book")


def plotly_js() -> Path:
    import plotly
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def stage_sources(staging: Path, root: Path, pages: list[Path],
                  pdfs: bool = True) -> None:
    """The sources in ``staging``; its ``_toc.yml`` lists only ``pages``
    (the notebooks of this kind of book) and the guide's pages of those the
    project's lists.
    Without ``pdfs`` its ``_config.yml`` names no book PDF, so that the
    pages link none (``book/_ext/book_site.py``)."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in BOOK_SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns(
                "*.ipynb", ".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, staging / name)
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    (staging / "_toc.yml").write_text(
        "# this book's pages (written by datagen.publish.website from the "
        "project's _toc.yml)\n"
        + yaml.safe_dump(only_pages(toc, {f"book/{path.stem}"
                                          for path in pages}
                                    | guide_pages(root)),
                         sort_keys=False))
    if not pdfs:
        config = yaml.safe_load((root / "_config.yml").read_text())
        config["sphinx"]["config"]["book_pdf"] = ""
        (staging / "_config.yml").write_text(
            "# written by datagen.publish.website: the project's _config.yml"
            " for a book without PDFs\n" + yaml.safe_dump(config,
                                                         sort_keys=False))
    (staging / "_static").mkdir(exist_ok=True)
    shutil.copy2(plotly_js(), staging / "_static" / "plotly.min.js")


def leave_out(staging: Path, root: Path, pages: list[Path],
              left: list[Path]) -> None:
    """The staged ``_toc.yml`` again, without the chapters ``left``: a
    chapter with nothing left to show for its data is in neither the
    site's contents nor the PDF (jupyter-book builds only the files of the
    contents, ``only_build_toc_files``)."""
    kept = [page for page in pages if page not in left]
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    (staging / "_toc.yml").write_text(
        "# this book's pages (written by datagen.publish.website from the "
        "project's _toc.yml; left out for their data: "
        + (", ".join(page.stem for page in left) or "none") + ")\n"
        + yaml.safe_dump(only_pages(toc, {f"book/{path.stem}"
                                          for path in kept}
                                    | guide_pages(root)),
                         sort_keys=False))


def guide_pages(root: Path) -> set[str]:
    """The guide's markdown pages (``book/guide/*.md``), in every book."""
    return {path.relative_to(root).with_suffix("").as_posix()
            for path in (root / "book" / "guide").glob("*.md")}


def only_pages(toc: dict, docnames: set[str]) -> dict:
    """``toc`` without the entries whose file is not among ``docnames``
    (the pages the other kind of book has, the chapters left out), and
    without a part none of whose pages is left."""
    def keep(entries):
        return [entry for entry in entries
                if re.sub(r"\.(ipynb|md)$", "", entry.get("file", "")) in
                docnames or "file" not in entry]
    toc = dict(toc)
    if "chapters" in toc:
        toc["chapters"] = keep(toc["chapters"])
    if "parts" in toc:
        # a part left with no page (every chapter of the report left out
        # for its data) is no part: jupyter-book refuses an empty one
        toc["parts"] = [part for part in (
            dict(part, chapters=keep(part.get("chapters", [])))
            for part in toc["parts"]) if part["chapters"]]
    return toc


def build_html(staging: Path) -> None:
    """jupyter-book on the staged sources; ``ChapterFailed`` if it fails."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build",
         str(staging), "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        raise ChapterFailed("jupyter-book build failed: "
                            + (result.stderr or result.stdout).strip()[-2000:])
    csp.protect(staging / "_build" / "html")


def copy_data(staging: Path) -> None:
    """Each page's CSV downloads (``book/<page>_data/``) next to the page
    in the built site."""
    site = staging / "_build" / "html" / "book"
    for folder in sorted((staging / "book").glob("*_data")):
        if folder.is_dir():
            shutil.copytree(folder, site / folder.name, dirs_exist_ok=True)


def swap_in(staging: Path, out: Path) -> Path:
    """Move the staged site to ``out/html``; returns it."""
    html = out / "html"
    previous = out / "html.previous"
    shutil.rmtree(previous, ignore_errors=True)
    if html.exists():
        html.rename(previous)
    (staging / "_build" / "html").rename(html)
    shutil.rmtree(previous, ignore_errors=True)
    return html
