"""Mapping files: how a shop's export becomes the warehouse's order lines.

Owns reading a mapping (TOML, documented in the guide's "Bring your own
orders" and by the built-in ``mappings/*.toml``) and checking it: first
against a schema (``msgspec`` Structs: every table, key, type and list),
then against the rules a schema cannot say (one source per field, a
format only for dates and times, a status's value lists only on
``status``, a discount or a profit only with a price, each ``pattern``
compiled by the engine that runs it: Arrow's RE2, not Python's ``re``). A
mapping that cannot be used stops with one line naming the file and the
key path (``rules.returned_when.codes[0]: expected a string, got 1``),
before anything is read or touched. What a checked mapping holds is
``spec.Mapping``.

A mapping has these tables:

- ``[source]``: how the lines file is written (``format`` csv or
  parquet, ``encoding``, ``delimiter`` (one character, or ``"blanks"``
  for columns apart by runs of blanks), ``quote``, ``compression``,
  ``header`` and the ``columns`` of a file without one, ``decimal`` and
  ``thousands``, ``order_fields``) and the ``currency`` of every amount;
- ``[fields]``: for each warehouse field, the lines file's column (its
  header name) or a table: ``{ column = "X", format = "%d.%m.%Y" }``,
  ``{ value = "..." }``, ``{ columns = ["A", "B"], separator = " " }``,
  ``{ column = "Status", cancelled = [...], returned = [...] }``;
- ``[orders]``, ``[products]``, ``[customers]``: other files of the
  export (``path``, the options of ``[source]`` where they differ, and
  their own ``[<file>.fields]``), joined to the lines by order number,
  product code and customer id;
- ``[defaults]``: what the source lacks and the warehouse needs;
- ``[rules]``: which lines are returns or cancellations, what happens to
  lines without a customer, which codes are not products, duplicates.

Where a list is expected a list it must be: ``starts_with = "CX"`` is
refused (it is not read as the prefixes C and X, nor as one prefix CX).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import msgspec

from ..errors import DatagenError
from ..escape import shown, shown_path
from .schema import (
    READ_OPTIONS,
    _FieldTable,
    _MappingFile,
    _MatchTable,
    _RulesTable,
    explain,
    regex_error,
)
from .spec import (
    DEFAULTS,
    FIELDS,
    NUMBERS,
    ONE_OF,
    OPTIONAL,
    ORDER_LEVEL,
    PARTS,
    REQUIRED,
    TIMES,
    Field,
    Mapping,
    Match,
    Part,
    Status,
)

BUILT_IN = Path(__file__).resolve().parent / "mappings"
#: a mapping is a short text; a larger file is not one (and is not read)
MAX_MAPPING_BYTES = 1 << 20
#: what a warehouse's data may or may not know (``Mapping.known``, the
#: warehouse's ``data_known``): the chapters show what needs only what is
#: known. quantities, times, subcategories and discounts were added with
#: exports that lack them (a basket list, dates without times)
CAPABILITIES = ("prices", "costs", "returns", "cancellations", "channels",
                "categories", "customers", "customer_names", "places",
                "dates", "quantities", "times", "subcategories",
                "discounts")
#: strftime codes that read a time of day
TIME_OF_DAY = re.compile(r"%[HIMSTXcrRlkp]")


class MappingError(DatagenError, ValueError):
    """A mapping that cannot be used; the message is one line."""


def resolve(name_or_path: str) -> Path:
    """A built-in mapping's file, or the path given."""
    candidate = BUILT_IN / f"{name_or_path}.toml"
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", name_or_path) and \
            candidate.exists():
        return candidate
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in BUILT_IN.glob("*.toml")))
        raise MappingError(f"mapping {shown(name_or_path)}: no such built-in "
                           f"mapping ({known}) or file")
    return path


