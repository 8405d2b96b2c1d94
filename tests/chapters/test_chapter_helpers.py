"""datagen.report: the words and tables of the book, without a database."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from datagen import chapters
from datagen.params import parse_params


def test_numbers_read_as_a_reader_expects():
    assert chapters.money(1234567.891) == "$1,234,568"
    assert chapters.money(-12.5, 2) == "-$12.50"
    assert chapters.money(None) == "n/a"
    assert chapters.number(12345) == "12,345"
    assert chapters.pct(0.1234) == "12.3%"
    assert chapters.pct(float("nan")) == "n/a"
    assert chapters.change(112, 100) == "up 12.0%"
    assert chapters.change(96, 100) == "down 4.0%"
    assert chapters.change(100.001, 100) == "unchanged"
    assert chapters.change(5, 0) == "n/a"
    assert chapters.growth(150, 100) == 0.5
    assert chapters.day("2024-03-01") == "1 March 2024"
    assert chapters.month(dt.date(2024, 3, 1)) == "March 2024"
    assert chapters.listing([]) == "none"
    assert chapters.listing(["a", "b", "c"]) == "a, b and c"
    assert chapters.plural(1, "order") == "1 order"
    assert chapters.plural(2000, "category", "categories") == "2,000 categories"
    assert chapters.timestamp(pd.Timestamp("2026-01-31 15:05", tz="Europe/Paris")
                            ) == "2026-01-31 14:05 UTC"


def test_dollars_never_become_math():
    text = chapters.findings_markdown(["from $5 to $6", "", "plain"])
    assert text == "- from \\$5 to \\$6\n- plain"


def test_tables_carry_raw_values_for_sorting():
    frame = pd.DataFrame({"name": ["b", "a"], "revenue": [1234.5, 99.0],
                          "day": [dt.date(2024, 1, 2), None]})
    html = chapters.table_html(frame, formats={"revenue": "money",
                                             "day": "date"})
    assert '<td data-sort="1234.5" class="wh-num">$1,234</td>' in html \
        or '<td data-sort="1234.5" class="wh-num">$1,235</td>' in html
    assert '<th class="wh-num" scope="col">revenue</th>' in html
    assert "2024-01-02" in html and 'class="wh-table"' in html
    assert "wh-search" not in html  # short tables get no search box
    long = pd.DataFrame({"x": range(chapters.tables.SEARCH_FROM_ROWS)})
    assert "wh-search" in chapters.table_html(long)
    assert "&lt;b&gt;" in chapters.table_html(pd.DataFrame({"x": ["<b>"]}))


def test_banner_states_seed_period_as_of_date_and_build_time():
    import datetime as dt
    params = parse_params(dict(seed=7, scale=0.5, schema="s7"))
    html = chapters.banner_html(params, pd.Timestamp("2026-01-02 03:04",
                                                   tz="UTC"))
    text = re.sub(r"<[^>]+>", "", html).replace("&middot;", "·")
    assert "Seed 7 · scale 0.5" in text
    assert "data from 1 January 2023 as of 31 December 2025 ·" in text
    assert "refreshed" not in text
    assert "built 2026-01-02 03:04 UTC" in text
    refreshed = re.sub(r"<[^>]+>", "", chapters.banner_html(
        params, None, dt.date(2025, 12, 30)))
    assert ("as of 31 December 2025, refreshed from 30 December 2025"
            in refreshed)


def test_schema_diagram_shows_tables_keys_and_links():
    columns = pd.DataFrame({
        "table_name": ["fact_order", "fact_order", "dim_customer"],
        "column_name": ["order_id", "customer_id", "customer_id"],
        "data_type": ["bigint", "integer", "integer"],
        "is_key": [True, False, True]})
    keys = pd.DataFrame({"table_name": ["fact_order"],
                         "column_name": ["customer_id"],
                         "references_table": ["dim_customer"]})
    svg = chapters.schema_svg(columns, keys, {"fact_order": 1200})
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "fact_order (1,200 rows)" in svg and "dim_customer" in svg
    assert svg.count('class="wh-link"') == 1
    assert "FK int" in svg and "PK bigint" in svg


def test_an_imported_warehouse_banner_names_its_source_and_currency():
    import datetime as dt

    from datagen.chapters import page
    markup = page.import_banner_html(
        "online_retail.csv.gz", "online-retail", "GBP", dt.date(2010, 12, 1),
        dt.date(2011, 12, 9), "retail", None)
    assert "Source <strong>online_retail.csv.gz</strong>" in markup
    assert "mapping <code>online-retail</code>" in markup
    assert "1 December 2010" in markup and "amounts in GBP" in markup
    assert "as of <strong>9 December 2011</strong>" in markup
    assert "Seed" not in markup
    chapters.formats.set_currency("GBP")
    try:
        assert chapters.money(1234.5) == "£1,234"
        chapters.formats.set_currency("CHF")
        assert chapters.money(-3) == "-CHF 3"
    finally:
        chapters.formats.set_currency("USD")
    assert chapters.money(1234.5) in ("$1,234", "$1,235")
