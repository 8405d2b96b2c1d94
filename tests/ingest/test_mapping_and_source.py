"""Mappings and reading a source as mapped: every bad case stops with one
line naming the file (or mapping), the line and the column, before any
database is touched."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow.compute as pc
import pytest

from datagen import ingest
from datagen.ingest.mapping import MappingError

FIXTURE = Path(__file__).parent / "fixtures" / "quirks.csv"
HEADER = FIXTURE.read_text().splitlines()[0]


def lines_of(path: Path, mapping: str = "online-retail") -> list[dict]:
    return [row for block in ingest.blocks(path, ingest.load(mapping))
            for row in block.to_pylist()]


def test_the_built_in_mapping_reads_the_fixture_line_by_line():
    rows = lines_of(FIXTURE)
    assert [r["line_no"] for r in rows] == list(range(1, 14))
    assert rows[0]["order_number"] == "536365"
    assert rows[0]["order_ts"].isoformat() == "2010-12-01T08:26:00"
    assert rows[4]["customer_code"] is None          # empty: unknown
    assert rows[6]["is_returned"] and rows[6]["quantity"] == -1
    assert rows[7]["product_name"] == "REGENCY CAKESTAND, 3 TIER"
    assert rows[9]["product_name"] == 'WHITE HANGING HEART "T-LIGHT" HOLDER'
    assert [r["not_product"] for r in rows] == [
        False, False, False, True, False, True, False, False, False, False,
        True, False, False]
    assert rows[1]["line_key"] == rows[2]["line_key"] != rows[0]["line_key"]


def test_gzip_and_other_delimiters_and_encodings(tmp_path):
    gz = tmp_path / "quirks.csv.gz"
    gz.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    assert lines_of(gz) == lines_of(FIXTURE)
    semicolons = tmp_path / "latin1.csv"
    text = FIXTURE.read_text().replace(",", ";").replace(
        '"REGENCY CAKESTAND; 3 TIER"', '"REGENCY CAKESTAND, 3 TIER"')
    semicolons.write_bytes(text.encode("latin-1"))
    mapping = tmp_path / "shop.toml"
    built_in = Path(ingest.mapping.BUILT_IN / "online-retail.toml").read_text()
    mapping.write_text(built_in.replace('encoding = "utf-8"',
                                        'encoding = "latin-1"')
                       .replace('delimiter = ","', 'delimiter = ";"'))
    rows = lines_of(semicolons, str(mapping))
    assert rows[10]["product_name"] == "Dotcomgiftshop Gift Voucher £20.00"
    assert len(rows) == 13


def error_of(tmp_path, text: bytes | str, mapping: str = "online-retail"):
    path = tmp_path / "bad.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ingest.SourceError) as error:
        lines_of(path, mapping)
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_missing_column_is_named(tmp_path):
    text = FIXTURE.read_text().replace("InvoiceDate", "Date", 1)
    message = error_of(tmp_path, text)
    assert "line 0" in message and "'InvoiceDate'" in message


def test_an_unparseable_date_names_its_line_and_column(tmp_path):
    lines = FIXTURE.read_text().splitlines()
    lines[5] = lines[5].replace("12/1/2010 8:28", "13/45/2010 8:28")
    message = error_of(tmp_path, "\n".join(lines) + "\n")
    assert "line 5:" in message and "'InvoiceDate'" in message
    assert "13/45/2010 8:28" in message


def test_a_number_that_is_not_one_names_its_line(tmp_path):
    lines = FIXTURE.read_text().splitlines()
    lines[3] = lines[3].replace(",6,", ",six,")
    message = error_of(tmp_path, "\n".join(lines) + "\n")
    assert "line 3:" in message and "'Quantity'" in message


def test_bytes_in_another_encoding_name_their_line_and_column(tmp_path):
    data = FIXTURE.read_text().encode("latin-1")  # the £ of line 11
    message = error_of(tmp_path, data)
    assert "line 11:" in message and "'Description'" in message
    assert "utf-8" in message


@pytest.mark.parametrize("text, what", [
    ("", "empty"), (HEADER + "\n", "no data lines")])
def test_an_empty_file_is_refused(tmp_path, text, what):
    assert what in error_of(tmp_path, text)


@pytest.mark.parametrize("change, key", [
    (('order_number = "InvoiceNo"\n', ""), "fields.order_number"),
    (('country = "Country"', 'county = "Country"'), "fields.county"),
    (('currency = "GBP"', 'currency = "pounds"'), "source.currency"),
    (('duplicates = "reject"', 'duplicates = "maybe"'), "rules.duplicates"),
    (('format = "csv"', 'format = "xlsx"'), "source.format"),
    (('pattern = "^gift_"', 'pattern = "^gift_("'), "rules.not_products"),
])
def test_a_bad_mapping_names_its_key(tmp_path, change, key):
    text = (ingest.mapping.BUILT_IN / "online-retail.toml").read_text()
    assert change[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(change[0], change[1]))
    with pytest.raises(MappingError) as error:
        ingest.load(str(path))
    assert key in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_an_unknown_mapping_lists_the_built_in_ones():
    with pytest.raises(MappingError, match="online-retail"):
        ingest.load("magento-orders")


def test_parquet_reads_the_same_lines(tmp_path):
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq
    table = pa_csv.read_csv(FIXTURE, convert_options=pa_csv.ConvertOptions(
        strings_can_be_null=False, column_types={
            c: "string" for c in HEADER.split(",")}))
    path = tmp_path / "quirks.parquet"
    pq.write_table(table, path)
    mapping = tmp_path / "parquet.toml"
    mapping.write_text((ingest.mapping.BUILT_IN / "online-retail.toml")
                       .read_text().replace('format = "csv"',
                                            'format = "parquet"'))
    assert lines_of(path, str(mapping)) == lines_of(FIXTURE)
    assert pc is not None


def test_the_guides_mapping_still_loads(tmp_path):
    """The example of the guide's mapping reference is a mapping."""
    import re

    from conftest import ROOT
    guide = (ROOT / "book" / "guide" / "own_orders.md").read_text()
    example = re.search(r"```toml\n(.*?)```", guide, re.S)[1]
    path = tmp_path / "my-shop.toml"
    path.write_text(example)
    mapping = ingest.load(str(path))
    assert mapping.name == "my-shop" and mapping.delimiter == ";"
    assert mapping.cancelled_when.equals == ("storno",)
    assert mapping.fields["order_ts"].format == "%d.%m.%Y %H:%M"
    assert mapping.fields["first_name"].columns == ("First", "Middle")
    assert mapping.fields["channel"].value == "Web shop"
    assert mapping.lines.decimal == "," and mapping.lines.thousands == "."
    assert mapping.status.returned == ("refunded",)
    assert mapping.defaults["order_date"] == "2000-01-01"


