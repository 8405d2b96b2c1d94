"""Mapping files: how a shop's export becomes the warehouse's order lines.

Owns the mapping format (TOML, documented in the README and by the
built-in ``mappings/online-retail.toml``) and its validation: the file is
checked against a schema (``msgspec`` Structs: every table, key, type and
list) and then against the rules a schema cannot say (one source per field,
a format only for dates and times, each ``pattern`` compiled by the engine
that runs it: Arrow's RE2, not Python's ``re``). A mapping that cannot be
used stops with one line naming the file and the key path
(``rules.returned_when.codes[0]: expected a string, got 1``), before
anything is read or touched.

A mapping has four tables:

- ``[source]``: ``format`` (``csv`` or ``parquet``), for CSV ``encoding``,
  ``delimiter``, ``quote`` and ``compression`` (``infer`` from the name,
  ``gzip`` or ``none``), and the ``currency`` of every amount;
- ``[fields]``: for each warehouse field, the source column (its header
  name) or a table: ``{ column = "X", format = "%d.%m.%Y %H:%M" }`` (a date
  or time written that way), ``{ value = "..." }`` (a constant) or
  ``{ columns = ["First", "Last"], separator = " " }`` (joined);
- ``[defaults]``: what the source lacks and the warehouse needs;
- ``[rules]``: which lines are returns or cancellations, what happens to
  lines without a customer, which codes are not products, duplicates.

Where a list is expected a list it must be: ``starts_with = "CX"`` is
refused (it is not read as the prefixes C and X, nor as one prefix CX).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DatagenError
from ..escape import clean, shown, shown_path

BUILT_IN = Path(__file__).resolve().parent / "mappings"
#: a mapping is a short text; a larger file is not one (and is not read)
MAX_MAPPING_BYTES = 1 << 20

#: fields every mapping must give
REQUIRED = ("order_number", "sku", "quantity", "unit_price", "order_ts")
#: fields a mapping may give; what it leaves out gets the stated default
OPTIONAL = ("product_name", "customer_code", "country", "city", "region",
            "email", "first_name", "last_name", "category", "brand",
            "unit_cost", "channel")
#: what a warehouse's data may or may not know (``Mapping.known``, the
#: warehouse's ``data_known``): the chapters show what needs only what is
#: known
CAPABILITIES = ("prices", "costs", "returns", "cancellations", "channels",
                "categories", "customers", "customer_names", "places",
                "dates")
#: fields that hold dates or times, and numbers
TIMES = ("order_ts",)
NUMBERS = ("quantity", "unit_price", "unit_cost")
FORMATS = ("csv", "parquet")
COMPRESSIONS = ("infer", "gzip", "none")
SOURCE_OPTIONS = {"format": FORMATS, "encoding": None, "delimiter": None,
                  "quote": None, "compression": COMPRESSIONS,
                  "currency": None}
DEFAULTS = {"channel": "Online store", "channel_group": "Owned",
            "category": "All products"}
CHANNEL_GROUPS = ("Owned", "Organic", "Paid")
RULES = ("returned_when", "cancelled_when", "missing_customer",
         "not_products", "duplicates", "zero_price")
REJECT_OR_GUEST = ("reject", "guest")
REJECT_OR_KEEP = ("reject", "keep")
FIELD_KEYS = ("column", "columns", "value", "format", "separator")
MATCH_KEYS = ("column", "starts_with", "equals", "codes", "pattern")
TABLES = ("name", "description", "source", "fields", "defaults", "rules")


class MappingError(DatagenError, ValueError):
    """A mapping that cannot be used; the message is one line."""


# -- the schema: what msgspec checks (types, lists, choices, unknown keys) --

Text = Annotated[str, msgspec.Meta(min_length=1)]
Character = Annotated[str, msgspec.Meta(min_length=1, max_length=1)]
Texts = Annotated[list[Text], msgspec.Meta(min_length=1)]


class _FieldTable(msgspec.Struct, forbid_unknown_fields=True):
    column: Text | None = None
    columns: Texts | None = None
    value: str | int | float | None = None
    format: Text | None = None
    separator: str | None = None


class _MatchTable(msgspec.Struct, forbid_unknown_fields=True):
    column: Text
    starts_with: list[Text] | None = None
    equals: list[str] | None = None
    codes: list[str] | None = None
    pattern: Text | None = None


class _SourceTable(msgspec.Struct, forbid_unknown_fields=True):
    format: Literal[FORMATS] = "csv"
    encoding: Text = "utf-8"
    delimiter: Character = ","
    quote: Character = '"'
    compression: Literal[COMPRESSIONS] = "infer"
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "USD"


class _DefaultsTable(msgspec.Struct, forbid_unknown_fields=True):
    channel: Text = DEFAULTS["channel"]
    channel_group: Literal[CHANNEL_GROUPS] = DEFAULTS["channel_group"]
    category: Text = DEFAULTS["category"]


class _RulesTable(msgspec.Struct, forbid_unknown_fields=True):
    returned_when: _MatchTable | None = None
    cancelled_when: _MatchTable | None = None
    missing_customer: Literal[REJECT_OR_GUEST] = "reject"
    not_products: _MatchTable | None = None
    duplicates: Literal[REJECT_OR_KEEP] = "reject"
    zero_price: Literal[REJECT_OR_KEEP] = "reject"


_FieldsTable = msgspec.defstruct(
    "_FieldsTable",
    [(name, Text | _FieldTable) for name in REQUIRED]
    + [(name, Text | _FieldTable | None, None) for name in OPTIONAL],
    forbid_unknown_fields=True)


class _MappingFile(msgspec.Struct, forbid_unknown_fields=True):
    fields: _FieldsTable
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | \
        None = None
    description: str = ""
    source: _SourceTable = msgspec.field(default_factory=_SourceTable)
    defaults: _DefaultsTable = msgspec.field(default_factory=_DefaultsTable)
    rules: _RulesTable = msgspec.field(default_factory=_RulesTable)


#: the keys each table knows (for "unknown key" lines), by key path; a
#: ``*`` stands for any field or rule name
KNOWN_KEYS = {"": TABLES, "source": tuple(SOURCE_OPTIONS),
              "fields": REQUIRED + OPTIONAL, "fields.*": FIELD_KEYS,
              "defaults": tuple(DEFAULTS), "rules": RULES,
              "rules.*": MATCH_KEYS}
#: the values a choice allows, by its key
CHOICES = {"format": FORMATS, "compression": COMPRESSIONS,
           "channel_group": CHANNEL_GROUPS,
           "missing_customer": REJECT_OR_GUEST,
           "duplicates": REJECT_OR_KEEP, "zero_price": REJECT_OR_KEEP}
#: what a value must look like where the schema says it with a pattern
PATTERNS = {"currency": "an ISO 4217 code such as GBP"}
#: msgspec's names of types, in words
TYPE_WORDS = {"str": "a string", "int": "a whole number",
              "float": "a number", "array": "a list", "object": "a table",
              "bool": "true or false"}


@dataclasses.dataclass(frozen=True)
class Field:
    """Where a warehouse field comes from: one column (read with
    ``format`` if given), a constant, or columns joined."""
    columns: tuple[str, ...] = ()
    value: str | None = None
    format: str | None = None
    separator: str = " "


@dataclasses.dataclass(frozen=True)
class Match:
    """Lines whose ``column`` starts with or equals one of the values, or
    matches ``pattern`` (a regular expression, RE2 syntax)."""
    column: str
    starts_with: tuple[str, ...] = ()
    equals: tuple[str, ...] = ()
    pattern: str | None = None

    def describe(self) -> str:
        parts = []
        if self.starts_with:
            parts.append("starts with " + " or ".join(
                repr(v) for v in self.starts_with))
        if self.equals:
            parts.append("is one of " + ", ".join(self.equals))
        if self.pattern:
            parts.append(f"matches /{self.pattern}/")
        return f"{self.column} " + " or ".join(parts)


@dataclasses.dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    description: str
    format: str
    encoding: str
    delimiter: str
    quote: str
    compression: str
    currency: str
    fields: dict[str, Field]
    defaults: dict[str, str]
    returned_when: Match | None
    cancelled_when: Match | None
    missing_customer: str           # reject | guest
    not_products: Match | None
    duplicates: str                 # reject | keep
    zero_price: str                 # reject | keep

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads, in a stable order."""
        names = [c for f in self.fields.values() for c in f.columns]
        for match in (self.returned_when, self.cancelled_when,
                      self.not_products):
            if match is not None:
                names.append(match.column)
        return list(dict.fromkeys(names))

    def known(self) -> dict[str, tuple[bool, str]]:
        """What the data this mapping reads knows, per capability
        (``CAPABILITIES``): (known, how), as the warehouse's ``data_known``
        records it for the chapters."""
        def given(*names: str) -> str | None:
            found = [self.fields[n] for n in names if n in self.fields]
            if not found:
                return None
            field = found[0]
            if field.value is not None:
                return f"always {field.value!r}"
            return "column " + ", ".join(repr(c) for c in field.columns)

        def rule(match: Match | None) -> str | None:
            return f"lines whose {match.describe()}" if match else None

        sources = {
            "prices": given("unit_price"),
            "costs": given("unit_cost"),
            "returns": rule(self.returned_when),
            "cancellations": rule(self.cancelled_when),
            "channels": given("channel"),
            "categories": given("category"),
            "customers": given("customer_code"),
            "customer_names": given("first_name", "last_name"),
            "places": given("country", "region", "city"),
            "dates": given("order_ts"),
        }
        lacking = {
            "returns": "not in the source: no order is known to be returned",
            "cancellations": "not in the source: no order is known to be "
                             "cancelled",
            "channels": "not in the source: every order is in the channel "
                        f"{self.defaults['channel']!r}",
            "categories": "not in the source: every product is in the "
                          f"category {self.defaults['category']!r}",
            "customers": "not in the source: each order is a guest "
                         "customer of its own",
            "costs": "not in the source: costs and margins are unknown",
        }
        return {name: (how is not None,
                       how or lacking.get(name, "not in the source"))
                for name, how in sources.items()}

    def fields_text(self) -> list[str]:
        """Where each warehouse field comes from, in words (one entry per
        field of ``REQUIRED`` and ``OPTIONAL``), for the book."""
        lines = []
        for name in REQUIRED + OPTIONAL:
            field = self.fields.get(name)
            if field is None:
                default = self.defaults.get(name, DEFAULTS.get(name))
                lines.append(f"{name}: not in the source, "
                             + (f"always {default!r}" if default else
                                "unknown (null)"))
            elif field.value is not None:
                lines.append(f"{name}: always {field.value!r}")
            elif len(field.columns) > 1:
                lines.append(f"{name}: columns " + ", ".join(field.columns)
                             + f" joined by {field.separator!r}")
            else:
                lines.append(f"{name}: column {field.columns[0]}" + (
                    f" read as {field.format}" if field.format else ""))
        return lines

    def rules_text(self) -> list[str]:
        """The rules in words, for the book's page about the import."""
        lines = []
        if self.returned_when:
            lines.append(f"a line whose {self.returned_when.describe()} "
                         "belongs to a return: an order of its own with "
                         "status returned, quantities made positive")
        if self.cancelled_when:
            lines.append(f"a line whose {self.cancelled_when.describe()} "
                         "belongs to a cancelled order")
        lines.append("a line without a customer is " + (
            "rejected" if self.missing_customer == "reject" else
            "kept with a guest customer of its own order"))
        if self.not_products:
            lines.append(f"a line whose {self.not_products.describe()} is "
                         "not a product and is rejected")
        lines.append("an exact repeat of an earlier line of the same order "
                     "is " + ("rejected" if self.duplicates == "reject"
                              else "kept"))
        lines.append("a line with a price of zero or less is " + (
            "rejected" if self.zero_price == "reject" else "kept"))
        lines.append("a line with a quantity of zero, or a negative "
                     "quantity outside a return, is rejected")
        return lines


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
        fail(*_explain(str(error), raw))
    return _mapping(spec, raw, path, fail)


