"""Reading a shop's export as mapped: blocks of typed order lines.

Owns reading the source file, in blocks of ``BLOCK_LINES`` data lines so
that memory stays flat whatever its size: CSV (any delimiter, quote and
encoding, gzip or not) with pyarrow's streaming reader, Parquet by row
groups. Each block becomes one Arrow table of the warehouse's line fields
(``LINE_COLUMNS``), every value taken from its column as the mapping says,
with its ``line_no`` (1 = the first data line after the header; a line is
a record: a quoted line break does not start a new one, blank lines are
not counted) and the flags of the mapping's per-line rules.

A file that cannot be read as mapped raises ``SourceError`` whose one line
names the file, the line and the column where that makes sense, quoting at
most a short, cleaned prefix of any value (``escape.shown``). Before the
reader starts, the file's first bytes say what it is (``_sniff``: a Parquet
file, gzip or another archive where a CSV is expected, a UTF-16 or UTF-32
file without its byte-order mark) and its header is read with a bounded
size. Each block is checked for what the warehouse cannot hold (a NUL byte,
a number out of range, a date outside the years 1 to 9999) before it is
handed on. pyarrow's own errors do not name the line, so on one the file is
read again, record by record with the standard library (``_diagnose``), to
find it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import DatagenError
from ..escape import shown, shown_path
from .mapping import NUMBERS, REQUIRED, TIMES, Field, Mapping, Match

#: data lines per block
BLOCK_LINES = 100_000
#: bytes the CSV reader reads at a time; a line (a record) may be at most
#: about twice this long (pyarrow: "straddling object")
BLOCK_BYTES = 1 << 22
#: a header line is at most this long (a longer first line is no header)
MAX_HEADER_BYTES = 1 << 20
#: the longest line ``_diagnose`` reads (longer than any line the reader
#: accepts, so that it finds the line the reader refused)
MAX_LINE_CHARS = 2 * BLOCK_BYTES
#: what the warehouse holds: quantities are integers, amounts numeric(12,2)
MAX_QUANTITY = 2 ** 31 - 1
MAX_AMOUNT = 10 ** 10
#: the years a date may have (dim_date's key is yyyymmdd as an integer)
YEARS = (1, 9999)
#: fields the warehouse keeps unique (a btree index), and their longest
#: value: an index entry holds at most 2,704 bytes, and 500 characters of
#: up to 4 bytes each fit (a longer one is no id: a column mapped wrongly?)
KEY_FIELDS = ("order_number", "sku", "customer_code", "email", "channel")
MAX_KEY_CHARS = 500
#: the columns of a block, in order, with their Arrow types
LINE_COLUMNS = {
    "line_no": pa.int64(), "order_number": pa.string(), "sku": pa.string(),
    "product_name": pa.string(), "quantity": pa.int64(),
    "unit_price": pa.string(), "unit_cost": pa.string(),
    "order_ts": pa.timestamp("s"), "customer_code": pa.string(),
    "country": pa.string(), "city": pa.string(), "region": pa.string(),
    "email": pa.string(), "first_name": pa.string(),
    "last_name": pa.string(), "category": pa.string(), "brand": pa.string(),
    "channel": pa.string(), "is_returned": pa.bool_(),
    "is_cancelled": pa.bool_(), "not_product": pa.bool_(),
    "line_key": pa.string(),
}
_INTEGER = r"^\s*[-+]?\d+(\.0*)?\s*$"
_DECIMAL = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
#: the first bytes of files that are not a CSV export: what each is
MAGIC = (
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel .xls workbook"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF-", "a PDF"),
)
#: the byte-order marks of the encodings that need one
BOMS = {"utf-16": (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE),
        "utf-32": (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)}
#: bytes a decoder could not read, as ``surrogateescape`` keeps them
_UNDECODED = re.compile("[\udc80-\udcff]")


class SourceError(DatagenError, ValueError):
    """The file cannot be read as mapped; the message is one line."""


def _compression(path: Path, mapping: Mapping) -> str | None:
    if mapping.compression == "gzip" or (
            mapping.compression == "infer"
            and path.suffix.lower() == ".gz"):
        return "gzip"
    return None


def _open(path: Path, mapping: Mapping):
    return pa.input_stream(str(path), compression=_compression(path, mapping))


def _where(path) -> str:
    return shown_path(path)


def blocks(path: Path, mapping: Mapping) -> Iterator[pa.Table]:
    """The mapped lines of ``path``, a block at a time."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{_where(path)}: no such file (or not a file)")
    _sniff(path, mapping)
    if mapping.format == "parquet":
        yield from _parquet_blocks(path, mapping)
        return
    header, header_lines = _header(path, mapping)
    wanted = mapping.source_columns()
    names = _column_names(path, header, wanted)
    first_line = 1
    for table in _csv_tables(path, mapping, header, header_lines, names):
        yield mapped(table, mapping, first_line, path)
        first_line += table.num_rows
    if first_line == 1:
        raise SourceError(f"{_where(path)}: no data lines after the header")


