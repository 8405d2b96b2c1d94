"""Write a chapter notebook from a compact cell list (outputs stay empty).

Usage from Python: ``write(path, [("parameters", src), ("hide-input", src),
("markdown", src), ...])``. Keeps committed notebooks free of outputs and
metadata noise.
"""

from __future__ import annotations

import nbformat


def write(path, cells) -> None:
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
    nbformat.write(nb, str(path))
