"""Build parameters: parsing and validation, before anything is touched.

Owns the names, defaults and allowed values of the build parameters. Every
entry point (command line, papermill notebook, Makefile) goes through
``parse_params`` so that bad input fails the same way everywhere: a
``ParamError`` whose message is one line naming the parameter and what is
allowed, quoting at most a short, cleaned prefix of the value.

Dates lie in ``MIN_DATE..MAX_DATE`` and the data period is shorter than
``MAX_YEARS``. The size of a build (``check_size``: the scale times the
period's sign-ups against the three default years', which grow by a rate
the generator plants and gives here) is at most ``MAX_SCALE``; the build
checks it (``warehouse.build.check_size``). A warehouse's name ends in
none of the suffixes a build derives from it (``DERIVED_SUFFIXES``), so the
names a build writes (``schema_family``) are never another warehouse's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path

from .errors import DatagenError
from .escape import shown, shown_path

DEFAULTS = {
    "seed": 42,
    "scale": 1.0,
    "start_date": "2023-01-01",
    "end_date": "2025-12-31",
    "schema": "warehouse",
    "min_pair_orders": 5,
    # customer lifetime value (book chapter and vw_customer_clv): the
    # calibration ends this many weeks before the as-of date; a whole year,
    # because the shop is seasonal and the BG/NBD model is not (a holdout
    # of a whole year holds every season once, so expected against actual
    # is not biased by which months it holds)
    "clv_holdout_weeks": 52,
    # the days ahead that expected purchases and predicted value cover
    "clv_horizon_days": 90,
    # a shop's own export and its mapping: the warehouse is imported from
    # it instead of generated (seed, scale and dates are then unused)
    "source": "",
    "mapping": "",
}
#: the largest build: scale 1000 over the three default years, and a
#: longer period counts as the scale its sign-ups add up to (``check_size``)
MAX_SCALE = 1000.0
MAX_PAIR_ORDERS = 2 ** 31 - 1
#: the longest CLV holdout (weeks) and horizon (days): 20 years, MAX_YEARS
MAX_CLV_HOLDOUT_WEEKS = 1044
MAX_CLV_HORIZON_DAYS = 7305
MIN_DAYS = 28
#: the dates a build may use: the chapters read timestamps with pandas,
#: whose nanosecond timestamps run from 1677 to 2262
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
#: the longest data period: sign-ups grow by a planted 35% a year, so in
#: 20 years a shop signs up 400 times as many customers a day as on its
#: first, and 20 years hold as many as 274 of the three default years; a
#: longer period describes no shop and outgrows memory and disk
MAX_YEARS = 20
SCHEMA_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,39}")
RESERVED_SCHEMAS = {"public", "information_schema"}
#: what a build adds to the name of its warehouse for the schemas beside
#: it (``<schema>_truth``, ``<schema>_import``) and for those it writes
#: before the swap (``<schema>__new``, ``<schema>_truth__new``,
#: ``<schema>_import__new``): a warehouse's name ends in none of them, so
#: no build's names are another warehouse's
SIDE_SUFFIXES = ("_truth", "_import")
STAGING_SUFFIX = "__new"
DERIVED_SUFFIXES = (*SIDE_SUFFIXES, STAGING_SUFFIX)


class ParamError(DatagenError, ValueError):
    """A build parameter is not allowed; the message names it."""

    def __init__(self, name: str, allowed: str, value: object,
                 quote=shown):
        """``quote``: how the value is quoted (``escape.shown_path`` for a
        file's path, which keeps its end)."""
        self.name = name
        got = quote(value) if isinstance(value, str) else repr(value)[:60]
        super().__init__(f"{name} must be {allowed} (got {got})")

    @classmethod
    def unknown(cls, name: str) -> ParamError:
        error = cls.__new__(cls)
        error.name = name
        ValueError.__init__(error, f"unknown parameter {shown(name)}: the "
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
    #: CLV: weeks of holdout before the as-of date, days of the horizon
    clv_holdout_weeks: int = DEFAULTS["clv_holdout_weeks"]
    clv_horizon_days: int = DEFAULTS["clv_horizon_days"]

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
                "clv_holdout_weeks": self.clv_holdout_weeks,
                "clv_horizon_days": self.clv_horizon_days,
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
    """A date from ``MIN_DATE`` to ``MAX_DATE``."""
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    else:
        try:
            date = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ParamError(name, "a date written YYYY-MM-DD",
                             value) from None
    if not MIN_DATE <= date <= MAX_DATE:
        raise ParamError(name, f"a date from {MIN_DATE} to {MAX_DATE}",
                         date.isoformat())
    return date


def _signups(days: int, annual_growth: float) -> float:
    """Sign-ups of ``days`` days relative to the first day's: day d signs
    up growth**d (the season left out), summed."""
    growth = (1 + annual_growth) ** (1 / 365.25)
    return (growth ** days - 1) / (growth - 1)


#: the default period: the unit of ``period_size``
DEFAULT_DAYS = (dt.date.fromisoformat(DEFAULTS["end_date"])
                - dt.date.fromisoformat(DEFAULTS["start_date"])).days + 1


def period_size(start: dt.date, end: dt.date, annual_growth: float) -> float:
    """The sign-ups (hence about the rows) of the period ``start..end``
    relative to those of the three default years, when sign-ups grow by
    ``annual_growth`` a year: 1.0 for them; at the generator's 35%, 0.24
    for one year and 276 for 20 years."""
    return (_signups((end - start).days + 1, annual_growth)
            / _signups(DEFAULT_DAYS, annual_growth))


def latest_end(start: dt.date, scale: float, size: float,
               annual_growth: float) -> dt.date:
    """The last day of the longest period from ``start`` whose build at
    ``scale`` is at most ``size`` (in ``period_size``'s unit)."""
    growth = (1 + annual_growth) ** (1 / 365.25)
    days = math.log1p(size / scale * _signups(DEFAULT_DAYS, annual_growth)
                      * (growth - 1)) / math.log(growth)
    return start + dt.timedelta(days=max(int(days), 1) - 1)


def check_period(start: dt.date, end: dt.date,
                 name: str = "end_date") -> None:
    """The period ``start..end``: at least ``MIN_DAYS``, less than
    ``MAX_YEARS``; a ``ParamError`` naming ``name`` (the parameter that
    ends it) otherwise."""
    if (end - start).days + 1 < MIN_DAYS:
        raise ParamError(
            name, f"at least {MIN_DAYS} days after start_date "
            f"{start.isoformat()}", end.isoformat())
    longest = start.replace(year=start.year + MAX_YEARS) \
        if (start.month, start.day) != (2, 29) \
        else dt.date(start.year + MAX_YEARS, 2, 28)
    if end >= longest:
        raise ParamError(
            name, f"before {longest}, less than {MAX_YEARS} years after "
            f"start_date {start} (sign-ups grow every year: a longer period "
            "describes no shop and outgrows memory and disk)",
            end.isoformat())


def check_size(start: dt.date, end: dt.date, scale: float,
               annual_growth: float, name: str = "end_date") -> float:
    """The size of a build of ``start..end`` at ``scale`` (``scale`` times
    ``period_size``: the scale of a three-year build as large), or a
    ``ParamError`` naming ``name`` when it is over ``MAX_SCALE``."""
    size = scale * period_size(start, end, annual_growth)
    if size > MAX_SCALE:
        last = latest_end(start, scale, MAX_SCALE, annual_growth)
        raise ParamError(
            name, f"at most {last} at scale {scale:g} (from {start} to {end}"
            f" the shop is as large as a scale-{size:,.0f} build of three "
            f"years; at most {MAX_SCALE:g})", end.isoformat())
    return size


def parse_schema(value) -> str:
    allowed = ("a plain lowercase identifier: a letter or _ then up to 39 "
               "letters, digits or _, not 'public' or pg_*, not ending in "
               f"{', '.join(DERIVED_SUFFIXES)} (the names a build derives)")
    if not isinstance(value, str) or not SCHEMA_PATTERN.fullmatch(value) \
            or value in RESERVED_SCHEMAS or value.startswith("pg_") \
            or value.endswith(DERIVED_SUFFIXES):
        raise ParamError("schema", allowed, value)
    return value


def schema_family(schema: str) -> tuple[str, ...]:
    """Every schema a build of the warehouse ``schema`` writes: itself,
    the schemas beside it, and the staging copy of each."""
    names = (schema, *(schema + suffix for suffix in SIDE_SUFFIXES))
    return (*names, *(name + STAGING_SUFFIX for name in names))


def family_base(name: str) -> str | None:
    """The warehouse whose build writes the schema ``name`` (itself for a
    warehouse); None when no build's name ends so (a base that would end in
    a derived suffix)."""
    base = name.removesuffix(STAGING_SUFFIX)
    for suffix in SIDE_SUFFIXES:
        if base.endswith(suffix):
            base = base.removesuffix(suffix)
            break
    return base if base and not base.endswith(DERIVED_SUFFIXES) else None


def parse_whole(name: str, value, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (an int, an integral float
    or ASCII digits), or a ``ParamError`` naming ``name``."""
    allowed = f"a whole number from {low} to {high}"
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, bool) or not (
            isinstance(value, int)
            or (isinstance(value, float) and value.is_integer())
            or (text is not None and text.isdigit() and text.isascii())):
        raise ParamError(name, allowed, value)
    count = int(value)
    if not low <= count <= high:
        raise ParamError(name, allowed, value)
    return count


def parse_min_pair_orders(value) -> int:
    """Least completed orders two products share to be a pair or a rule."""
    return parse_whole("min_pair_orders", value, 1, MAX_PAIR_ORDERS)


def parse_clv_holdout_weeks(value) -> int:
    """Weeks between the CLV calibration's end and the as-of date."""
    return parse_whole("clv_holdout_weeks", value, 1, MAX_CLV_HOLDOUT_WEEKS)


def parse_clv_horizon_days(value) -> int:
    """Days ahead that the CLV's expected purchases and value cover."""
    return parse_whole("clv_horizon_days", value, 1, MAX_CLV_HORIZON_DAYS)


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
    check_period(start, end)
    schema = parse_schema(values["schema"])
    min_pair_orders = parse_min_pair_orders(values["min_pair_orders"])
    source, mapping = parse_source(values["source"], values["mapping"])
    return BuildParams(
        seed, scale, start, end, schema, min_pair_orders, source, mapping,
        parse_clv_holdout_weeks(values["clv_holdout_weeks"]),
        parse_clv_horizon_days(values["clv_horizon_days"]))


def parse_source(source, mapping) -> tuple[str, str]:
    """A readable file and the mapping that reads it, or neither."""
    source = "" if source is None else str(source).strip()
    mapping = "" if mapping is None else str(mapping).strip()
    if not source:
        if mapping:
            raise ParamError("source", "the file to import with mapping "
                             f"{shown_path(mapping)}", source)
        return "", ""
    path = Path(source).expanduser()
    if not path.is_file():
        raise ParamError("source", "a readable file (a CSV or Parquet "
                         "export)", source, quote=shown_path)
    if not mapping:
        raise ParamError("mapping", "a built-in mapping (such as "
                         "online-retail or shopify-orders) or a mapping "
                         "file, to read the source with", mapping)
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