def _csv_tables(path: Path, mapping: Mapping, header: list[str],
                header_lines: int, names: list[str]) -> Iterator[pa.Table]:
    """The file's records, ``BLOCK_LINES`` or a little more at a time, as
    tables of text columns (only those the mapping reads)."""
    wanted = mapping.source_columns()
    read = rows = 0
    try:
        reader = pa_csv.open_csv(
            _open(path, mapping),
            read_options=pa_csv.ReadOptions(
                encoding=mapping.encoding, block_size=BLOCK_BYTES,
                use_threads=True, column_names=names,
                skip_rows=header_lines),
            parse_options=pa_csv.ParseOptions(
                delimiter=mapping.delimiter, quote_char=mapping.quote,
                newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in wanted},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                include_columns=wanted))
        pending: list[pa.RecordBatch] = []
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= BLOCK_LINES:
                yield pa.Table.from_batches(pending)
                read += rows
                pending, rows = [], 0
        if pending:
            yield pa.Table.from_batches(pending)
    except (pa.ArrowInvalid, UnicodeError) as error:
        raise _diagnose(path, mapping, header, header_lines,
                        error) from None
    except OSError as error:
        raise _read_error(path, mapping, error, read + rows) from None
    except pa.ArrowException as error:
        raise SourceError(f"{_where(path)}: cannot be read as CSV: "
                          f"{_reason(error)}") from None


def _read_error(path: Path, mapping: Mapping, error: OSError,
                lines: int) -> SourceError:
    """A file that stops being readable: a gzip stream cut short or
    damaged, or an error of the disk."""
    after = f" after line {lines}" if lines else ""
    if _compression(path, mapping) == "gzip":
        return SourceError(
            f"{_where(path)}: not a whole gzip file ({_reason(error)}"
            f"{after}): was it cut short?")
    return SourceError(f"{_where(path)}: cannot be read{after} "
                       f"({_reason(error)})")


def _reason(error: BaseException) -> str:
    """An error's text as a short quote, without the line pyarrow echoes
    after "Expected N columns, got M:"."""
    text = " ".join(str(error).split())
    text = re.sub(r"(Expected \d+ columns, got \d+):.*", r"\1", text)
    return shown(text, 80)


def _sniff(path: Path, mapping: Mapping) -> None:
    """Refuse, in one line, a file whose first bytes say it is not what
    the mapping reads: a Parquet file read as CSV (or the other way), a
    ``.gz`` that is not gzip, a gzip file read as plain text, another
    archive or a workbook (``MAGIC``)."""
    where = _where(path)
    try:
        with open(path, "rb") as handle:
            start = handle.read(16)
            handle.seek(max(handle.seek(0, 2) - 4, 0))
            end = handle.read(4)
    except OSError as error:
        raise SourceError(f"{where}: cannot be read "
                          f"({error.strerror or error})") from None
    if not start:
        raise SourceError(f"{where}: empty (no header line)")
    what = next((name for magic, name in MAGIC if start.startswith(magic)),
                None)
    if mapping.format == "parquet":
        if not start.startswith(b"PAR1"):
            raise SourceError(
                f"{where}: not a Parquet file (it does not start with "
                "PAR1" + (f"; it looks like {what}" if what else "") + ")"
                + ("" if what else ": for a CSV export set format = "
                   "\"csv\" in the mapping's [source]"))
        if end != b"PAR1":
            raise SourceError(f"{where}: a Parquet file cut short (it does "
                              "not end with PAR1): was the copy complete?")
        return
    compression = _compression(path, mapping)
    gzipped = start.startswith(b"\x1f\x8b")
    if start.startswith(b"PAR1"):
        raise SourceError(
            f"{where}: looks like a Parquet file (it starts with PAR1), "
            "not CSV: set format = \"parquet\" in the mapping's [source]")
    if compression == "gzip" and not gzipped:
        said = ("its name ends in .gz" if mapping.compression == "infer"
                else "the mapping says compression = \"gzip\"")
        raise SourceError(
            f"{where}: not gzip-compressed (it does not start with gzip's "
            f"bytes 1f 8b), though {said}: set compression = \"none\" in "
            "the mapping's [source] to read it as it is")
    if compression is None and gzipped:
        raise SourceError(
            f"{where}: gzip-compressed (it starts with 1f 8b) but read as "
            "plain text: name it .gz or set compression = \"gzip\" in the "
            "mapping's [source]")
    if what and not gzipped:
        raise SourceError(f"{where}: looks like {what}, not a CSV file: "
                          "export the orders as CSV (or Parquet)")


