"""Reading a shop's export as mapped: blocks of typed order lines.

Owns reading the source file, in blocks of ``BLOCK_LINES`` data lines so
that memory stays flat whatever its size: CSV (any delimiter, quote and
encoding, gzip or not) with pyarrow's streaming reader, Parquet by row
groups. Each block becomes one Arrow table of the warehouse's line fields
(``LINE_COLUMNS``), every value taken from its column as the mapping says,
with its ``line_no`` (1 = the first data line after the header) and the
flags of the mapping's per-line rules.

A file that cannot be read as mapped (a mapped column missing, a date,
time or number that does not parse in a required field, bytes that are not
in the stated encoding, no data) raises ``SourceError`` whose one line
names the file, the line and the column. pyarrow's own errors do not name
the line, so on one the file is read again, line by line with the standard
library, to find it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import DatagenError
from .mapping import NUMBERS, REQUIRED, TIMES, Field, Mapping, Match

#: data lines per block
BLOCK_LINES = 100_000
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


class SourceError(DatagenError, ValueError):
    """The file cannot be read as mapped; the message is one line."""


def _compression(path: Path, mapping: Mapping) -> str | None:
    if mapping.compression == "gzip" or (
            mapping.compression == "infer" and path.suffix == ".gz"):
        return "gzip"
    return None


def _open(path: Path, mapping: Mapping):
    return pa.input_stream(str(path), compression=_compression(path, mapping))


def blocks(path: Path, mapping: Mapping) -> Iterator[pa.Table]:
    """The mapped lines of ``path``, a block at a time."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if mapping.format == "parquet":
        yield from _parquet_blocks(path, mapping)
        return
    header = _header(path, mapping)
    missing = [c for c in mapping.source_columns() if c not in header]
    if missing:
        raise SourceError(
            f"{path}: line 0 (the header): column {missing[0]!r} that the "
            f"mapping names is not there (the header has: "
            f"{', '.join(header)})")
    first_line = 1
    try:
        reader = pa_csv.open_csv(
            _open(path, mapping),
            read_options=pa_csv.ReadOptions(
                encoding=mapping.encoding, block_size=1 << 22,
                use_threads=True),
            parse_options=pa_csv.ParseOptions(
                delimiter=mapping.delimiter, quote_char=mapping.quote,
                newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                include_columns=mapping.source_columns()))
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= BLOCK_LINES:
                table = pa.Table.from_batches(pending)
                yield mapped(table, mapping, first_line, path)
                first_line += table.num_rows
                pending, rows = [], 0
        if pending:
            table = pa.Table.from_batches(pending)
            yield mapped(table, mapping, first_line, path)
            first_line += table.num_rows
    except pa.ArrowInvalid as error:
        raise _diagnose(path, mapping, header, error) from None
    if first_line == 1:
        raise SourceError(f"{path}: no data lines after the header")


def _header(path: Path, mapping: Mapping) -> list[str]:
    """The column names of the first line (``SourceError`` if none)."""
    with _open(path, mapping) as raw:
        head = io.BufferedReader(raw).readline()
    if not head.strip():
        raise SourceError(f"{path}: empty (no header line)")
    try:
        text = codecs.getincrementaldecoder(mapping.encoding)().decode(head)
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: line 0 (the header): bytes that are not "
                          f"{mapping.encoding} ({error.reason})") from None
    first = next(csv.reader(io.StringIO(text), delimiter=mapping.delimiter,
                            quotechar=mapping.quote))
    return [name.strip().lstrip("\ufeff") for name in first]


