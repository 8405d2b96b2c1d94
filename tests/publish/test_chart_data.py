"""What a chart's and a table's CSV hold, without a book build (fast).

``charts.chart_frame`` turns the figure dict the renderer receives into one
row per point (a heatmap: one per cell), decoding plotly's base64 typed
arrays; ``tables.file_name`` names the files; nothing is written outside a
book build.
"""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from datagen.chapters import charts, tables


def test_a_line_chart_gives_one_row_per_point_with_raw_numbers():
    fig = go.Figure(go.Scatter(x=["2024-01-01", "2024-02-01"],
                               y=[1234.5, 0.25], name="Net revenue"))
    fig.add_bar(x=["2024-01-01"], y=[7], name="Orders")
    frame = charts.chart_frame(fig.to_dict())
    assert list(frame.columns[:4]) == ["trace", "type", "x", "y"]
    assert frame.trace.tolist() == ["Net revenue", "Net revenue", "Orders"]
    assert frame.y.tolist() == [1234.5, 0.25, 7]


def test_a_heatmap_gives_one_row_per_cell():
    fig = go.Figure(go.Heatmap(z=[[1, 2, 3], [4, 5, None]],
                               x=["a", "b", "c"], y=["r1", "r2"]))
    frame = charts.chart_frame(fig.to_dict())
    assert len(frame) == 6
    cell = frame[(frame.y == "r2") & (frame.x == "b")]
    assert cell.z.tolist() == [5]


def test_typed_arrays_are_decoded():
    values = np.array([1.5, 2.5, 4.0])
    encoded = {"dtype": "f8", "bdata": base64.b64encode(
        values.tobytes()).decode()}
    frame = charts.chart_frame({"data": [{"type": "scatter", "x": [1, 2, 3],
                                          "y": encoded, "name": "s"}],
                                "layout": {}})
    assert frame.y.tolist() == [1.5, 2.5, 4.0]


def test_file_names_say_what_they_hold_and_do_not_collide():
    first = tables.file_name("table", "RFM segments <b>by</b> size")
    second = tables.file_name("table", "RFM segments by size")
    assert first == "table-rfm-segments-by-size.csv"
    assert second == "table-rfm-segments-by-size-2.csv"
    assert len(tables.file_name("chart", "x " * 80)) < 90


def test_nothing_is_written_outside_a_book_build(tmp_path, monkeypatch):
    monkeypatch.delenv(tables.DATA_DIR_VARIABLE, raising=False)
    frame = pd.DataFrame({"a": [1]})
    assert tables.write_csv(frame, "table", "t", "Download") == ""
    monkeypatch.setenv(tables.DATA_DIR_VARIABLE, str(tmp_path / "p_data"))
    link = tables.write_csv(frame, "table", "Some table", "Download")
    assert 'href="p_data/table-some-table.csv"' in link and "1 row)" in link
    assert pd.read_csv(tmp_path / "p_data" / "table-some-table.csv"
                       ).a.tolist() == [1]
