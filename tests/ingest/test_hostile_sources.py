"""Hostile source files and mappings: each one line, exit status 2, nothing
touched.

A table of cases, each its input (the file's bytes, or a function that
makes the file: a FIFO, a Parquet file, 300,000 lines; and the mapping's
text) and its one expected line (a part of it). Each runs
``datagen import FILE --mapping M --schema hostile`` in this process
(``cli.main``) against a real warehouse imported from the committed
fixture, and the warehouse (every table and view) and its import schema
are checksummed before and after: byte-identical, whatever the case did.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from conftest import assert_refused, data_checksums, schema_checksums
from datagen import cli, ingest
from datagen.params import parse_params
from datagen.warehouse import schemas
from datagen.warehouse.build import build
from datagen.warehouse.import_build import Source

FIXTURE = Path(__file__).parent / "fixtures" / "quirks.csv"
HEADER, *LINES = FIXTURE.read_bytes().splitlines()
BUILT_IN = (ingest.mapping.BUILT_IN / "online-retail.toml").read_text()
SCHEMA = "hostile"


def csv_of(*lines: bytes) -> bytes:
    """The fixture's header and ``lines``, one a line."""
    return b"\n".join((HEADER, *lines)) + b"\n"


def line(**values: str) -> bytes:
    """A data line of the fixture's columns: line 1's values but those
    given (``Quantity="x"``)."""
    names = HEADER.decode().split(",")
    fields = dict(zip(names, LINES[0].decode().split(","), strict=True))
    fields.update(values)
    return ",".join(fields[n] for n in names).encode("utf-8")


def mapping_with(*changes: tuple[str, str]) -> str:
    """The built-in mapping with each ``(old, new)`` replaced once."""
    text = BUILT_IN
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


PARQUET_MAPPING = mapping_with(('format = "csv"', 'format = "parquet"'))