def _diagnose(path, mapping: Mapping, header, error) -> SourceError:
    """Find the line that pyarrow could not read, with the standard
    library's csv module."""
    with _open(path, mapping) as raw:
        data = io.BufferedReader(raw)
        data.readline()  # the header
        for line_no, line in enumerate(data, start=1):
            try:
                text = line.decode(mapping.encoding)
            except UnicodeDecodeError as bad:
                shown = line.decode(mapping.encoding, errors="replace")
                fields = next(csv.reader([shown], delimiter=mapping.delimiter,
                                         quotechar=mapping.quote), [])
                column = next((header[i] for i, f in enumerate(fields)
                               if "\ufffd" in f and i < len(header)), "?")
                return SourceError(
                    f"{path}: line {line_no}: column {column!r}: bytes that "
                    f"are not {mapping.encoding} ({bad.reason})")
            fields = next(csv.reader([text], delimiter=mapping.delimiter,
                                     quotechar=mapping.quote), [])
            if fields and len(fields) != len(header) and '"' not in text:
                return SourceError(
                    f"{path}: line {line_no}: {len(fields)} fields where the "
                    f"header has {len(header)}")
    reason = " ".join(str(error).split())[:200]
    return SourceError(f"{path}: cannot be read as CSV: {reason}")


def _parquet_blocks(path: Path, mapping: Mapping) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq
    try:
        parquet = pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, OSError) as error:
        raise SourceError(f"{path}: not a Parquet file "
                          f"({' '.join(str(error).split())[:120]})") from None
    names = parquet.schema_arrow.names
    missing = [c for c in mapping.source_columns() if c not in names]
    if missing:
        raise SourceError(f"{path}: column {missing[0]!r} that the mapping "
                          f"names is not there (it has: {', '.join(names)})")
    first_line = 1
    for batch in parquet.iter_batches(batch_size=BLOCK_LINES,
                                      columns=mapping.source_columns()):
        table = pa.Table.from_batches([batch])
        yield mapped(table, mapping, first_line, path)
        first_line += table.num_rows
    if first_line == 1:
        raise SourceError(f"{path}: no data lines")


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
    shown = values[index].as_py()
    return SourceError(f"{path}: line {first_line + index}: column "
                       f"{column!r}: {shown!r} is not {what}")


def _field(table: pa.Table, field: Field) -> pa.ChunkedArray:
    if field.value is not None:
        return pa.chunked_array([pa.repeat(field.value, table.num_rows)])
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


def mapped(table: pa.Table, mapping: Mapping, first_line: int,
           path: Path | str = "source") -> pa.Table:
    """One block of source lines as the warehouse's line fields."""
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
            pattern = _INTEGER if name == "quantity" else _DECIMAL
            ok = pc.fill_null(pc.match_substring_regex(values, pattern),
                              name not in REQUIRED)
            if not pc.all(ok).as_py():
                raise _first_bad(path, values, ok, first_line, column,
                                 "a number")
            if name == "quantity":
                values = pc.cast(pc.cast(values, pa.float64()), pa.int64())
        out[name] = values
    out["is_returned"] = _matches(table, mapping.returned_when)
    out["is_cancelled"] = _matches(table, mapping.cancelled_when)
    out["not_product"] = _matches(table, mapping.not_products)
    # an exact repeat has the same value in every column the mapping reads
    out["line_key"] = pc.binary_join_element_wise(
        *[pc.fill_null(pc.cast(table[c], pa.string()), "")
          for c in mapping.source_columns()], "\x1f")
    return pa.table({name: out[name] for name in LINE_COLUMNS},
                    schema=pa.schema(LINE_COLUMNS))


def _time(path, raw, field: Field, first_line: int, column: str,
          required: bool) -> pa.ChunkedArray:
    if raw is None:
        raise SourceError(f"{path}: {column}: a time needs a column")
    if pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type):
        values = pc.cast(raw, pa.timestamp("s"))
        ok = pc.invert(pc.is_null(values))
        if required and not pc.all(ok).as_py():
            raise _first_bad(path, values, ok, first_line, column,
                             "a date or time")
        return values
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
    return parsed


def file_digest(path: Path) -> str:
    """sha256 of the file as stored (compressed or not)."""
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
