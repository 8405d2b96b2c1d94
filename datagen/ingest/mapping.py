"""Mapping files: how a shop's export becomes the warehouse's order lines.

Owns the mapping format (TOML, documented in the README and by the
built-in ``mappings/online-retail.toml``) and its validation: a mapping
that names an unknown field, rule or option stops with one line naming the
file and the key, before anything is read or touched.

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
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from ..errors import DatagenError

BUILT_IN = Path(__file__).resolve().parent / "mappings"

#: fields every mapping must give
REQUIRED = ("order_number", "sku", "quantity", "unit_price", "order_ts")
#: fields a mapping may give; what it leaves out gets the stated default
OPTIONAL = ("product_name", "customer_code", "country", "city", "region",
            "email", "first_name", "last_name", "category", "brand",
            "unit_cost", "channel")
#: fields that hold dates or times, and numbers
TIMES = ("order_ts",)
NUMBERS = ("quantity", "unit_price", "unit_cost")
SOURCE_OPTIONS = {"format": ("csv", "parquet"), "encoding": None,
                  "delimiter": None, "quote": None,
                  "compression": ("infer", "gzip", "none"), "currency": None}
DEFAULTS = {"channel": "Online store", "channel_group": "Owned",
            "category": "All products"}
CHANNEL_GROUPS = ("Owned", "Organic", "Paid")
RULES = ("returned_when", "cancelled_when", "missing_customer",
         "not_products", "duplicates", "zero_price")


class MappingError(DatagenError, ValueError):
    """A mapping that cannot be used; the message is one line."""


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
    matches ``pattern`` (a regular expression)."""
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
        raise MappingError(f"mapping {name_or_path!r}: no such built-in "
                           f"mapping ({known}) or file")
    return path


def load(name_or_path: str) -> Mapping:
    """Read and validate a mapping; ``MappingError`` in one line if bad."""
    path = resolve(name_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MappingError(f"mapping {path}: not valid TOML: "
                           f"{' '.join(str(error).split())}") from None

    def fail(key: str, why: str):
        raise MappingError(f"mapping {path}: {key}: {why}")

    unknown = set(raw) - {"name", "description", "source", "fields",
                          "defaults", "rules"}
    if unknown:
        fail(sorted(unknown)[0], "unknown table or key (known: name, "
             "description, source, fields, defaults, rules)")
    source = raw.get("source", {})
    for key, value in source.items():
        if key not in SOURCE_OPTIONS:
            fail(f"source.{key}", "unknown option (known: "
                 + ", ".join(SOURCE_OPTIONS) + ")")
        allowed = SOURCE_OPTIONS[key]
        if allowed and value not in allowed:
            fail(f"source.{key}", f"must be one of {', '.join(allowed)} "
                 f"(got {value!r})")
    currency = source.get("currency", "USD")
    if not re.fullmatch(r"[A-Z]{3}", str(currency)):
        fail("source.currency", f"must be an ISO 4217 code such as GBP "
             f"(got {currency!r})")
    delimiter = source.get("delimiter", ",")
    quote = source.get("quote", '"')
    for key, value in (("delimiter", delimiter), ("quote", quote)):
        if not isinstance(value, str) or len(value) != 1:
            fail(f"source.{key}", f"must be one character (got {value!r})")
    encoding = source.get("encoding", "utf-8")
    try:
        "".encode(encoding)
    except LookupError:
        fail("source.encoding", f"unknown encoding {encoding!r}")

    fields = {}
    given = raw.get("fields", {})
    for name, spec in given.items():
        if name not in REQUIRED + OPTIONAL:
            fail(f"fields.{name}", "not a warehouse field (known: "
                 + ", ".join(REQUIRED + OPTIONAL) + ")")
        fields[name] = _field(spec, name, fail)
    for name in REQUIRED:
        if name not in fields:
            fail(f"fields.{name}", "missing: every mapping names the "
                 "column of " + ", ".join(REQUIRED))

    defaults = {**DEFAULTS, **raw.get("defaults", {})}
    for key in set(defaults) - set(DEFAULTS):
        fail(f"defaults.{key}", "unknown default (known: "
             + ", ".join(DEFAULTS) + ")")
    if defaults["channel_group"] not in CHANNEL_GROUPS:
        fail("defaults.channel_group", "must be one of "
             + ", ".join(CHANNEL_GROUPS))

    rules = raw.get("rules", {})
    for key in rules:
        if key not in RULES:
            fail(f"rules.{key}", "unknown rule (known: " + ", ".join(RULES)
                 + ")")

    def choice(key, allowed, default):
        value = rules.get(key, default)
        if value not in allowed:
            fail(f"rules.{key}", f"must be one of {', '.join(allowed)} "
                 f"(got {value!r})")
        return value

    return Mapping(
        name=raw.get("name", path.stem), path=path,
        description=raw.get("description", ""),
        format=source.get("format", "csv"), encoding=encoding,
        delimiter=delimiter, quote=quote,
        compression=source.get("compression", "infer"), currency=currency,
        fields=fields, defaults=defaults,
        returned_when=_match(rules.get("returned_when"), "returned_when",
                             fail),
        cancelled_when=_match(rules.get("cancelled_when"), "cancelled_when",
                              fail),
        missing_customer=choice("missing_customer", ("reject", "guest"),
                                "reject"),
        not_products=_match(rules.get("not_products"), "not_products", fail),
        duplicates=choice("duplicates", ("reject", "keep"), "reject"),
        zero_price=choice("zero_price", ("reject", "keep"), "reject"),
    )


def _field(spec, name: str, fail) -> Field:
    if isinstance(spec, str):
        return Field(columns=(spec,))
    if not isinstance(spec, dict):
        fail(f"fields.{name}", "a column name or a table")
    unknown = set(spec) - {"column", "columns", "value", "format",
                           "separator"}
    if unknown:
        fail(f"fields.{name}.{sorted(unknown)[0]}", "unknown key (known: "
             "column, columns, value, format, separator)")
    if "value" in spec:
        return Field(value=str(spec["value"]))
    if "columns" in spec:
        return Field(columns=tuple(spec["columns"]),
                     separator=spec.get("separator", " "))
    if "column" not in spec:
        fail(f"fields.{name}", "needs column, columns or value")
    if "format" in spec and name not in TIMES:
        fail(f"fields.{name}.format", "only dates and times take a format")
    return Field(columns=(spec["column"],), format=spec.get("format"))


def _match(spec, key: str, fail) -> Match | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or "column" not in spec:
        fail(f"rules.{key}", "a table with a column and starts_with, "
             "equals (or codes) or pattern")
    unknown = set(spec) - {"column", "starts_with", "equals", "codes",
                           "pattern"}
    if unknown:
        fail(f"rules.{key}.{sorted(unknown)[0]}", "unknown key")
    pattern = spec.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            fail(f"rules.{key}.pattern", f"not a regular expression: "
                 f"{error}")
    return Match(column=spec["column"],
                 starts_with=tuple(spec.get("starts_with", ())),
                 equals=tuple(spec.get("equals", spec.get("codes", ()))),
                 pattern=pattern)
