"""What a mapping says, once it is checked: plain frozen values.

Owns the vocabulary of the mapping format (every warehouse field, which
are required, which file of an export may give each, which hold numbers
or times) and the checked mapping itself: ``Mapping`` (the lines file's
``Part`` and any ``orders``, ``products`` and ``customers`` files, the
defaults and the rules), ``Part`` (one file: where it is, how it is
written, which fields it gives), ``Field`` (one column, columns joined, or
a constant), ``Status`` (an order status column's value lists) and
``Match`` (a rule's test). ``mapping`` reads and checks a file into these;
``known`` says in words what they know; ``source`` reads a file as a
``Part`` says.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

#: fields every mapping must give (in the lines file or, for the order
#: number's own file, also there)
REQUIRED = ("order_number", "sku")
#: every warehouse field a mapping may give, in the order the book lists
#: them
FIELDS = (
    "order_number", "sku", "product_name", "category", "subcategory",
    "brand", "quantity", "unit_price", "line_total", "line_subtotal",
    "line_discount", "discount_rate", "unit_cost", "line_cost", "profit",
    "order_ts", "customer_code", "email", "first_name", "last_name",
    "full_name", "city", "region", "country", "channel", "status")
OPTIONAL = tuple(name for name in FIELDS if name not in REQUIRED)
#: fields that hold numbers (the quantity a whole one), and times
NUMBERS = ("quantity", "unit_price", "line_total", "line_subtotal",
           "line_discount", "discount_rate", "unit_cost", "line_cost",
           "profit")
TIMES = ("order_ts",)
#: fields that belong to an order, not a line: with ``order_fields =
#: "first_line"`` a line may leave them blank (its order's first line that
#: has them gives them)
ORDER_LEVEL = ("order_ts", "customer_code", "email", "first_name",
               "last_name", "full_name", "city", "region", "country",
               "channel", "status")
CUSTOMER_LEVEL = ("email", "first_name", "last_name", "full_name", "city",
                  "region", "country")
#: the files an export may come as besides its lines, the warehouse field
#: each is joined to the lines by (its key), and the fields it may give
PARTS = {
    "orders": ("order_number", ORDER_LEVEL),
    "products": ("sku", ("product_name", "category", "subcategory",
                         "brand", "unit_price", "unit_cost")),
    "customers": ("customer_code", CUSTOMER_LEVEL),
}
#: fields of which a mapping gives at most one (each pair says the same)
ONE_OF = (("unit_cost", "line_cost", "profit"),
          ("line_discount", "discount_rate"),
          ("unit_price", "line_subtotal"),
          ("full_name", "first_name"), ("full_name", "last_name"))
#: the order statuses a status column's values are sorted into
STATUSES = ("completed", "cancelled", "returned")
#: the day every order gets when the source has no dates (a placeholder,
#: recorded as unknown in ``data_known``; ``[defaults] order_date``)
PLACEHOLDER_DATE = "2000-01-01"
DEFAULTS = {"channel": "Online store", "channel_group": "Owned",
            "category": "All products", "order_date": PLACEHOLDER_DATE}


@dataclasses.dataclass(frozen=True)
class Field:
    """Where a warehouse field comes from: one column (read with
    ``format`` if given), a constant, or columns joined (and read with
    ``format``, for a time)."""
    columns: tuple[str, ...] = ()
    value: str | None = None
    format: str | None = None
    separator: str = " "

    def words(self) -> str:
        if self.value is not None:
            return f"always {self.value!r}"
        text = ("columns " + ", ".join(repr(c) for c in self.columns)
                + f" joined by {self.separator!r}"
                if len(self.columns) > 1 else f"column {self.columns[0]!r}")
        return text + (f" read as {self.format}" if self.format else "")


@dataclasses.dataclass(frozen=True)
class Status:
    """An order status column: the values (compared trimmed and without
    regard to case) that mean each status; with ``completed`` given, any
    other value is rejected, else every other value is completed."""
    cancelled: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()

    def values(self) -> list[tuple[str, str]]:
        """(value in lower case, status) for each listed value."""
        return [(value.strip().lower(), status)
                for status in STATUSES
                for value in getattr(self, status)]


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
class Part:
    """One file of an export and how it is written: ``name`` is
    ``lines`` (the file on the command line, ``path`` None) or the kind
    of file joined to it (``orders``, ``products``, ``customers``, at
    ``path``, relative to the lines file's folder unless absolute)."""
    name: str
    path: str | None
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","            # one character, or "blanks"
    quote: str = '"'
    compression: str = "infer"
    header: bool = True
    columns: tuple[str, ...] = ()   # the names of a file without a header
    decimal: str = "."
    thousands: str = ""
    fields: dict[str, Field] = dataclasses.field(default_factory=dict)
    status: Status | None = None
    #: with "first_line", a line may leave its order's fields blank
    order_fields: str = "each_line"
    #: the rules (the lines file only): credit notes, cancellations and
    #: codes that are not products
    returned_when: Match | None = None
    cancelled_when: Match | None = None
    not_products: Match | None = None

    @property
    def blanks(self) -> bool:
        """Columns apart by runs of blanks (spaces, tabs)."""
        return self.delimiter == "blanks"

    def where(self, source: Path) -> Path:
        """This part's file, for the lines file ``source``."""
        if self.path is None:
            return Path(source)
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else Path(source).parent / path

    def source_columns(self) -> list[str]:
        """Every source column this part reads, in a stable order."""
        names = [c for f in self.fields.values() for c in f.columns]
        for match in (self.returned_when, self.cancelled_when,
                      self.not_products):
            if match is not None:
                names.append(match.column)
        return list(dict.fromkeys(names))


@dataclasses.dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    description: str
    currency: str
    lines: Part
    joined: dict[str, Part]         # orders, products, customers
    defaults: dict[str, str]
    missing_customer: str           # reject | guest
    duplicates: str                 # reject | keep
    zero_price: str                 # reject | keep

    # the lines file's reading options, as the mapping's own
    @property
    def format(self) -> str:
        return self.lines.format

    @property
    def encoding(self) -> str:
        return self.lines.encoding

    @property
    def delimiter(self) -> str:
        return self.lines.delimiter

    @property
    def quote(self) -> str:
        return self.lines.quote

    @property
    def compression(self) -> str:
        return self.lines.compression

    @property
    def returned_when(self) -> Match | None:
        return self.lines.returned_when

    @property
    def cancelled_when(self) -> Match | None:
        return self.lines.cancelled_when

    @property
    def not_products(self) -> Match | None:
        return self.lines.not_products

    @property
    def order_fields(self) -> str:
        return self.lines.order_fields

    @property
    def parts(self) -> list[Part]:
        return [self.lines, *self.joined.values()]

    @property
    def fields(self) -> dict[str, Field]:
        """Every field the mapping gives, from whichever file (a key
        field from the lines file)."""
        found: dict[str, Field] = {}
        for part in reversed(self.parts):
            found.update(part.fields)
        return found

    @property
    def status(self) -> Status | None:
        return next((p.status for p in self.parts if p.status), None)

    def part_of(self, name: str) -> Part | None:
        """The file that gives field ``name`` (a key: the lines file)."""
        return next((p for p in self.parts if name in p.fields), None)

    def prices(self) -> str:
        """How lines are priced: "unit" (a unit price), "amounts" (a line
        amount, the unit price derived) or "none" (unknown: 0.00)."""
        fields = self.fields
        if "unit_price" in fields:
            return "unit"
        if "line_total" in fields or "line_subtotal" in fields:
            return "amounts"
        return "none"

    def source_columns(self) -> list[str]:
        """Every column the lines file reads."""
        return self.lines.source_columns()

    def known(self) -> dict[str, tuple[bool, str]]:
        """What the data this mapping reads knows, per capability
        (``CAPABILITIES``): (known, how), as the warehouse's ``data_known``
        records it for the chapters (``known.known``)."""
        from .known import known
        return known(self)

    def fields_text(self) -> list[str]:
        from .known import fields_text
        return fields_text(self)

    def rules_text(self) -> list[str]:
        from .known import rules_text
        return rules_text(self)