def _head(path: Path, mapping: Mapping) -> tuple[bytes, bool]:
    """The first ``MAX_HEADER_BYTES`` of the (decompressed) file, and
    whether that is all of it."""
    try:
        with _open(path, mapping) as raw:
            head = raw.read(MAX_HEADER_BYTES + 1)
    except OSError as error:
        raise _read_error(path, mapping, error, 0) from None
    return head[:MAX_HEADER_BYTES], len(head) <= MAX_HEADER_BYTES


def _header(path: Path, mapping: Mapping) -> tuple[list[str], int]:
    """The column names of the first record, and the physical lines that
    record spans (``SourceError`` if there is no usable header)."""
    where = f"{_where(path)}: line 0 (the header)"
    head, whole = _head(path, mapping)
    if not head:
        raise SourceError(f"{_where(path)}: empty (no header line)")
    codec = codecs.lookup(mapping.encoding).name
    if codec in BOMS and not head.startswith(BOMS[codec]):
        raise SourceError(
            f"{where}: no byte-order mark, which encoding {codec} needs "
            f"to tell the order of its bytes: set encoding = \"{codec}-le\" "
            f"(or \"{codec}-be\") in the mapping's [source]")
    if codec not in BOMS:
        for name, marks in BOMS.items():
            if head.startswith(marks) and not (
                    name == "utf-16" and codec.startswith("utf-16")) and \
                    not (name == "utf-32" and codec.startswith("utf-32")):
                raise SourceError(
                    f"{where}: starts with a {name.upper()} byte-order "
                    f"mark, but the mapping reads {codec}: set encoding "
                    f"= \"{name}\" in the mapping's [source]")
    text = codecs.getincrementaldecoder(mapping.encoding)(
        errors="surrogateescape").decode(head, final=whole)
    consumed: list[str] = []

    def lines():
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    if "\x00" in text.partition("\n")[0]:
        raise SourceError(
            f"{where}: a NUL byte: not text in {codec} (a binary file, or "
            "another encoding such as utf-16?)")
    with _field_limit(MAX_HEADER_BYTES + 1):
        try:
            record = next(csv.reader(lines(), delimiter=mapping.delimiter,
                                     quotechar=mapping.quote), None)
        except csv.Error as error:
            raise SourceError(f"{where}: {shown(error, 80)}") from None
    if record is None:
        raise SourceError(f"{_where(path)}: empty (no header line)")
    if not whole and not consumed[-1].endswith(("\n", "\r")):
        raise SourceError(
            f"{where}: no line end in the first {MAX_HEADER_BYTES >> 20} "
            "MiB: not a CSV header (one very long line, or a quote that is "
            "never closed?)")
    if not record or not "".join(record).strip():
        raise SourceError(
            f"{where}: blank: the column names must be the file's first "
            "line")
    names = [name.strip().lstrip("\ufeff").strip() for name in record]
    bad = next((n for n in names if _UNDECODED.search(n)), None)
    if bad is not None:
        raise SourceError(f"{where}: bytes that are not {mapping.encoding} "
                          f"in {shown(bad, 40)}")
    return names, len(consumed)


