"""Every command the README and the guide show exists.

The shell blocks of ``README.md`` and of the guide's pages
(``book/guide/*.md``) are read line by line: a ``make`` command must name a
target of the Makefile and only variables it reads, and a ``datagen``
command (``datagen ...``, ``python -m datagen ...``) must parse with the
command line's own parser (its subcommand, its options and their values;
``bench`` against its own options). The README must also fit a screen or
two (at most 150 lines) and link only guide pages that exist.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"
GUIDE = sorted((ROOT / "book" / "guide").glob("*.md"))
#: variables the Makefile reads that are not its parameters
MAKE_ENVIRONMENT = {"DATABASE_URL", "PYTEST_ARGS", "SHARD_COUNT",
                    "BOOK_WORKERS", "CITUS_SOURCE"}
#: the first words of commands the test checks; other commands (pip,
#: jupytext, tools/browser.py) are not the project's interface
DATAGEN = re.compile(r"^(?:\S*/)?(?:python3?\s+-m\s+datagen|datagen)\b")


def code_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, command) of every command in the file's ``sh`` blocks
    and of every ``$ `` line in its ``text`` blocks."""
    found, language = [], None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fence = re.match(r"^\s*```\s*(\w*)", line)
        if fence:
            language = None if language is not None else (fence[1] or "")
            continue
        if language in ("sh", "bash", "shell"):
            command = line.split(" #", 1)[0].strip()
        elif language == "text" and line.startswith("$ "):
            command = line[2:].strip()
        else:
            continue
        if command and not command.startswith("#"):
            found.append((number, command))
    return found


def commands(line: str) -> list[list[str]]:
    """The simple commands of a line: split at ``&&`` and ``;``, and the
    command inside a ``$(...)``."""
    inner = re.findall(r"\$\(([^)]*)\)", line)
    outer = re.sub(r'"?\$\([^)]*\)"?', "VALUE", line)
    parts = []
    for text in [*re.split(r"&&|;", outer), *inner]:
        words = shlex.split(text)
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]  # DATABASE_URL=... make book
        if words and words[0] == "export":
            continue
        if words:
            parts.append(words)
    return parts


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    targets = set()
    for match in re.finditer(r"^([a-z][a-z .-]*):(?!=)", text, re.M):
        targets.update(match[1].split())
    return targets


def make_variables() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Z_]+)\s*\?=", text, re.M))


def check_make(words: list[str]) -> str | None:
    targets = [w for w in words[1:] if "=" not in w and not w.startswith("-")]
    variables = [w.split("=", 1)[0] for w in words[1:] if "=" in w]
    unknown = [t for t in targets if t not in make_targets()]
    if unknown:
        return f"no make target {unknown[0]!r}"
    allowed = make_variables() | MAKE_ENVIRONMENT
    unread = [v for v in variables if v not in allowed]
    return f"the Makefile reads no {unread[0]}" if unread else None


def check_datagen(words: list[str]) -> str | None:
    from datagen import cli
    start = next(i for i, w in enumerate(words) if w.endswith("datagen"))
    argv = words[start + 1:]
    if argv[:1] == ["bench"]:
        return _check_bench(argv[1:])
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            cli._parser().parse_args(argv)
    except SystemExit as stop:
        if stop.code:
            return stderr.getvalue().strip() or f"exit status {stop.code}"
    return None


def _check_bench(argv: list[str]) -> str | None:
    """``bench``'s options against the help it prints."""
    from datagen import bench
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), contextlib.suppress(SystemExit):
        bench.main(["--help"])
    options = set(re.findall(r"--[a-z0-9-]+", shown.getvalue()))
    unknown = [a for a in argv if a.startswith("--") and a not in options]
    return f"bench has no option {unknown[0]}" if unknown else None


def problems(path: Path) -> list[str]:
    found = []
    for number, line in code_lines(path):
        for words in commands(line):
            if words[0] == "make":
                why = check_make(words)
            elif DATAGEN.match(" ".join(words)):
                why = check_datagen(words)
            else:
                continue
            if why:
                found.append(f"{path.name}:{number}: "
                             f"{line!r}: {why}")
    return found


@pytest.mark.parametrize("path", [README, *GUIDE],
                         ids=lambda path: path.name)
def test_every_command_shown_exists(path):
    assert problems(path) == []


def test_the_check_finds_a_command_that_does_not_exist(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```sh\nmake bok\nmake book SEEDS=3\n"
                    "datagen import x.csv --maping m\ndatagen bench --fast\n"
                    "python -m datagen refresh --to 2026-01-01 --seed 3\n"
                    "make book SEED=3 && datagen dsn\n```\n")
    found = problems(page)
    assert len(found) == 5, found


def test_the_readme_fits_and_links_pages_that_exist():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", text)
    assert links, "the README links the guide"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []
    for page in GUIDE:
        assert page.relative_to(ROOT).as_posix() in text, page.name


def test_the_guide_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for page in GUIDE:
        assert f"file: {page.relative_to(ROOT).with_suffix('').as_posix()}" \
            in toc, page.name


def test_no_file_cites_notes_outside_the_repository():
    """The repository stands alone: the design notes it grew from are not
    in it, so nothing may send a reader to them."""
    cited = []
    for path in [*ROOT.glob("*.*"), ROOT / ".sqlfluff", ROOT / "Makefile",
                 *(ROOT / "datagen").rglob("*.py"),
                 *(ROOT / "tests").rglob("*.py"), *GUIDE]:
        if path.is_file() and path != Path(__file__):
            text = path.read_text(errors="replace")
            if re.search(r"\b(DESIGN|STYLE)\.md\b", text):
                cited.append(path.relative_to(ROOT).as_posix())
    assert cited == []


def test_commands_are_split_and_read_as_the_shell_would():
    assert commands('export DATABASE_URL="$(python -m datagen cluster '
                    'start)" && make book') == [
        ["make", "book"], ["python", "-m", "datagen", "cluster", "start"]]
    assert commands("DATABASE_URL=x make book SCALE=2") == [
        ["make", "book", "SCALE=2"]]
    assert isinstance(argparse.ArgumentParser, type)