def load(name_or_path: str) -> Mapping:
    """Read and validate a mapping; ``MappingError`` in one line if bad."""
    path = resolve(name_or_path)
    where = f"mapping {shown_path(path)}"
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_MAPPING_BYTES + 1)
    except OSError as error:
        raise MappingError(f"{where}: cannot be read "
                           f"({error.strerror or error})") from None
    if len(data) > MAX_MAPPING_BYTES:
        raise MappingError(f"{where}: larger than "
                           f"{MAX_MAPPING_BYTES >> 20} MiB: not a mapping")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise MappingError(f"{where}: not valid TOML: bytes that are not "
                           f"utf-8 ({error.reason})") from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{where}: not valid TOML: "
                           f"{shown(' '.join(str(error).split()), 120)}"
                           ) from None

    def fail(key: str, why: str):
        raise MappingError(f"{where}: {key}: {why}")

    try:
        spec = msgspec.convert(raw, _MappingFile)
    except msgspec.ValidationError as error:
        fail(*explain(str(error), raw))
    return _mapping(spec, raw, path, fail)


def _mapping(spec: _MappingFile, raw: dict, path: Path, fail) -> Mapping:
    """The checks a schema cannot state, and the ``Mapping`` they pass."""
    source = spec.source
    lines = _part("lines", None, source, raw.get("fields", {}), spec.fields,
                  "source", "fields", fail, order_fields=source.order_fields,
                  rules=spec.rules)
    joined = {}
    for name, (key, allowed) in PARTS.items():
        table = getattr(spec, name)
        if table is None:
            continue
        if not table.path:
            fail(f"{name}.path", f"missing: the {name} file, beside the "
                 "lines file (or a path)")
        if table.fields is None:
            fail(f"{name}.fields", f"missing: the {name} file's fields, "
                 f"its key {key} first")
        # how a file is written is [source]'s unless said otherwise; its
        # header and column names are its own
        inherited = {option: getattr(source, option)
                     for option in READ_OPTIONS
                     if getattr(table, option) is None
                     and option not in ("header", "columns")}
        part_raw = raw[name].get("fields", {})
        joined[name] = _part(name, table.path, table, part_raw,
                             table.fields, name, f"{name}.fields", fail,
                             inherited=inherited)
        given = set(joined[name].fields)
        if key not in given:
            fail(f"{name}.fields.{key}", f"missing: the {name} file is "
                 f"joined to the lines by {key}")
        wrong = sorted(given - {key} - set(allowed), key=FIELDS.index)
        if wrong:
            fail(f"{name}.fields.{wrong[0]}", f"not a field of the {name} "
                 f"file (it gives {key} and " + ", ".join(allowed) + ")")
        if key not in lines.fields and not (
                key == "customer_code" and "customer_code" in
                joined.get("orders", lines).fields):
            fail(f"fields.{key}", f"missing: the lines are joined to the "
                 f"{name} file by {key}, so the lines give it too")
    seen: dict[str, str] = {}
    for part in (lines, *joined.values()):
        prefix = "fields" if part.name == "lines" else f"{part.name}.fields"
        key = PARTS.get(part.name, ("",))[0]
        for name in part.fields:
            if name == key or (part.name == "orders"
                               and name == "customer_code"
                               and "customers" in joined):
                continue
            if name in seen:
                fail(f"{prefix}.{name}", f"also given by {seen[name]}: "
                     "one source per field")
            seen[name] = f"{prefix}.{name}"
    for name in REQUIRED:
        if name not in lines.fields:
            fail(f"fields.{name}", "missing: every mapping gives "
                 + " and ".join(REQUIRED) + " (the lines file's columns); "
                 "every other field is optional and what it turns off is "
                 "recorded as unknown")
    every = {name for part in (lines, *joined.values())
             for name in part.fields}
    for group in ONE_OF:
        both = [name for name in group if name in every]
        if len(both) > 1:
            fail(f"fields.{both[1]}", f"{' and '.join(both)} say the same: "
                 "give one")
    priced = every & {"unit_price", "line_total", "line_subtotal"}
    for name in ("line_discount", "discount_rate", "profit"):
        if name in every and not priced:
            fail(f"fields.{name}", "needs a price to apply to: unit_price, "
                 "line_total or line_subtotal")
    rules = spec.rules
    missing = rules.missing_customer or (
        "reject" if "customer_code" in every else "guest")
    if "customer_code" not in every and missing == "reject":
        fail("fields.customer_code", "missing, and rules.missing_customer "
             "is \"reject\": every line would be rejected; map "
             "customer_code to the column of customer ids, or leave "
             "missing_customer out (each order then is a guest of its own)")
    defaults = dict(DEFAULTS, channel=spec.defaults.channel,
                    channel_group=spec.defaults.channel_group,
                    category=spec.defaults.category)
    if spec.defaults.order_date is not None:
        defaults["order_date"] = spec.defaults.order_date.isoformat()
    return Mapping(
        name=spec.name or path.stem, path=path,
        description=spec.description, currency=source.currency,
        lines=lines, joined=joined, defaults=defaults,
        missing_customer=missing, duplicates=rules.duplicates,
        zero_price=rules.zero_price)