def _mapping(spec: _MappingFile, raw: dict, path: Path, fail) -> Mapping:
    """The checks a schema cannot state, and the ``Mapping`` they pass."""
    source = spec.source
    try:
        "".encode(source.encoding)
    except LookupError:
        fail("source.encoding", f"unknown encoding {shown(source.encoding)} "
             "(any Python codec: utf-8, latin-1, cp1252, utf-16 ...)")
    if source.delimiter == source.quote:
        fail("source.quote", "the same character as the delimiter")
    if source.delimiter in "\r\n" or source.quote in "\r\n":
        fail("source.delimiter" if source.delimiter in "\r\n" else
             "source.quote", "a line break cannot be one")
    # the fields in the mapping's own order (the source columns' order)
    names = [name for name in raw["fields"] if name in REQUIRED + OPTIONAL]
    fields = {name: _field(getattr(spec.fields, name), name, fail)
              for name in names}
    if "customer_code" not in fields and \
            spec.rules.missing_customer == "reject":
        fail("fields.customer_code", "missing, and rules.missing_customer "
             "is \"reject\" (the default): every line would be rejected; "
             "map customer_code to the column of customer ids, or set "
             "missing_customer = \"guest\" in [rules]")
    rules = spec.rules
    return Mapping(
        name=spec.name or path.stem, path=path,
        description=spec.description, format=source.format,
        encoding=source.encoding, delimiter=source.delimiter,
        quote=source.quote, compression=source.compression,
        currency=source.currency, fields=fields,
        defaults={"channel": spec.defaults.channel,
                  "channel_group": spec.defaults.channel_group,
                  "category": spec.defaults.category},
        returned_when=_match(rules.returned_when, "returned_when", fail),
        cancelled_when=_match(rules.cancelled_when, "cancelled_when", fail),
        missing_customer=rules.missing_customer,
        not_products=_match(rules.not_products, "not_products", fail),
        duplicates=rules.duplicates, zero_price=rules.zero_price)


