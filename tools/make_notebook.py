"""Write a chapter notebook from a compact cell list (outputs stay empty).

Usage from Python: ``write(path, [("parameters", src), ("hide-input", src),
("markdown", src), ...])``. Keeps committed notebooks free of outputs and
metadata noise.

The committed ``.ipynb`` files are the sources of the chapters. To edit one
as text, convert it to the percent format (the one jupytext uses) and back:

    python tools/make_notebook.py book/04_customer_value.ipynb  > /tmp/c.py
    python tools/make_notebook.py /tmp/c.py book/04_customer_value.ipynb

In the percent format a cell starts with ``# %%``; ``# %% [markdown]`` starts
a Markdown cell (its lines commented with ``# ``) and ``tags=["a", "b"]``
after the marker gives a code cell's tags.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

MARKER = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?:\s+tags=(?P<tags>\[.*\]))?\s*$")


def notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        source = source.strip("\n")
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(source)
            tags = [t for t in kind.split(",") if t and t != "code"]
            if tags:
                cell.metadata["tags"] = tags
        cell.pop("id", None)
        nb.cells.append(cell)
    nb.nbformat_minor = 4
    return nb


def write(path, cells) -> None:
    nbformat.write(notebook(cells), str(path))


def from_percent(text: str) -> list[tuple[str, str]]:
    """The cell list of a percent-format script."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = MARKER.match(line)
        if match:
            if match["markdown"]:
                kind = "markdown"
            else:
                tags = json.loads(match["tags"]) if match["tags"] else []
                kind = ",".join(tags) or "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '# %%' marker: {line!r}")
    result = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [re.sub(r"^# ?", "", line) for line in lines]
        result.append((kind, "\n".join(lines)))
    return result


def to_percent(nb: nbformat.NotebookNode) -> str:
    """A notebook as a percent-format script (outputs dropped)."""
    parts = []
    for cell in nb.cells:
        source = cell.source.strip("\n")
        if cell.cell_type == "markdown":
            body = "\n".join(("# " + line).rstrip()
                             for line in source.splitlines())
            parts.append(f"# %% [markdown]\n{body}")
        else:
            tags = cell.metadata.get("tags", [])
            header = "# %%" + (f" tags={json.dumps(tags)}" if tags else "")
            parts.append(f"{header}\n{source}")
    return "\n\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) == 1 and argv[0].endswith(".ipynb"):
        sys.stdout.write(to_percent(nbformat.read(argv[0], as_version=4)))
        return 0
    if len(argv) == 2 and argv[1].endswith(".ipynb"):
        write(argv[1], from_percent(Path(argv[0]).read_text()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