def _part(name: str, path: str | None, table, raw_fields: dict,
          fields_spec, where: str, prefix: str, fail,
          inherited: dict | None = None, order_fields: str = "each_line",
          rules: _RulesTable | None = None) -> Part:
    """One file's reading options and fields, checked."""
    options = {option: getattr(table, option) for option in READ_OPTIONS
               if getattr(table, option) is not None}
    options.update(inherited or {})
    options = {k: v for k, v in options.items() if v is not None}
    encoding = options.get("encoding", "utf-8")
    try:
        "".encode(encoding)
    except LookupError:
        fail(f"{where}.encoding", f"unknown encoding {shown(encoding)} "
             "(any Python codec: utf-8, latin-1, cp1252, utf-16 ...)")
    delimiter = options.get("delimiter", ",")
    quote = options.get("quote", '"')
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    if len(delimiter) != 1 and delimiter != "blanks":
        fail(f"{where}.delimiter", f"one character, or \"blanks\" (columns "
             f"apart by runs of blanks), got {shown(delimiter, 20)}")
    if len(quote) != 1:
        fail(f"{where}.quote", f"one character, got {shown(quote, 20)}")
    if delimiter == quote:
        fail(f"{where}.quote", "the same character as the delimiter")
    if delimiter in "\r\n" or quote in "\r\n":
        fail(f"{where}.delimiter" if delimiter in "\r\n" else
             f"{where}.quote", "a line break cannot be one")
    decimal = options.get("decimal", ".")
    thousands = options.get("thousands", "")
    if decimal == thousands:
        fail(f"{where}.thousands", "the same character as the decimal "
             "mark")
    header = options.get("header", True)
    columns = tuple(options.get("columns") or ())
    if header and columns:
        fail(f"{where}.columns", "names the columns of a file without a "
             "header line: set header = false too (a header names its "
             "own)")
    if not header and not columns:
        fail(f"{where}.columns", "missing: a file without a header "
             "(header = false) needs its columns' names in order: "
             "columns = [\"Date\", \"Order\", ...]")
    if options.get("format") == "parquet" and not header:
        fail(f"{where}.header", "a Parquet file names its columns itself")
    # the fields in the mapping's own order (the source columns' order)
    names = [n for n in raw_fields if n in FIELDS
             and getattr(fields_spec, n) is not None]
    fields = {n: _field(getattr(fields_spec, n), n, prefix, fail)
              for n in names}
    status = None
    if "status" in fields:
        status = _status(fields_spec.status, prefix, fail)
    first_line = order_fields == "first_line"
    rule = rules or _RulesTable()
    return Part(
        name=name, path=path, format=options.get("format", "csv"),
        encoding=encoding, delimiter=delimiter, quote=quote,
        compression=options.get("compression", "infer"), header=header,
        columns=columns, decimal=decimal, thousands=thousands,
        fields=fields, status=status,
        order_fields="first_line" if first_line else "each_line",
        returned_when=_match(rule.returned_when, "returned_when", fail),
        cancelled_when=_match(rule.cancelled_when, "cancelled_when", fail),
        not_products=_match(rule.not_products, "not_products", fail))


