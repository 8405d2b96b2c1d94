"""The mapping format's schema, and its errors in words.

Owns the shape a mapping file must have, as ``msgspec`` Structs (every
table, key, type, list and choice; an unknown key is an error), the keys
and choices each table knows, and ``explain``: msgspec's validation
message as one line that names the key path and says what was expected
and what was found (``rules.returned_when.starts_with: expected a list,
got 'CX' (one value is a list too: ['CX'])``). Also ``regex_error``: a
``pattern`` checked by the engine that runs it (Arrow's RE2). ``mapping``
reads a file with these and checks what a schema cannot say.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from ..escape import clean, shown
from .spec import DEFAULTS, FIELDS, PARTS, REQUIRED

FORMATS = ("csv", "parquet")
COMPRESSIONS = ("infer", "gzip", "none")
DECIMALS = (".", ",")
THOUSANDS = ("", ",", ".", " ", "'", "_")
ORDER_FIELDS = ("each_line", "first_line")
READ_OPTIONS = ("format", "encoding", "delimiter", "quote", "compression",
                "header", "columns", "decimal", "thousands")
SOURCE_OPTIONS = READ_OPTIONS + ("currency", "order_fields")
CHANNEL_GROUPS = ("Owned", "Organic", "Paid")
RULES = ("returned_when", "cancelled_when", "missing_customer",
         "not_products", "duplicates", "zero_price")
REJECT_OR_GUEST = ("reject", "guest")
REJECT_OR_KEEP = ("reject", "keep")
FIELD_KEYS = ("column", "columns", "value", "format", "separator",
              "cancelled", "returned", "completed")
MATCH_KEYS = ("column", "starts_with", "equals", "codes", "pattern")
TABLES = ("name", "description", "source", "fields", *PARTS, "defaults",
          "rules")


# -- the schema: what msgspec checks (types, lists, choices, unknown keys) --

Text = Annotated[str, msgspec.Meta(min_length=1)]
Character = Annotated[str, msgspec.Meta(min_length=1)]
Texts = Annotated[list[Text], msgspec.Meta(min_length=1)]


class _FieldTable(msgspec.Struct, forbid_unknown_fields=True):
    column: Text | None = None
    columns: Texts | None = None
    value: str | int | float | None = None
    format: Text | None = None
    separator: str | None = None
    cancelled: list[str] | None = None
    returned: list[str] | None = None
    completed: list[str] | None = None


class _MatchTable(msgspec.Struct, forbid_unknown_fields=True):
    column: Text
    starts_with: list[Text] | None = None
    equals: list[str] | None = None
    codes: list[str] | None = None
    pattern: Text | None = None


_FieldsTable = msgspec.defstruct(
    "_FieldsTable", [(name, Text | _FieldTable | None, None)
                     for name in FIELDS], forbid_unknown_fields=True)


class _ReadTable(msgspec.Struct, forbid_unknown_fields=True):
    format: Literal[FORMATS] | None = None
    encoding: Text | None = None
    delimiter: Character | None = None
    quote: Character | None = None
    compression: Literal[COMPRESSIONS] | None = None
    header: bool | None = None
    columns: Texts | None = None
    decimal: Literal[DECIMALS] | None = None
    thousands: Literal[THOUSANDS] | None = None


class _SourceTable(_ReadTable, forbid_unknown_fields=True):
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "USD"
    order_fields: Literal[ORDER_FIELDS] = "each_line"


class _PartTable(_ReadTable, forbid_unknown_fields=True):
    path: Text = ""
    fields: _FieldsTable | None = None


class _DefaultsTable(msgspec.Struct, forbid_unknown_fields=True):
    channel: Text = DEFAULTS["channel"]
    channel_group: Literal[CHANNEL_GROUPS] = DEFAULTS["channel_group"]
    category: Text = DEFAULTS["category"]
    order_date: dt.date | None = None


class _RulesTable(msgspec.Struct, forbid_unknown_fields=True):
    returned_when: _MatchTable | None = None
    cancelled_when: _MatchTable | None = None
    missing_customer: Literal[REJECT_OR_GUEST] | None = None
    not_products: _MatchTable | None = None
    duplicates: Literal[REJECT_OR_KEEP] = "reject"
    zero_price: Literal[REJECT_OR_KEEP] = "reject"


class _MappingFile(msgspec.Struct, forbid_unknown_fields=True):
    fields: _FieldsTable
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | \
        None = None
    description: str = ""
    source: _SourceTable = msgspec.field(default_factory=_SourceTable)
    orders: _PartTable | None = None
    products: _PartTable | None = None
    customers: _PartTable | None = None
    defaults: _DefaultsTable = msgspec.field(default_factory=_DefaultsTable)
    rules: _RulesTable = msgspec.field(default_factory=_RulesTable)


#: the keys each table knows (for "unknown key" lines), by key path; a
#: ``*`` stands for any field or rule name
KNOWN_KEYS = {"": TABLES, "source": SOURCE_OPTIONS, "fields": FIELDS,
              "fields.*": FIELD_KEYS, "defaults": tuple(DEFAULTS),
              "rules": RULES, "rules.*": MATCH_KEYS,
              **{part: ("path",) + READ_OPTIONS + ("fields",)
                 for part in PARTS},
              **{f"{part}.fields": FIELDS for part in PARTS},
              **{f"{part}.fields.*": FIELD_KEYS for part in PARTS}}
#: the values a choice allows, by its key
CHOICES = {"format": FORMATS, "compression": COMPRESSIONS,
           "channel_group": CHANNEL_GROUPS,
           "missing_customer": REJECT_OR_GUEST,
           "duplicates": REJECT_OR_KEEP, "zero_price": REJECT_OR_KEEP,
           "decimal": DECIMALS, "thousands": THOUSANDS,
           "order_fields": ORDER_FIELDS}
#: what a value must look like where the schema says it with a pattern
PATTERNS = {"currency": "an ISO 4217 code such as GBP"}
#: msgspec's names of types, in words
TYPE_WORDS = {"str": "a string", "int": "a whole number",
              "float": "a number", "array": "a list", "object": "a table",
              "bool": "true or false", "date": "a date (YYYY-MM-DD)"}



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


def explain(message: str, raw: dict) -> tuple[str, str]:
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
        shape = re.sub(r"^((?:\w+\.)?fields|rules)\.\w+$", r"\1.*",
                       path)
        known = KNOWN_KEYS.get(shape, ())
        return _join(path, quoted[1]), "unknown key" + _known(known,
                                                              quoted[1])
    if text.startswith("Object missing required field") and quoted:
        why = "missing" + (": every mapping gives " + " and ".join(REQUIRED)
                           + "; the other fields are optional"
                           if path == "fields" else "")
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


def _known(known: tuple[str, ...], name: str) -> str:
    """The keys a table knows, in words: all of a few, else those like
    ``name`` (or the first few) and how many there are."""
    if not known:
        return ""
    if len(known) <= 12:
        return f" (known: {', '.join(known)})"
    import difflib
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    shown_keys = close or list(known[:6])
    return (f" ({'like it' if close else 'known'}: {', '.join(shown_keys)}"
            f"; {len(known)} keys in all, in the guide's mapping "
            "reference)")


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