def _field(spec: str | _FieldTable, name: str, fail) -> Field:
    if isinstance(spec, str):
        return Field(columns=(spec,))
    key = f"fields.{name}"
    given = [k for k in ("column", "columns", "value")
             if getattr(spec, k) is not None]
    if len(given) != 1:
        fail(key, "needs one of column, columns or value" if not given else
             f"{' and '.join(given)} together: give one of them")
    if spec.format is not None and name not in TIMES:
        fail(f"{key}.format", "only dates and times take a format ("
             + ", ".join(TIMES) + ")")
    if spec.format is not None and spec.column is None:
        fail(f"{key}.format", "a format reads one column: "
             "{ column = \"...\", format = \"...\" }")
    if spec.separator is not None and spec.columns is None:
        fail(f"{key}.separator", "a separator joins columns: "
             "{ columns = [\"...\", \"...\"], separator = \" \" }")
    if name in TIMES and spec.column is None:
        fail(key, "a date or time is read from one column: "
             "{ column = \"...\" } (with a format if it needs one)")
    if spec.value is not None:
        return Field(value=str(spec.value))
    if spec.columns is not None:
        return Field(columns=tuple(spec.columns),
                     separator=" " if spec.separator is None
                     else spec.separator)
    return Field(columns=(spec.column,), format=spec.format)


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