def _column_names(path: Path, header: list[str],
                  wanted: list[str]) -> list[str]:
    """The header's names for the reader: those the mapping reads as they
    are, the others replaced by names of their own (so that a repeated or
    odd name the mapping does not read is no matter)."""
    where = f"{_where(path)}: line 0 (the header)"
    missing = [c for c in wanted if c not in header]
    if missing:
        raise SourceError(
            f"{where}: column {shown(missing[0], 40)} that the mapping "
            f"names is not there ({_columns_seen(header, missing[0])})")
    for name in wanted:
        places = [i + 1 for i, n in enumerate(header) if n == name]
        if len(places) > 1:
            raise SourceError(
                f"{where}: column {shown(name, 40)} that the mapping reads "
                f"is there {len(places)} times (columns "
                f"{', '.join(map(str, places[:4]))})")
    return [name if name in wanted else f"\x00column {i}"
            for i, name in enumerate(header)]


def _columns_seen(header: list[str], missing: str) -> str:
    """What the header has, in a few words: its count of columns and the
    names like the one missing (else its first few), each a short quote."""
    import difflib
    count = f"the header has {len(header)} column" + (
        "s" if len(header) != 1 else "")
    if len(header) == 1:
        seen = [d for d in (";", "\t", "|", ",") if d in header[0]]
        if seen:
            return (f"{count} only: is the delimiter {shown(seen[0])}? "
                    "(source.delimiter)")
    folded = {name.casefold(): name for name in header}
    close = difflib.get_close_matches(missing.casefold(), list(folded), n=3,
                                      cutoff=0.6)
    if close:
        return f"{count}; like it: " + ", ".join(
            shown(folded[name], 24) for name in close)
    some = ", ".join(shown(name, 20) for name in header[:4])
    return f"{count}: {some}" + (
        f" and {len(header) - 4} more" if len(header) > 4 else "")


@contextlib.contextmanager
def _field_limit(limit: int):
    """The csv module's largest field (131072 characters by default) set
    to ``limit`` for a while."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


class _LineTooLong(Exception):
    pass


def _diagnose(path: Path, mapping: Mapping, header: list[str],
              header_lines: int, error: BaseException) -> SourceError:
    """Find the line that pyarrow could not read, with the standard
    library's csv module, counting lines as records as pyarrow does."""
    where = _where(path)
    wanted = {i for i, name in enumerate(header)
              if name in mapping.source_columns()}
    straddles = "straddling" in str(error)
    line_no = 0
    try:
        with _open(path, mapping) as raw, _field_limit(MAX_LINE_CHARS):
            text = io.TextIOWrapper(io.BufferedReader(raw),
                                    encoding=mapping.encoding,
                                    errors="surrogateescape", newline="")

            def physical():
                while True:
                    line = text.readline(MAX_LINE_CHARS)
                    if not line:
                        return
                    if len(line) >= MAX_LINE_CHARS and \
                            not line.endswith(("\n", "\r")):
                        raise _LineTooLong
                    yield line

            lines = physical()
            for _ in range(header_lines):
                next(lines, None)
            records = csv.reader(lines, delimiter=mapping.delimiter,
                                 quotechar=mapping.quote)
            last_physical = records.line_num
            for fields in records:
                spans = records.line_num - last_physical
                last_physical = records.line_num
                if not fields:
                    continue        # a blank line is not a line
                line_no += 1
                if len(fields) != len(header):
                    runs_on = spans > 1 and next(records, None) is None
                    quote = shown(mapping.quote)
                    return SourceError(
                        f"{where}: line {line_no}: {len(fields)} field"
                        f"{'s' if len(fields) != 1 else ''} where the header "
                        f"has {len(header)}" + (
                            f" (a quote {quote} opened in it is never "
                            "closed: it runs on to the end of the file)"
                            if runs_on else
                            f" (a quoted value in it runs over {spans} "
                            f"lines: a quote {quote} not closed where it "
                            "should be?)" if spans > 1 else ""))
                for index in sorted(wanted):
                    if _UNDECODED.search(fields[index]):
                        return SourceError(
                            f"{where}: line {line_no}: column "
                            f"{shown(header[index], 40)}: bytes that are "
                            f"not {mapping.encoding}")
                if straddles and sum(map(len, fields)) > BLOCK_BYTES:
                    return SourceError(
                        f"{where}: line {line_no}: longer than "
                        f"{BLOCK_BYTES >> 20} MiB, more than a line of an "
                        "export holds (a quote that is never closed?)")
    except _LineTooLong:
        return SourceError(
            f"{where}: line {line_no + 1}: longer than "
            f"{MAX_LINE_CHARS >> 20} MiB without a line end, more than a "
            "line of an export holds (not a CSV file?)")
    except csv.Error as bad:
        if "field larger than field limit" in str(bad):
            return SourceError(
                f"{where}: line {line_no + 1}: a field longer than "
                f"{MAX_LINE_CHARS >> 20} MiB: a quote "
                f"{shown(mapping.quote)} opened in it that is never closed?")
        return SourceError(f"{where}: line {line_no + 1}: {shown(bad, 80)}")
    except OSError as bad:
        return _read_error(path, mapping, bad, line_no)
    if isinstance(error, UnicodeError):
        return SourceError(f"{where}: bytes that are not {mapping.encoding} "
                           f"({_reason(error)})")
    if straddles:
        return SourceError(
            f"{where}: a line longer than {BLOCK_BYTES >> 20} MiB, more "
            "than a line of an export holds (a quote that is never closed?)")
    return SourceError(f"{where}: cannot be read as CSV: {_reason(error)}")


