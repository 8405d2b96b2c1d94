"""The star schema as an SVG diagram, drawn from the catalogue."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..escape import html


def schema_svg(columns: pd.DataFrame, foreign_keys: pd.DataFrame,
               rows: Mapping[str, int] | None = None) -> str:
    """An SVG diagram of the star schema, drawn from the catalogue.

    ``columns``: table_name, column_name, data_type, is_key (primary key);
    ``foreign_keys``: table_name, column_name, references_table. Fact tables
    (``fact_*``) stand in the middle column, dimensions left and right; lines
    join each foreign key to the table it references. Colours come from the
    theme (CSS classes in ``_static/book.css``), so it reads in both themes.
    """
    rows = dict(rows or {})
    tables = list(dict.fromkeys(columns["table_name"]))
    facts = [t for t in tables if t.startswith("fact_")]
    dims = [t for t in tables if t not in facts]
    left, right = dims[: (len(dims) + 1) // 2], dims[(len(dims) + 1) // 2:]
    line_h, head_h, width, gap_x, gap_y, pad = 17, 26, 280, 90, 28, 10
    fks = {(r.table_name, r.column_name): r.references_table
           for r in foreign_keys.itertuples()}

    def height(table):
        return head_h + line_h * int((columns["table_name"] == table).sum()) + 8

    boxes = {}
    for column_index, group in enumerate((left, facts, right)):
        y = 0
        for table in group:
            boxes[table] = (pad + column_index * (width + gap_x), y + pad,
                            height(table))
            y += height(table) + gap_y
    tall = max(y + h for (_, y, h) in boxes.values()) + pad
    wide = pad * 2 + 3 * width + 2 * gap_x
    parts = [f'<svg class="wh-schema" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {wide} {tall}" width="100%" role="img" '
             f'aria-label="Star schema: fact tables joined to dimensions">']
    # lines first, under the boxes
    for (table, column), target in fks.items():
        if table not in boxes or target not in boxes:
            continue
        x1, y1, h1 = boxes[table]
        x2, y2, h2 = boxes[target]
        names = list(columns.loc[columns["table_name"] == table,
                                 "column_name"])
        row_y = y1 + head_h + line_h * names.index(column) + line_h / 2 + 2
        if x2 > x1:
            start, end = (x1 + width, row_y), (x2, y2 + head_h / 2)
        elif x2 < x1:
            start, end = (x1, row_y), (x2 + width, y2 + head_h / 2)
        else:  # same column: a bracket on the left side
            start, end = (x1, row_y), (x2, y2 + head_h / 2)
            parts.append(
                f'<path class="wh-link" d="M{start[0]},{start[1]} '
                f'h-24 V{end[1]} h24" fill="none"/>')
            continue
        middle = (start[0] + end[0]) / 2
        parts.append(
            f'<path class="wh-link" d="M{start[0]},{start[1]} '
            f'C{middle},{start[1]} {middle},{end[1]} {end[0]},{end[1]}" '
            'fill="none"/>')
    for table, (x, y, h) in boxes.items():
        kind = "fact" if table in facts else "dim"
        parts.append(f'<g class="wh-box wh-{kind}">'
                     f'<rect x="{x}" y="{y}" width="{width}" height="{h}" '
                     'rx="6"/>'
                     f'<rect class="wh-head" x="{x}" y="{y}" width="{width}" '
                     f'height="{head_h}" rx="6"/>')
        count = (f" ({rows[table]:,} row{'' if rows[table] == 1 else 's'})"
                 if table in rows else "")
        parts.append(f'<text class="wh-title" x="{x + 8}" y="{y + 17}">'
                     f"{html(table)}{html(count)}</text>")
        table_columns = columns[columns["table_name"] == table]
        for i, r in enumerate(table_columns.itertuples()):
            marks = ("PK " if r.is_key else "") + (
                "FK" if (table, r.column_name) in fks else "")
            ty = y + head_h + line_h * (i + 1) - 3
            parts.append(
                f'<text class="wh-col{" wh-key" if r.is_key else ""}" '
                f'x="{x + 8}" y="{ty}">{html(r.column_name)}</text>'
                f'<text class="wh-type" x="{x + width - 8}" y="{ty}" '
                f'text-anchor="end">{html(marks.strip() + " " if marks else "")}'
                f"{html(_short_type(r.data_type))}</text>")
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _short_type(data_type: str) -> str:
    return {"integer": "int", "bigint": "bigint", "smallint": "smallint",
            "numeric": "numeric", "text": "text", "date": "date",
            "boolean": "bool",
            "timestamp without time zone": "timestamp",
            "timestamp with time zone": "timestamptz"}.get(data_type,
                                                           data_type)
