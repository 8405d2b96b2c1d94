"""One block of a file's rows as the warehouse's line fields.

Owns ``mapped``: a table of source columns (text, or Parquet's own types)
made the block the warehouse copies (``LINE_COLUMNS``), every value taken
as its part's fields say: text trimmed (empty is unknown), numbers read
with the file's decimal mark and thousands separator (a currency sign and
a discount rate's ``%`` taken off), dates and times parsed with their
format (an offset such as ``+0200`` is dropped: the time is the shop's
wall clock as written; a Parquet time with a zone is taken in its zone),
a full name split at its last blank, the rules' flags and each line's key
for exact repeats. What the warehouse cannot hold stops the import in one
line naming the file, the line and the column: a NUL byte, bytes that are
not UTF-8, a number or a date that does not parse, a quantity or an
amount out of range, a year outside 1 to 9999, an id too long to index.
Where the source has no quantity or no date, the stated placeholders go
in (1 unit, ``[defaults] order_date``), recorded as unknown elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..escape import shown
from .reading import (
    KEY_FIELDS,
    MAX_AMOUNT,
    MAX_KEY_CHARS,
    MAX_QUANTITY,
    YEARS,
    SourceError,
    where,
)
from .spec import NUMBERS, TIMES, Field, Mapping, Match, Part

#: the columns of a block, in order, with their Arrow types (amounts stay
#: text, as the source wrote them once its separators are read: the
#: warehouse reads them as exact decimals)
LINE_COLUMNS = {
    "line_no": pa.int64(), "order_number": pa.string(), "sku": pa.string(),
    "product_name": pa.string(), "category": pa.string(),
    "subcategory": pa.string(), "brand": pa.string(),
    "quantity": pa.int64(),
    **{name: pa.string() for name in NUMBERS if name != "quantity"},
    "order_ts": pa.timestamp("s"), "customer_code": pa.string(),
    "country": pa.string(), "city": pa.string(), "region": pa.string(),
    "email": pa.string(), "first_name": pa.string(),
    "last_name": pa.string(), "channel": pa.string(),
    "status": pa.string(), "is_returned": pa.bool_(),
    "is_cancelled": pa.bool_(), "not_product": pa.bool_(),
    "line_key": pa.string(),
}
FLAGS = ("is_returned", "is_cancelled", "not_product", "line_key")
#: fields a line of the lines file must have where they are mapped
NEEDED = ("quantity", "unit_price", "line_total", "line_subtotal")
_INTEGER = r"^\s*[-+]?\d+(\.0*)?\s*$"
_DECIMAL = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
#: what a number may carry around it: a currency sign, blanks
_DECORATION = r"^[\s\p{Sc}]+|[\s\p{Sc}]+$"
#: an offset or zone letter at the end of a time, and fractions of seconds
_OFFSET = r"\s*(Z|[+-]\d\d:?\d\d)$"


def as_text(table: pa.Table, path, first_line: int) -> pa.Table:
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
                        f"{where(path)}: line {first_line + offset}: column "
                        f"{shown(name, 40)}: bytes that are not utf-8 "
                        f"({bad.reason})") from None
            column = pc.cast(values, pa.string())
        nul = pc.match_substring(column, "\x00")
        if pc.any(nul).as_py():
            index_bad = pc.index(nul, True).as_py()
            raise SourceError(
                f"{where(path)}: line {first_line + index_bad}: column "
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
    return SourceError(f"{where(path)}: line {first_line + index}: column "
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


def _number(path, name: str, values, first_line: int, column: str,
            part: Part, required: bool) -> pa.ChunkedArray:
    """A number field: each value a number (a whole one for a quantity)
    that the warehouse can hold, as plain decimal text (an integer for a
    quantity)."""
    pattern = _INTEGER if name == "quantity" else _DECIMAL
    if part.thousands:
        values = pc.replace_substring(values, part.thousands, "")
    if part.decimal != ".":
        values = pc.replace_substring(values, part.decimal, ".")
    ok = pc.fill_null(pc.match_substring_regex(values, pattern),
                      not required)
    percent = None
    if not pc.all(ok).as_py():     # the slow way: signs, blanks, percents
        values = _text(pc.replace_substring_regex(values, _DECORATION, ""))
        if name == "discount_rate":
            percent = pc.ends_with(values, "%")
            values = pc.replace_substring_regex(values, "%$", "")
        ok = pc.fill_null(pc.match_substring_regex(values, pattern),
                          not required)
        if not pc.all(ok).as_py():
            raise _first_bad(path, values, ok, first_line, column,
                             "a whole number" if name == "quantity"
                             else "a number")
    numbers = pc.cast(values, pa.float64())
    if percent is not None:
        numbers = pc.if_else(pc.fill_null(percent, False),
                             pc.divide(numbers, 100.0), numbers)
        values = pc.if_else(pc.fill_null(percent, False),
                            pc.cast(numbers, pa.string()), values)
    if name == "discount_rate":
        fits = pc.fill_null(pc.and_(pc.greater_equal(numbers, 0),
                                    pc.less_equal(numbers, 1)), True)
        what = "a discount rate from 0 to 1 (20% is 0.2 or 20%)"
    elif name == "quantity":
        fits = pc.fill_null(pc.less_equal(pc.abs(numbers), MAX_QUANTITY),
                            True)
        what = f"a quantity the warehouse holds (at most {MAX_QUANTITY:,})"
    else:
        fits = pc.fill_null(pc.less(pc.abs(numbers), MAX_AMOUNT), True)
        what = f"an amount the warehouse holds (less than {MAX_AMOUNT:,})"
    if not pc.all(fits).as_py():
        raise _first_bad(path, values, fits, first_line, column, what)
    if name == "quantity":
        return pc.cast(numbers, pa.int64())
    return values


def split_name(full) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """A full name as (first names, last name), split at its last blank;
    one word is a first name with an empty last name (so that first, a
    blank and last give the full name back)."""
    single = pc.invert(pc.match_substring_regex(full, r"\s"))
    first = pc.replace_substring_regex(full, r"\s+\S+$", "")
    last = pc.replace_substring_regex(full, r"^.*\s", "")
    return (pc.if_else(single, full, first),
            pc.if_else(single, pa.scalar("", pa.string()), last))


def mapped(table: pa.Table, part: Part, mapping: Mapping, first_line: int,
           path: Path | str = "source") -> pa.Table:
    """One block of a part's rows as the warehouse's line fields."""
    table = as_text(table, path, first_line)
    n = table.num_rows
    lines = part.name == "lines"
    out: dict[str, object] = {
        "line_no": pa.array(range(first_line, first_line + n), pa.int64())}
    for name, field in part.fields.items():
        column = field.columns[0] if field.columns else name
        if name in TIMES:
            required = part.name == "orders" or (
                lines and part.order_fields == "each_line")
            out[name] = _time(path, table, field, first_line, column,
                              required)
            continue
        values = _field(table, field)
        if name in NUMBERS:
            values = _number(path, name, values, first_line, column, part,
                             lines and name in NEEDED)
        if name in KEY_FIELDS:
            fits = pc.fill_null(pc.less_equal(pc.utf8_length(values),
                                              MAX_KEY_CHARS), True)
            if not pc.all(fits).as_py():
                raise _first_bad(path, values, fits, first_line, column,
                                 f"a {name} the warehouse keeps (at most "
                                 f"{MAX_KEY_CHARS} characters)")
        out[name] = values
    if "full_name" in out:
        out["first_name"], out["last_name"] = split_name(
            out.pop("full_name"))
    if "quantity" in out and "unit_price" in out:
        _check_line_amounts(path, out, part, first_line)
    if lines:
        out["is_returned"] = _matches(table, part.returned_when)
        out["is_cancelled"] = _matches(table, part.cancelled_when)
        out["not_product"] = _matches(table, part.not_products)
        # an exact repeat has the same value in every column it reads
        out["line_key"] = pc.binary_join_element_wise(
            *[pc.fill_null(pc.cast(table[c], pa.string()), "")
              for c in part.source_columns()], "\x1f")
        every = mapping.fields
        if "quantity" not in every:     # a basket's line: one unit
            out["quantity"] = pc.if_else(out["is_returned"], -1, 1)
        if "order_ts" not in every:     # a stated placeholder date
            out["order_ts"] = pa.repeat(pa.scalar(
                _placeholder(mapping), pa.timestamp("s")), n)
    else:
        for flag in FLAGS:
            out[flag] = pa.repeat("" if flag == "line_key" else False, n)
    return pa.table(
        {name: out[name] if name in out else pa.nulls(n, kind)
         for name, kind in LINE_COLUMNS.items()},
        schema=pa.schema(LINE_COLUMNS))


def _placeholder(mapping: Mapping):
    import datetime as dt
    return dt.datetime.fromisoformat(mapping.defaults["order_date"])


def _check_line_amounts(path, out: dict, part: Part,
                        first_line: int) -> None:
    """A line's amount (quantity times price) the warehouse can hold."""
    amount = pc.multiply(pc.abs(pc.cast(out["quantity"], pa.float64())),
                         pc.abs(pc.cast(out["unit_price"], pa.float64())))
    fits = pc.fill_null(pc.less(amount, MAX_AMOUNT), True)
    if not pc.all(fits).as_py():
        index = pc.index(fits, False).as_py()
        field = part.fields["unit_price"]
        column = field.columns[0] if field.columns else "unit_price"
        raise SourceError(
            f"{where(path)}: line {first_line + index}: column "
            f"{shown(column, 40)}: quantity times price is "
            f"{amount[index].as_py():,.0f}, more than an amount the "
            f"warehouse holds (less than {MAX_AMOUNT:,})")