#: Arrow types a column the mapping reads may have: one value per line
def _plain(kind: pa.DataType) -> bool:
    types = pa.types
    if types.is_dictionary(kind):
        return _plain(kind.value_type)
    return (types.is_string(kind) or types.is_large_string(kind)
            or types.is_binary(kind) or types.is_large_binary(kind)
            or types.is_integer(kind) or types.is_floating(kind)
            or types.is_decimal(kind) or types.is_boolean(kind)
            or types.is_date(kind) or types.is_timestamp(kind)
            or types.is_null(kind)
            or getattr(types, "is_string_view", lambda _: False)(kind))


def _parquet_blocks(path: Path, mapping: Mapping) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq
    where = _where(path)
    try:
        parquet = pq.ParquetFile(str(path))
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError) as error:
        raise SourceError(f"{where}: not a readable Parquet file "
                          f"({_reason(error)})") from None
    names = schema.names
    missing = [c for c in mapping.source_columns() if c not in names]
    if missing:
        raise SourceError(f"{where}: column {shown(missing[0], 40)} that "
                          f"the mapping names is not there ("
                          + _columns_seen(names, missing[0]).replace(
                              "the header has", "the file has") + ")")
    for name in mapping.source_columns():
        kind = schema.field(name).type
        if not _plain(kind):
            raise SourceError(
                f"{where}: column {shown(name, 40)} holds "
                f"{shown(kind, 40)} values, not one value per line (text, "
                "a number, a date or a time): the mapping cannot read it")
    first_line = 1
    batches = parquet.iter_batches(batch_size=BLOCK_LINES,
                                   columns=mapping.source_columns())
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as error:
            raise SourceError(
                f"{where}: a damaged Parquet file after line "
                f"{first_line - 1} ({_reason(error)})") from None
        if batch is None:
            break
        table = pa.Table.from_batches([batch])
        yield mapped(table, mapping, first_line, path)
        first_line += table.num_rows
    if first_line == 1:
        raise SourceError(f"{where}: no data lines")


def _as_text(table: pa.Table, path, first_line: int) -> pa.Table:
    """The text columns of ``table`` checked for what PostgreSQL cannot
    hold in text (a NUL byte, bytes that are not UTF-8), binary columns
    made text."""
    for index, name in enumerate(table.column_names):
        column = table.column(index)
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = pc.cast(column, kind.value_type)
            kind = kind.value_type
        binary = pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
        if not (binary or pa.types.is_string(kind)
                or pa.types.is_large_string(kind)):
            continue
        if binary or not _valid_utf8(column):
            values = pc.cast(column, pa.binary())
            for offset, value in enumerate(values.to_pylist()):
                try:
                    if value is not None:
                        value.decode("utf-8")
                except UnicodeDecodeError as bad:
                    raise SourceError(
                        f"{_where(path)}: line {first_line + offset}: column "
                        f"{shown(name, 40)}: bytes that are not utf-8 "
                        f"({bad.reason})") from None
            column = pc.cast(values, pa.string())
        nul = pc.match_substring(column, "\x00")
        if pc.any(nul).as_py():
            index_bad = pc.index(nul, True).as_py()
            raise SourceError(
                f"{_where(path)}: line {first_line + index_bad}: column "
                f"{shown(name, 40)}: a NUL byte (\\x00), which text in the "
                "warehouse cannot hold: is the file binary, or in another "
                "encoding (utf-16)?")
        table = table.set_column(index, name, column)
    return table