def parquet_with_a_list_column(folder: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq
    names = HEADER.decode().split(",")
    columns = {n: [v] for n, v in zip(names, LINES[0].decode().split(","),
                                       strict=True)}
    columns["StockCode"] = [["85123A", "71053"]]
    path = folder / "orders.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def parquet_cut_short(folder: Path) -> Path:
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq
    path = folder / "orders.parquet"
    pq.write_table(pa_csv.read_csv(FIXTURE), path)
    path.write_bytes(path.read_bytes()[:300])
    return path


def nul_at_line_300000(folder: Path) -> Path:
    path = folder / "orders.csv"
    with open(path, "wb") as out:
        out.write(HEADER + b"\n")
        out.write((LINES[0] + b"\n") * 299_999)
        out.write(line(StockCode="85\x0023A") + b"\n")
    return path


def one_order_of(count: int) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "orders.csv"
        path.write_bytes(csv_of(*(line(StockCode=f"P{i}")
                                  for i in range(count))))
        return path
    return make


def orders_of_a_channel_each(count: int) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "orders.csv"
        path.write_bytes(csv_of(*(line(InvoiceNo=str(i), Country=f"C{i}")
                                  for i in range(count))))
        return path
    return make


def special(path: str) -> Callable[[Path], Path]:
    return lambda folder: Path(path)


def a_fifo(folder: Path) -> Path:
    path = folder / "orders.csv"
    os.mkfifo(path)
    return path


def a_folder(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.mkdir()
    return path


def with_orders_file(rows: bytes) -> Callable[[Path], Path]:
    """The fixture's lines and an orders file ``orders_file.csv`` beside
    them (``JOINED``'s mapping joins it by invoice number)."""
    def make(folder: Path) -> Path:
        (folder / "orders_file.csv").write_bytes(b"Invoice,Who\n" + rows)
        path = folder / "orders.csv"
        path.write_bytes(FIXTURE.read_bytes())
        return path
    return make


JOINED = mapping_with(('customer_code = "CustomerID"\n', "")) + (
    '\n[orders]\npath = "orders_file.csv"\n[orders.fields]\n'
    'order_number = "Invoice"\ncustomer_code = "Who"\n')
BLANKS = ('[source]\ndelimiter = "blanks"\nheader = false\n'
          'columns = ["order", "item", "qty"]\n[fields]\n'
          'order_number = "order"\nsku = "item"\nquantity = "qty"\n')


@dataclasses.dataclass(frozen=True)
class Case:
    """A hostile input and the one line it must give."""
    id: str
    source: bytes | Callable[[Path], Path]
    expected: str
    mapping: str = "online-retail"     # a built-in name, or a file's text
    name: str = "orders.csv"
    #: what the line must not hold (a secret the file carries)
    never: tuple[str, ...] = ()
    #: whether the line names the file (the source's, or the mapping's)
    names_it: bool = True


A_SECRET = "hunter2-" * 8
CASES = [
    # -- the file is not what the mapping reads ------------------------
    Case("truncated gzip", gzip.compress(FIXTURE.read_bytes())[:300],
         "not a whole gzip file ('Truncated compressed stream'): was it "
         "cut short?", name="orders.csv.gz"),
    Case("a .gz that is not gzip", FIXTURE.read_bytes(),
         "not gzip-compressed (it does not start with gzip's bytes 1f 8b), "
         "though its name ends in .gz", name="orders.csv.gz"),
    Case("gzip named .csv", gzip.compress(FIXTURE.read_bytes()),
         "gzip-compressed (it starts with 1f 8b) but read as plain text"),
    Case("a CSV mapping on a Parquet file", parquet_cut_short,
         "looks like a Parquet file (it starts with PAR1), not CSV: set "
         "format = \"parquet\""),
    Case("a Parquet mapping on a CSV file", FIXTURE.read_bytes(),
         "not a Parquet file (it does not start with PAR1)",
         mapping=PARQUET_MAPPING),
    Case("a Parquet file cut short", parquet_cut_short,
         "a Parquet file cut short (it does not end with PAR1)",
         mapping=PARQUET_MAPPING),
    Case("a Parquet list column", parquet_with_a_list_column,
         "column 'StockCode' holds 'list<element: string>' values, not one "
         "value per line", mapping=PARQUET_MAPPING),
    Case("an xlsx workbook", b"PK\x03\x04" + bytes(200),
         "looks like a zip archive (an Excel .xlsx workbook is one)"),
    Case("empty", b"", "empty (no header line)"),
    Case("only a header", HEADER + b"\n", "no data lines after the header"),
    # (refused by the parameters, params.parse_source)
    Case("a folder", a_folder, "source must be a readable file",
         names_it=False),
    Case("a FIFO", a_fifo, "source must be a readable file",
         names_it=False),
    Case("/dev/zero", special("/dev/zero"), "source must be a readable file",
         names_it=False),
    # -- the header ------------------------------------------------------
    Case("the environment", special("/proc/self/environ"),
         "line 0 (the header): a NUL byte: not text in utf-8",
         never=("DATABASE_URL", "HOME=", "PATH=")),
    Case("a secret first line", f"PASSWORD={A_SECRET},{A_SECRET}\n1,2\n"
         .encode(), "the header has 2 columns: 'PASSWORD=hunter2-hun'…",
         never=(A_SECRET,)),
    Case("a header without a line end", b"A" * (2 << 20),
         "line 0 (the header): no line end in the first 1 MiB"),
    Case("a blank first line", b"\n" + FIXTURE.read_bytes(),
         "line 0 (the header): blank: the column names must be the file's "
         "first line"),
    Case("another delimiter", FIXTURE.read_bytes().replace(b",", b";"),
         "column 'InvoiceNo' that the mapping names is not there (the "
         "header has 1 column only: is the delimiter ';'?"),
    Case("a misspelt column", csv_of(LINES[0]).replace(
         b"InvoiceNo", b"Invoice No", 1),
         "column 'InvoiceNo' that the mapping names is not there (the "
         "header has 8 columns; like it: 'Invoice No'"),
    Case("a column twice", HEADER + b",InvoiceNo\n" + LINES[0] + b",1\n",
         "column 'InvoiceNo' that the mapping reads is there 2 times "
         "(columns 1, 9)"),
    # -- encodings -------------------------------------------------------
    Case("latin-1 bytes in utf-8", FIXTURE.read_text().encode("latin-1"),
         "line 11: column 'Description': bytes that are not utf-8"),
    Case("utf-16 without a byte-order mark",
         FIXTURE.read_text().encode("utf-16-le"),
         "line 0 (the header): no byte-order mark, which encoding utf-16 "
         "needs", mapping=mapping_with(('encoding = "utf-8"',
                                        'encoding = "utf-16"'))),
    Case("utf-16 read as utf-8", FIXTURE.read_text().encode("utf-16"),
         "line 0 (the header): starts with a UTF-16 byte-order mark, but "
         "the mapping reads utf-8"),
    Case("a byte cp1252 lacks", csv_of(LINES[0], line(Description="A?")
                                       .replace(b"A?", b"A\x81")),
         "line 2: column 'Description': bytes that are not cp1252",
         mapping=mapping_with(('encoding = "utf-8"',
                               'encoding = "cp1252"'))),
    # -- lines -----------------------------------------------------------
    Case("a NUL byte at line 300,000", nul_at_line_300000,
         "line 300000: column 'StockCode': a NUL byte (\\x00)"),
    Case("a field over the csv module's limit, then a short line",
         csv_of(line(Description="x" * 200_000), LINES[0], b"1,2,3"),
         "line 3: 3 fields where the header has 8"),
    Case("a line of 9 MiB", csv_of(LINES[0], b"x" * (9 << 20)),
         "line 2: longer than 8 MiB without a line end"),
    Case("a quote never closed", csv_of(LINES[0], line(Description='"A'),
                                        LINES[1]),
         "line 2: 3 fields where the header has 8 (a quote '\"' opened in "
         "it is never closed: it runs on to the end of the file)"),
    Case("lines are records, not physical lines",
         csv_of(line(Description='"two\nlines"'), LINES[0], b"",
                line(InvoiceDate="12/45/2010 8:26")),
         "line 3: column 'InvoiceDate': '12/45/2010 8:26' is not a date or "
         "time written %m/%d/%Y %H:%M"),
    Case("a quantity the warehouse cannot hold",
         csv_of(LINES[0], line(Quantity="99999999999")),
         "line 2: column 'Quantity': '99999999999' is not a quantity the "
         "warehouse holds (at most 2,147,483,647)"),
    Case("a price the warehouse cannot hold",
         csv_of(line(UnitPrice="1e12")),
         "line 1: column 'UnitPrice': '1e12' is not an amount the warehouse "
         "holds"),
    Case("year zero", csv_of(line(InvoiceDate="12/1/0000 8:26")),
         "is not a date in the years 1 to 9999"),
    Case("a product code of 600 characters", csv_of(line(StockCode="A" *
                                                         600)),
         "line 1: column 'StockCode': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"
         "… is not a sku the warehouse keeps (at most 500 characters)"),
    # -- what only the whole file breaks (refused in staging) --------------
    Case("no line imported", csv_of(line(CustomerID=""),
                                    line(StockCode="POST")),
         "no line can be imported: all 2 are rejected (no customer: 1, not "
         "a product: 1)"),
    Case("an order of 33,000 lines", one_order_of(33_000),
         "line 1: order '536365' has 33,000 lines, more than the 32,767 an "
         "order of the warehouse holds"),
    Case("an order's total", csv_of(line(Quantity="1000000",
                                         UnitPrice="6000"),
                                    line(StockCode="X", Quantity="1000000",
                                         UnitPrice="6000")),
         "line 1: order '536365' totals 12,000,000,000.00, more than an "
         "amount the warehouse holds"),
    Case("33,000 channels", orders_of_a_channel_each(33_000),
         "the lines name 33,000 channels, more than the 32,767 the "
         "warehouse numbers", mapping=mapping_with(
             ('country = "Country"', 'channel = "Country"'))),
    Case("2,000 years", csv_of(LINES[0], line(InvoiceNo="9",
                                              InvoiceDate="12/1/0010 8:26")),
         "the orders span 0010-12-01 (line 2) to 2010-12-01 (line 1), "
         "2,000 years"),
    # -- the shapes of exports (issue 23) ----------------------------------
    Case("a ';' header with a ',' in a name", (
        b"InvoiceNo;StockCode;Description, long;Quantity;InvoiceDate;"
        b"UnitPrice;CustomerID;Country\n1;2;3;4;5;6;7;8\n"),
         "it looks ';'-separated (8 columns): set source.delimiter = \";\""),
    Case("a value with a blank in a blank-aligned file",
         b"1 A 2\n2 B C 3\n", "line 2: 4 values where there are 3 columns",
         mapping=BLANKS),
    Case("no header and no columns", FIXTURE.read_bytes(),
         "source.columns: missing: a file without a header (header = "
         "false) needs its columns' names",
         mapping=BLANKS.replace('columns = ["order", "item", "qty"]\n',
                                "")),
    Case("columns with a header", FIXTURE.read_bytes(),
         "source.columns: names the columns of a file without a header",
         mapping=BLANKS.replace("header = false\n", "")),
    Case("a delimiter of two characters", FIXTURE.read_bytes(),
         "source.delimiter: one character, or \"blanks\"",
         mapping=mapping_with(('delimiter = ","', 'delimiter = ";;"'))),
    Case("the decimal mark as thousands", FIXTURE.read_bytes(),
         "source.thousands: the same character as the decimal mark",
         mapping=mapping_with(('currency = "GBP"', 'currency = "GBP"\n'
                               'decimal = ","\nthousands = ","'))),
    Case("order_number missing", FIXTURE.read_bytes(),
         "fields.order_number: missing: every mapping gives order_number "
         "and sku", mapping=mapping_with(('order_number = "InvoiceNo"\n',
                                          ""))),
    Case("a status without its lists", FIXTURE.read_bytes(),
         "fields.status: needs the values that mean each status",
         mapping=mapping_with(('country = "Country"',
                               'country = "Country"\nstatus = "Country"'))),
    Case("a status value in two lists", FIXTURE.read_bytes(),
         "fields.status.returned: 'x' is also in cancelled",
         mapping=mapping_with(('country = "Country"',
                               'country = "Country"\nstatus = { column = '
                               '"Country", cancelled = ["X"], returned = '
                               '["x"] }'))),
    Case("value lists on another field", FIXTURE.read_bytes(),
         "fields.country.cancelled: only status takes lists of values",
         mapping=mapping_with(('country = "Country"', 'country = { column '
                               '= "Country", cancelled = ["x"] }'))),
    Case("a profit without a price", FIXTURE.read_bytes(),
         "fields.profit: needs a price to apply to: unit_price, line_total "
         "or line_subtotal",
         mapping=mapping_with(('unit_price = "UnitPrice"',
                               'profit = "UnitPrice"'))),
    Case("a unit price and a subtotal", FIXTURE.read_bytes(),
         "fields.line_subtotal: unit_price and line_subtotal say the same",
         mapping=mapping_with(('unit_price = "UnitPrice"',
                               'unit_price = "UnitPrice"\n'
                               'line_subtotal = "Quantity"'))),
    Case("a field from two files", with_orders_file(b"536365,17850\n"),
         "orders.fields.country: also given by fields.country: one source "
         "per field", mapping=JOINED + 'country = "Who"\n'),
    Case("a products file giving a customer", FIXTURE.read_bytes(),
         "products.fields.customer_code: not a field of the products file",
         mapping=mapping_with(('[defaults]', '[products]\npath = "p.csv"\n'
                               '[products.fields]\nsku = "S"\n'
                               'customer_code = "C"\n[defaults]'))),
    Case("a joined file that is not there", FIXTURE.read_bytes(),
         "orders_file.csv: no such file (or not a file) (the orders file "
         "the mapping names)", mapping=JOINED, names_it=False),
    Case("an order twice in the orders file", with_orders_file(
        b"536365,17850\n536366,1\n536365,15311\n"),
         "line 3: order '536365' is there 2 times (first at line 1): this "
         "file gives each order once", mapping=JOINED, names_it=False),
    Case("a discount rate of 20", csv_of(line(Country="20")),
         "line 1: column 'Country': '20' is not a discount rate from 0 to 1",
         mapping=mapping_with(('country = "Country"',
                               'discount_rate = "Country"'))),
    Case("an amount with a word", csv_of(line(UnitPrice="12.50 EUR")),
         "line 1: column 'UnitPrice': '12.50 EUR' is not a number"),
    # -- mappings ----------------------------------------------------------
    Case("a number in codes", FIXTURE.read_bytes(),
         "rules.not_products.codes[0]: expected a string, got 1",
         mapping=mapping_with(('"POST", "DOT"', '1, "DOT"'))),
    Case("pattern = 5", FIXTURE.read_bytes(),
         "rules.not_products.pattern: expected a string, got 5",
         mapping=mapping_with(('pattern = "^gift_"', "pattern = 5"))),
    Case("a lookahead RE2 refuses", FIXTURE.read_bytes(),
         "rules.not_products.pattern: not a regular expression that Arrow's "
         "engine (RE2) runs: 'invalid perl operator: (?='",
         mapping=mapping_with(('pattern = "^gift_"',
                               'pattern = "^gift_(?=x)"'))),
    Case("a backreference RE2 refuses", FIXTURE.read_bytes(),
         "rules.not_products.pattern: not a regular expression that Arrow's "
         "engine (RE2) runs: 'invalid escape sequence",
         mapping=mapping_with(('pattern = "^gift_"',
                               "pattern = '(g)\\1'"))),
    Case("columns = []", FIXTURE.read_bytes(),
         "fields.product_name.columns: expected a list of at least 1 item, "
         "got []", mapping=mapping_with(('product_name = "Description"',
                                         "product_name = { columns = [] "
                                         "}"))),
    Case("columns = \"Name\"", FIXTURE.read_bytes(),
         "fields.product_name.columns: expected a list, got 'Description' "
         "(one column: column = 'Description')",
         mapping=mapping_with(('product_name = "Description"',
                               'product_name = { columns = "Description" '
                               "}"))),
    Case("starts_with = \"CX\"", FIXTURE.read_bytes(),
         "rules.returned_when.starts_with: expected a list, got 'CX' (one "
         "value is a list too: ['CX'])",
         mapping=mapping_with(('starts_with = ["C"]',
                               'starts_with = "CX"'))),
    Case("a format that would be ignored", FIXTURE.read_bytes(),
         "fields.product_name.format: only dates and times take a format",
         mapping=mapping_with(('product_name = "Description"',
                               'product_name = { columns = ["Description",'
                               ' "StockCode"], format = "%Y" }'))),
    Case("a format on a constant", FIXTURE.read_bytes(),
         "fields.order_ts.format: a format reads a column",
         mapping=mapping_with(('{ column = "InvoiceDate",',
                               '{ value = "2024-01-01",'))),
    Case("an unknown field", FIXTURE.read_bytes(),
         "fields.county: unknown key (like it: country, city; 26 keys in all",
         mapping=mapping_with(('country = "Country"',
                               'county = "Country"'))),
    Case("an unknown key of a rule", FIXTURE.read_bytes(),
         "rules.returned_when.start_with: unknown key (known: column, "
         "starts_with", mapping=mapping_with(('starts_with = ["C"]',
                                              'start_with = ["C"]'))),
    Case("no customer field with missing_customer = reject",
         FIXTURE.read_bytes(),
         "fields.customer_code: missing, and rules.missing_customer is "
         "\"reject\": every line would be rejected; map customer_code",
         mapping=mapping_with(('customer_code = "CustomerID"\n', ""))),
    Case("an unknown encoding", FIXTURE.read_bytes(),
         "source.encoding: unknown encoding 'utf-42'",
         mapping=mapping_with(('encoding = "utf-8"',
                               'encoding = "utf-42"'))),
    Case("not TOML", FIXTURE.read_bytes(), "not valid TOML",
         mapping="fields = [\n"),
    Case("a mapping of 2 MiB", FIXTURE.read_bytes(),
         "larger than 1 MiB: not a mapping",
         mapping=BUILT_IN + "#" * (2 << 20)),
]


@pytest.fixture(scope="module")
def warehouse_conn(pg_url):
    """A warehouse imported from the fixture, in ``SCHEMA``; at the end
    its schemas and any staging the cases left are dropped."""
    build(parse_params(schema=SCHEMA), url=pg_url, echo=lambda text: None,
          source=Source.open(FIXTURE, "online-retail"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn
        for name in (SCHEMA, SCHEMA + "_import", SCHEMA + "__new",
                     SCHEMA + "_import__new"):
            schemas.drop_schema(conn, name)


def checksums(conn) -> dict:
    return {**data_checksums(conn, SCHEMA),
            **schema_checksums(conn, SCHEMA + "_import")}


@pytest.fixture(scope="module")
def before(warehouse_conn):
    return checksums(warehouse_conn)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_hostile_input_gives_one_line_and_touches_nothing(
        case, warehouse_conn, before, tmp_path, capsys):
    if callable(case.source):
        source = case.source(tmp_path)
    else:
        source = tmp_path / case.name
        source.write_bytes(case.source)
    mapping = case.mapping
    if mapping != "online-retail":
        mapping = tmp_path / "shop.toml"
        mapping.write_text(case.mapping)
    capsys.readouterr()
    status = cli.main(["import", str(source), "--mapping", str(mapping),
                       "--schema", SCHEMA])
    error = assert_refused(status, capsys.readouterr().err, case.expected)
    if case.names_it:
        named = Path(mapping) if error.startswith("error: mapping ") \
            else source
        assert named.name in error, error
    assert len(error) < 400, error
    for secret in case.never:
        assert secret not in error, error
    assert checksums(warehouse_conn) == before


def test_a_mapping_error_names_its_file_in_one_line_whatever_its_name(
        tmp_path):
    path = tmp_path / "shop\n\x1b[31m.toml"
    path.write_text(mapping_with(('pattern = "^gift_"', "pattern = 5")))
    with pytest.raises(ingest.MappingError) as error:
        ingest.load(str(path))
    message = str(error.value)
    assert "\n" not in message and "\x1b" not in message
    assert "shop\\n\\x1b[31m.toml" in message
    assert message.endswith(": rules.not_products.pattern: expected a "
                            "string, got 5")