def _field(spec: str | _FieldTable, name: str, prefix: str, fail) -> Field:
    if isinstance(spec, str):
        return Field(columns=(spec,))
    key = f"{prefix}.{name}"
    given = [k for k in ("column", "columns", "value")
             if getattr(spec, k) is not None]
    if len(given) != 1:
        fail(key, "needs one of column, columns or value" if not given else
             f"{' and '.join(given)} together: give one of them")
    if spec.format is not None and name not in TIMES:
        fail(f"{key}.format", "only dates and times take a format ("
             + ", ".join(TIMES) + "); numbers take [source] decimal and "
             "thousands")
    if spec.format is not None and spec.value is not None:
        fail(f"{key}.format", "a format reads a column: { column = "
             "\"...\", format = \"...\" } (a value is written YYYY-MM-DD)")
    if spec.separator is not None and spec.columns is None:
        fail(f"{key}.separator", "a separator joins columns: "
             "{ columns = [\"...\", \"...\"], separator = \" \" }")
    lists = [k for k in ("cancelled", "returned", "completed")
             if getattr(spec, k) is not None]
    if lists and name != "status":
        fail(f"{key}.{lists[0]}", "only status takes lists of values")
    if spec.value is not None and (name in NUMBERS or name == "status"):
        fail(f"{key}.value", "a number or a status comes from a column: "
             "leave the field out where the source has none")
    if spec.value is not None:
        value = str(spec.value)
        if name in TIMES and not re.fullmatch(
                r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", value):
            fail(f"{key}.value", f"a date written YYYY-MM-DD[ HH:MM[:SS]], "
                 f"got {shown(value, 40)}")
        return Field(value=value)
    if spec.columns is not None:
        return Field(columns=tuple(spec.columns), format=spec.format,
                     separator=" " if spec.separator is None
                     else spec.separator)
    return Field(columns=(spec.column,), format=spec.format)


def _status(spec, prefix: str, fail) -> Status:
    key = f"{prefix}.status"
    if isinstance(spec, str) or not (spec.cancelled or spec.returned
                                     or spec.completed):
        fail(key, "needs the values that mean each status: { column = "
             "\"Status\", cancelled = [\"cancelled\"], returned = "
             "[\"refunded\"], completed = [\"completed\"] }")
    status = Status(cancelled=tuple(spec.cancelled or ()),
                    returned=tuple(spec.returned or ()),
                    completed=tuple(spec.completed or ()))
    seen: dict[str, str] = {}
    for value, kind in status.values():
        if value in seen and seen[value] != kind:
            fail(f"{key}.{kind}", f"{shown(value, 40)} is also in "
                 f"{seen[value]}")
        seen[value] = kind
    return status


def _match(spec: _MatchTable | None, name: str, fail) -> Match | None:
    if spec is None:
        return None
    key = f"rules.{name}"
    if spec.equals is not None and spec.codes is not None:
        fail(f"{key}.codes", "equals and codes are the same list: give one")
    if not (spec.starts_with or spec.equals or spec.codes or spec.pattern):
        fail(key, "matches no line: give starts_with, equals (or codes) "
             "or pattern")
    if spec.pattern is not None:
        why = regex_error(spec.pattern)
        if why:
            fail(f"{key}.pattern", f"not a regular expression that Arrow's "
                 f"engine (RE2) runs: {why}")
    return Match(column=spec.column,
                 starts_with=tuple(spec.starts_with or ()),
                 equals=tuple(spec.equals or spec.codes or ()),
                 pattern=spec.pattern)


def has_time_of_day(field: Field) -> bool | None:
    """Whether a time field's format reads a time of day (None: no
    format, the values say)."""
    if field.value is not None:
        return " " in field.value
    if field.format is None:
        return None
    return bool(TIME_OF_DAY.search(field.format))


__all__ = ["BUILT_IN", "CAPABILITIES", "FIELDS", "NUMBERS", "OPTIONAL",
           "ORDER_LEVEL", "REQUIRED", "TIMES", "Field", "Mapping",
           "MappingError", "Match", "Part", "Status", "load", "resolve"]