def test_every_mapping_the_guide_shows_loads(tmp_path):
    """Each TOML example of the guide is a mapping (or a part of one that
    loads with the lines' two required fields)."""
    import re

    from conftest import ROOT
    guide = (ROOT / "book" / "guide" / "own_orders.md").read_text()
    examples = re.findall(r"```toml\n(.*?)```", guide, re.S)
    assert len(examples) >= 7
    for number, example in enumerate(examples):
        if "[fields]" not in example:
            example += '[fields]\norder_number = "A"\nsku = "B"\n'
        path = tmp_path / f"example{number}.toml"
        path.write_text(example)
        assert ingest.load(str(path)).lines.fields


def test_a_parquet_time_with_a_zone_is_the_shops_wall_clock(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq
    utc = dt.UTC
    table = pa.table({
        "InvoiceNo": ["1", "2"], "StockCode": ["A", "B"],
        "Description": ["x", "y"], "Quantity": pa.array([1, 2], pa.int32()),
        "UnitPrice": [2.5, 3.0], "CustomerID": pa.array([17850, None]),
        "Country": pa.array(["UK", "UK"]).dictionary_encode(),
        "InvoiceDate": pa.array(
            [dt.datetime(2024, 7, 1, 10, 0, 0, 123456, tzinfo=utc),
             dt.datetime(2024, 1, 1, 23, 30, 59, 999999, tzinfo=utc)],
            pa.timestamp("ns", tz="Europe/London"))})
    path = tmp_path / "zoned.parquet"
    pq.write_table(table, path)
    mapping = tmp_path / "parquet.toml"
    mapping.write_text((ingest.mapping.BUILT_IN / "online-retail.toml")
                       .read_text().replace('format = "csv"',
                                            'format = "parquet"'))
    rows = lines_of(path, str(mapping))
    assert [r["order_ts"].isoformat() for r in rows] == [
        "2024-07-01T11:00:00", "2024-01-01T23:30:59"]     # BST, then GMT
    assert [(r["quantity"], r["unit_price"], r["customer_code"])
            for r in rows] == [(1, "2.5", "17850"), (2, "3", None)]


def read_all(tmp_path, text: bytes | str, mapping: str) -> list[dict]:
    """The mapped lines of a file ``text`` read with the mapping text."""
    path = tmp_path / "export.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    toml = tmp_path / "shape.toml"
    toml.write_text(mapping)
    return lines_of(path, str(toml))


def test_numbers_with_a_decimal_comma_signs_and_percents(tmp_path):
    rows = read_all(tmp_path, "o;s;q;p;r\n1;A;1.000;€ 1.234,56;20%\n"
                    "2;B;2;0,5;0,1\n", '[source]\ndelimiter = ";"\n'
                    'decimal = ","\nthousands = "."\n[fields]\n'
                    'order_number = "o"\nsku = "s"\nquantity = "q"\n'
                    'unit_price = "p"\ndiscount_rate = "r"\n')
    assert [(r["quantity"], r["unit_price"], float(r["discount_rate"]))
            for r in rows] == [(1000, "1234.56", 0.2), (2, "0.5", 0.1)]


def test_times_with_offsets_and_a_date_and_a_time_column(tmp_path):
    rows = read_all(tmp_path, "o,s,d,t,iso\n"
                    "1,A,2024-03-01,09:50,2024-03-01T09:50:26.123+02:00\n"
                    "2,A,2024-03-02,23:05,2024-03-02 23:05\n",
                    '[fields]\norder_number = "o"\nsku = "s"\n'
                    'order_ts = { columns = ["d", "t"], format = '
                    '"%Y-%m-%d %H:%M" }\n')
    assert [r["order_ts"].isoformat() for r in rows] == [
        "2024-03-01T09:50:00", "2024-03-02T23:05:00"]
    rows = read_all(tmp_path, "o,s,d,t,iso\n"
                    "1,A,2024-03-01,09:50,2024-03-01T09:50:26.123+02:00\n"
                    "2,A,2024-03-02,23:05,2024-03-02 23:05\n",
                    '[fields]\norder_number = "o"\nsku = "s"\n'
                    'order_ts = "iso"\n')
    assert [r["order_ts"].isoformat() for r in rows] == [
        "2024-03-01T09:50:26", "2024-03-02T23:05:00"]


def test_blank_aligned_lines_without_a_header_count_records(tmp_path):
    rows = read_all(tmp_path, "  1   A  2\n\n2\tB   3  \n   \n3 \"C\" 1",
                    '[source]\ndelimiter = "blanks"\nheader = false\n'
                    'columns = ["o", "s", "q"]\n[fields]\n'
                    'order_number = "o"\nsku = "s"\nquantity = "q"\n')
    assert [(r["line_no"], r["order_number"], r["sku"], r["quantity"])
            for r in rows] == [(1, "1", "A", 2), (2, "2", "B", 3),
                               (3, "3", "C", 1)]


def test_a_full_name_splits_at_its_last_blank_and_absences_fill_in(
        tmp_path):
    rows = read_all(tmp_path, "o,s,n\n1,A,Mary Ann Smith\n2,B,Cher\n3,C,\n",
                    '[fields]\norder_number = "o"\nsku = "s"\n'
                    'full_name = "n"\n')
    assert [(r["first_name"], r["last_name"]) for r in rows] == [
        ("Mary Ann", "Smith"), ("Cher", ""), (None, None)]
    # no quantity: one unit; no date: the placeholder day; no customer
    assert {(r["quantity"], r["order_ts"].isoformat(), r["customer_code"])
            for r in rows} == {(1, "2000-01-01T00:00:00", None)}


def test_dates_written_as_numbers_in_a_parquet_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = tmp_path / "lines.parquet"
    pq.write_table(pa.table({"o": [1, 2], "s": ["A", "B"],
                             "d": pa.array([20240131, 20231201])}), path)
    mapping = tmp_path / "numbers.toml"
    mapping.write_text('[source]\nformat = "parquet"\n[fields]\n'
                       'order_number = "o"\nsku = "s"\n'
                       'order_ts = { column = "d", format = "%Y%m%d" }\n')
    rows = lines_of(path, str(mapping))
    assert [(r["order_number"], r["order_ts"].isoformat()) for r in rows] \
        == [("1", "2024-01-31T00:00:00"), ("2", "2023-12-01T00:00:00")]


def test_a_joined_file_has_its_own_header(tmp_path):
    """[source]'s header = false and columns are the lines file's: a file
    joined to it reads its own header unless it says otherwise."""
    text = ('[source]\nheader = false\ncolumns = ["o", "s"]\n[fields]\n'
            'order_number = "o"\nsku = "s"\n[orders]\npath = "o.csv"\n'
            '[orders.fields]\norder_number = "id"\ncustomer_code = "c"\n')
    path = tmp_path / "joined.toml"
    path.write_text(text)
    orders = ingest.load(str(path)).joined["orders"]
    assert orders.header and orders.columns == ()