def _valid_utf8(column) -> bool:
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _text(column) -> pa.ChunkedArray:
    """A column as trimmed text, empty values as nulls."""
    if not pa.types.is_string(column.type) and \
            not pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.string())
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()),
                      trimmed)


def _first_bad(path, values, ok, first_line: int, column: str,
               what: str) -> SourceError:
    index = pc.index(ok, False).as_py()
    value = values[index].as_py()
    return SourceError(f"{_where(path)}: line {first_line + index}: column "
                       f"{shown(column, 40)}: {shown(value, 40)} is not "
                       f"{what}")


def _field(table: pa.Table, field: Field) -> pa.ChunkedArray:
    if field.value is not None:
        return _text(pa.chunked_array([pa.repeat(field.value,
                                                 table.num_rows)]))
    parts = [_text(table[c]) for c in field.columns]
    if len(parts) == 1:
        return parts[0]
    joined = pc.binary_join_element_wise(
        *[pc.fill_null(p, "") for p in parts], field.separator)
    return _text(joined)


def _matches(table: pa.Table, match: Match | None) -> pa.ChunkedArray:
    n = table.num_rows
    if match is None:
        return pa.chunked_array([pa.repeat(False, n)])
    values = pc.fill_null(_text(table[match.column]), "")
    hit = pa.chunked_array([pa.repeat(False, n)])
    for prefix in match.starts_with:
        hit = pc.or_(hit, pc.starts_with(values, prefix))
    if match.equals:
        hit = pc.or_(hit, pc.is_in(values, pa.array(match.equals)))
    if match.pattern:
        hit = pc.or_(hit, pc.match_substring_regex(values, match.pattern))
    return hit


def _number(path, name: str, values, first_line: int,
            column: str) -> pa.ChunkedArray:
    """A number field: each value a number (a whole one for a quantity)
    that the warehouse can hold."""
    required = name in REQUIRED
    pattern = _INTEGER if name == "quantity" else _DECIMAL
    ok = pc.fill_null(pc.match_substring_regex(values, pattern),
                      not required)
    if not pc.all(ok).as_py():
        raise _first_bad(path, values, ok, first_line, column,
                         "a whole number" if name == "quantity"
                         else "a number")
    numbers = pc.cast(values, pa.float64())
    fits = pc.fill_null(
        pc.less_equal(pc.abs(numbers), MAX_QUANTITY) if name == "quantity"
        else pc.less(pc.abs(numbers), MAX_AMOUNT), True)
    if not pc.all(fits).as_py():
        raise _first_bad(
            path, values, fits, first_line, column,
            f"a quantity the warehouse holds (at most {MAX_QUANTITY:,})"
            if name == "quantity" else
            f"an amount the warehouse holds (less than {MAX_AMOUNT:,})")
    if name == "quantity":
        return pc.cast(numbers, pa.int64())
    return values


def mapped(table: pa.Table, mapping: Mapping, first_line: int,
           path: Path | str = "source") -> pa.Table:
    """One block of source lines as the warehouse's line fields."""
    table = _as_text(table, path, first_line)
    n = table.num_rows
    out: dict[str, object] = {
        "line_no": pa.array(range(first_line, first_line + n), pa.int64())}
    for name in LINE_COLUMNS:
        if name == "line_no" or name in ("is_returned", "is_cancelled",
                                         "not_product", "line_key"):
            continue
        field = mapping.fields.get(name)
        if field is None:
            out[name] = pa.nulls(n, LINE_COLUMNS[name])
            continue
        column = field.columns[0] if field.columns else name
        raw = table[column] if field.columns else None
        if name in TIMES:
            out[name] = _time(path, raw, field, first_line, column,
                              name in REQUIRED)
            continue
        values = _field(table, field)
        if name in NUMBERS:
            values = _number(path, name, values, first_line, column)
        if name in KEY_FIELDS:
            fits = pc.fill_null(pc.less_equal(pc.utf8_length(values),
                                              MAX_KEY_CHARS), True)
            if not pc.all(fits).as_py():
                raise _first_bad(path, values, fits, first_line, column,
                                 f"a {name} the warehouse keeps (at most "
                                 f"{MAX_KEY_CHARS} characters)")
        out[name] = values
    if mapping.fields.get("quantity") and mapping.fields.get("unit_price"):
        _check_line_amounts(path, out, mapping, first_line)
    out["is_returned"] = _matches(table, mapping.returned_when)
    out["is_cancelled"] = _matches(table, mapping.cancelled_when)
    out["not_product"] = _matches(table, mapping.not_products)
    # an exact repeat has the same value in every column the mapping reads
    out["line_key"] = pc.binary_join_element_wise(
        *[pc.fill_null(pc.cast(table[c], pa.string()), "")
          for c in mapping.source_columns()], "\x1f")
    return pa.table({name: out[name] for name in LINE_COLUMNS},
                    schema=pa.schema(LINE_COLUMNS))