def _time(path, table: pa.Table, field: Field, first_line: int,
          column: str, required: bool) -> pa.ChunkedArray:
    raw = table[field.columns[0]] if len(field.columns) == 1 else None
    if raw is not None and (pa.types.is_timestamp(raw.type)
                            or pa.types.is_date(raw.type)):
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
    text = _field(table, field)
    if field.format:
        fmt = field.format
        if "%z" in fmt:     # the offset is read and dropped: wall clock
            fmt = re.sub(r"\s*%z", "", fmt)
            text = pc.replace_substring_regex(text, _OFFSET, "")
        parsed = pc.strptime(text, format=fmt, unit="s",
                             error_is_null=True)
        what = f"a date or time written {field.format}"
    else:
        parsed = _iso(text)
        if not pc.all(pc.or_(pc.is_valid(parsed),
                             pc.is_null(text))).as_py():
            bare = pc.replace_substring_regex(
                pc.replace_substring_regex(text, _OFFSET, ""),
                r"(:\d\d)\.\d+$", r"\1")
            parsed = pc.coalesce(parsed, _iso(bare), pc.strptime(
                pc.replace_substring_regex(bare, r"^(\S+)[T ](\S+)$",
                                           r"\1 \2"),
                format="%Y-%m-%d %H:%M", unit="s", error_is_null=True))
        what = "a date or time written YYYY-MM-DD[ HH:MM:SS]"
    ok = pc.invert(pc.is_null(parsed))
    if not required:
        ok = pc.or_(ok, pc.is_null(text))
    if not pc.all(ok).as_py():
        raise _first_bad(path, text, ok, first_line, column, what)
    return _in_years(path, pc.cast(parsed, pa.timestamp("s")), first_line,
                     column)


def _iso(text):
    """``YYYY-MM-DD`` or ``YYYY-MM-DD[ T]HH:MM:SS``, else null."""
    iso = pc.replace_substring_regex(text, r"^(\S+)[T ](\S+)$", r"\1 \2")
    parsed = pc.cast(pc.strptime(iso, format="%Y-%m-%d %H:%M:%S", unit="s",
                                 error_is_null=True), pa.timestamp("s"))
    dates = pc.strptime(text, format="%Y-%m-%d", unit="s",
                        error_is_null=True)
    return pc.coalesce(parsed, dates)


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