def regex_error(pattern: str) -> str | None:
    """Why RE2 (which ``pyarrow.compute.match_substring_regex`` runs)
    refuses ``pattern``, or None: Python's ``re`` accepts lookarounds and
    backreferences that RE2 does not."""
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except pa.ArrowInvalid as error:
        reason = str(error).removeprefix("Invalid regular expression: ")
        return shown(reason, 80)
    return None


def _explain(message: str, raw: dict) -> tuple[str, str]:
    """msgspec's ``ValidationError`` text as (key path, why in words)."""
    text, _, at = message.rpartition(" - at `$")
    if not _:
        text, at = message, "`"
    path = at[:-1].lstrip(".")
    steps = re.findall(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", "." + path)
    value = _value_at(raw, steps)
    last = steps[-1][0] if steps else ""
    quoted = re.search(r"`(.*)`", text)
    if text.startswith("Object contains unknown field") and quoted:
        shape = re.sub(r"^(fields|rules)\.\w+$", r"\1.*", path)
        known = KNOWN_KEYS.get(shape, ())
        return (_join(path, quoted[1]), "unknown key"
                + (f" (known: {', '.join(known)})" if known else ""))
    if text.startswith("Object missing required field") and quoted:
        why = "missing" + (": every mapping names the column of "
                           + ", ".join(REQUIRED) if path == "fields" else "")
        return _join(path, quoted[1]), why
    got = "" if value is _ABSENT else f", got {_shown_value(value)}"
    if text.startswith("Invalid enum value"):
        allowed = CHOICES.get(last, ())
        return path, f"must be one of {', '.join(allowed)}{got}"
    expected = re.match(r"Expected `([^`]*)`(.*)", text)
    if not expected:
        return path or "(top)", shown(text, 120)
    kinds = [TYPE_WORDS.get(k.strip(), k.strip())
             for k in expected[1].split("|") if k.strip() != "null"]
    what = " or ".join(dict.fromkeys(kinds))
    rest = expected[2]
    if "matching regex" in rest:
        what = PATTERNS.get(last, what + " " + rest.strip())
    elif (length := re.search(r"of length ([<>]=) (\d+)", rest)):
        what = _length_words(kinds[0], length[1], int(length[2]))
    if what == "a list" and isinstance(value, str):
        got += (f" (one column: column = {_shown_value(value)})"
                if last == "columns" else
                f" (one value is a list too: [{_shown_value(value)}])")
    if "a table" in what and isinstance(value, str) and \
            path.startswith("rules."):
        got += " (a table: { column = \"...\", starts_with = [...] })"
    return path or "(top)", f"expected {what}{got}"


def _length_words(kind: str, sign: str, length: int) -> str:
    if kind == "a string":
        if sign == "<=" and length == 1:
            return "one character"
        return "a non-empty string" if length == 1 else \
            f"a string of {'at least' if sign == '>=' else 'at most'} " \
            f"{length} characters"
    return (f"{kind} of {'at least' if sign == '>=' else 'at most'} "
            f"{length} item{'s' if length > 1 else ''}")


_ABSENT = object()


def _value_at(raw, steps):
    value = raw
    for name, index in steps:
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError, ValueError):
            return _ABSENT
    return value


def _shown_value(value) -> str:
    if isinstance(value, str):
        return shown(value, 40)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return shown(value, 40).strip("'")
    if isinstance(value, (list, dict)):
        text = clean(value)
        return text if len(text) <= 40 else text[:40] + "…"
    return f"a {type(value).__name__}"


def _join(path: str, name: str) -> str:
    shown_name = name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) \
        else shown(name, 40)
    return f"{path}.{shown_name}" if path else shown_name
