"""Build parameters: parsing and validation, before anything is touched.

Owns the names, defaults and allowed values of the build parameters. Every
entry point (command line, papermill notebook, Makefile) goes through
``parse_params`` so that bad input fails the same way everywhere: a
``ParamError`` whose message is one line naming the parameter and what is
allowed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path

from .errors import DatagenError

DEFAULTS = {
    "seed": 42,
    "scale": 1.0,
    "start_date": "2023-01-01",
    "end_date": "2025-12-31",
    "schema": "warehouse",
    "min_pair_orders": 5,
    # a shop's own export and its mapping: the warehouse is imported from
    # it instead of generated (seed, scale and dates are then unused)
    "source": "",
    "mapping": "",
}
MAX_SCALE = 1000.0
MAX_PAIR_ORDERS = 2 ** 31 - 1
MIN_DAYS = 28
SCHEMA_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,39}")
RESERVED_SCHEMAS = {"public", "information_schema"}


class ParamError(DatagenError, ValueError):
    """A build parameter is not allowed; the message names it."""

    def __init__(self, name: str, allowed: str, value: object):
        self.name = name
        super().__init__(f"{name} must be {allowed} (got {value!r})")

    @classmethod
    def unknown(cls, name: str) -> ParamError:
        error = cls.__new__(cls)
        error.name = name
        ValueError.__init__(error, f"unknown parameter {name!r}: the "
                            f"parameters are {', '.join(DEFAULTS)}")
        return error


@dataclasses.dataclass(frozen=True)
class BuildParams:
    seed: int
    scale: float
    start_date: dt.date
    end_date: dt.date
    schema: str
    #: least completed orders two products share to be a pair / rule
    min_pair_orders: int = DEFAULTS["min_pair_orders"]
    #: a file to import instead of generating, and its mapping ("" if none)
    source: str = ""
    mapping: str = ""

    @property
    def imported(self) -> bool:
        return bool(self.source)

    @property
    def truth_schema(self) -> str:
        return f"{self.schema}_truth"

    @property
    def import_schema(self) -> str:
        """Where an imported warehouse keeps its source's lines."""
        return f"{self.schema}_import"

    def as_dict(self) -> dict:
        return {"seed": self.seed, "scale": self.scale,
                "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat(),
                "schema": self.schema,
                "min_pair_orders": self.min_pair_orders,
                "source": self.source, "mapping": self.mapping}


def parse_seed(value) -> int:
    allowed = "a whole number from 0 to 2**63-1"
    if isinstance(value, bool):
        raise ParamError("seed", allowed, value)
    if isinstance(value, int):
        seed = value
    elif isinstance(value, float) and value.is_integer():
        seed = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        seed = int(value)
    else:
        raise ParamError("seed", allowed, value)
    if not 0 <= seed < 2 ** 63:
        raise ParamError("seed", allowed, value)
    return seed


def parse_scale(value) -> float:
    allowed = f"a number greater than 0 and at most {MAX_SCALE:g}"
    if isinstance(value, bool):
        raise ParamError("scale", allowed, value)
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise ParamError("scale", allowed, value) from None
    if not math.isfinite(scale) or scale <= 0 or scale > MAX_SCALE:
        raise ParamError("scale", allowed, value)
    return scale


def parse_date(name: str, value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParamError(name, "a date written YYYY-MM-DD", value) from None


def parse_schema(value) -> str:
    allowed = ("a plain lowercase identifier: a letter or _ then up to 39 "
               "letters, digits or _, not 'public' or pg_*")
    if not isinstance(value, str) or not SCHEMA_PATTERN.fullmatch(value) \
            or value in RESERVED_SCHEMAS or value.startswith("pg_"):
        raise ParamError("schema", allowed, value)
    return value


def parse_min_pair_orders(value) -> int:
    """Least completed orders two products share to be a pair or a rule."""
    allowed = f"a whole number from 1 to {MAX_PAIR_ORDERS}"
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, bool) or not (
            isinstance(value, int)
            or (isinstance(value, float) and value.is_integer())
            or (text is not None and text.isdigit() and text.isascii())):
        raise ParamError("min_pair_orders", allowed, value)
    count = int(value)
    if not 1 <= count <= MAX_PAIR_ORDERS:
        raise ParamError("min_pair_orders", allowed, value)
    return count


def parse_params(raw: dict | None = None, **overrides) -> BuildParams:
    """Validate raw values (strings from a command line, or Python values)."""
    values = {**DEFAULTS, **(raw or {}), **overrides}
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise ParamError.unknown(unknown[0])
    seed = parse_seed(values["seed"])
    scale = parse_scale(values["scale"])
    start = parse_date("start_date", values["start_date"])
    end = parse_date("end_date", values["end_date"])
    if (end - start).days + 1 < MIN_DAYS:
        raise ParamError(
            "end_date", f"at least {MIN_DAYS} days after start_date "
            f"{start.isoformat()}", end.isoformat())
    schema = parse_schema(values["schema"])
    min_pair_orders = parse_min_pair_orders(values["min_pair_orders"])
    source, mapping = parse_source(values["source"], values["mapping"])
    return BuildParams(seed, scale, start, end, schema, min_pair_orders,
                       source, mapping)


def parse_source(source, mapping) -> tuple[str, str]:
    """A readable file and the mapping that reads it, or neither."""
    source = "" if source is None else str(source).strip()
    mapping = "" if mapping is None else str(mapping).strip()
    if not source:
        if mapping:
            raise ParamError("source", "the file to import with mapping "
                             f"{mapping!r}", source)
        return "", ""
    path = Path(source).expanduser()
    if not path.is_file():
        raise ParamError("source", "a readable file (a CSV or Parquet "
                         "export)", source)
    if not mapping:
        raise ParamError("mapping", "a built-in mapping (online-retail) or a "
                         "mapping file, to read the source with", mapping)
    return str(path.resolve()), mapping


def check_injected(history: list[str]) -> None:
    """Reject parameters papermill injected that the notebook does not know.

    papermill only warns about an unknown ``-p name value`` and injects it
    anyway; a notebook passes IPython's ``In`` (the sources of the cells run
    so far) here. The injected cell is the one papermill starts with
    ``# Parameters``; every name it assigns must be a build parameter.
    """
    import ast
    for source in history:
        if not source.lstrip().startswith("# Parameters"):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) \
                            and target.id not in DEFAULTS:
                        raise ParamError.unknown(target.id)