def _check_line_amounts(path, out: dict, mapping: Mapping,
                        first_line: int) -> None:
    """A line's amount (quantity times price) the warehouse can hold."""
    amount = pc.multiply(pc.abs(pc.cast(out["quantity"], pa.float64())),
                         pc.abs(pc.cast(out["unit_price"], pa.float64())))
    fits = pc.fill_null(pc.less(amount, MAX_AMOUNT), True)
    if not pc.all(fits).as_py():
        index = pc.index(fits, False).as_py()
        field = mapping.fields["unit_price"]
        column = field.columns[0] if field.columns else "unit_price"
        raise SourceError(
            f"{_where(path)}: line {first_line + index}: column "
            f"{shown(column, 40)}: quantity times price is "
            f"{amount[index].as_py():,.0f}, more than an amount the "
            f"warehouse holds (less than {MAX_AMOUNT:,})")


def _time(path, raw, field: Field, first_line: int, column: str,
          required: bool) -> pa.ChunkedArray:
    if raw is None:
        raise SourceError(f"{_where(path)}: {shown(column, 40)}: a time "
                          "needs a column")
    if pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type):
        if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
            raw = pc.local_timestamp(raw)       # the shop's wall clock
        values = pc.cast(pc.floor_temporal(raw, unit="second")
                         if pa.types.is_timestamp(raw.type) else raw,
                         pa.timestamp("s"), safe=False)
        ok = pc.invert(pc.is_null(values))
        if required and not pc.all(ok).as_py():
            raise _first_bad(path, values, ok, first_line, column,
                             "a date or time")
        return _in_years(path, values, first_line, column)
    text = _text(raw)
    if field.format:
        parsed = pc.strptime(text, format=field.format, unit="s",
                             error_is_null=True)
        what = f"a date or time written {field.format}"
    else:
        iso = pc.replace_substring_regex(text, r"^(\S+)[T ](\S+)$", r"\1 \2")
        parsed = pc.cast(pc.strptime(iso, format="%Y-%m-%d %H:%M:%S",
                                     unit="s", error_is_null=True),
                         pa.timestamp("s"))
        dates = pc.strptime(text, format="%Y-%m-%d", unit="s",
                            error_is_null=True)
        parsed = pc.coalesce(parsed, dates)
        what = "a date or time written YYYY-MM-DD[ HH:MM:SS]"
    ok = pc.invert(pc.is_null(parsed))
    if not required:
        ok = pc.or_(ok, pc.is_null(text))
    if not pc.all(ok).as_py():
        raise _first_bad(path, text, ok, first_line, column, what)
    return _in_years(path, parsed, first_line, column)


def _in_years(path, values, first_line: int, column: str):
    """Dates and times whose year the warehouse holds (``YEARS``)."""
    years = pc.year(values)
    ok = pc.fill_null(pc.and_(pc.greater_equal(years, YEARS[0]),
                              pc.less_equal(years, YEARS[1])), True)
    if not pc.all(ok).as_py():
        raise _first_bad(path, pc.cast(values, pa.string()), ok, first_line,
                         column, f"a date in the years {YEARS[0]} to "
                         f"{YEARS[1]}")
    return values


def file_digest(path: Path) -> str:
    """sha256 of the file as stored (compressed or not)."""
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
