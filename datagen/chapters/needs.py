"""What each section of the book needs from the data, in one table.

Owns the rule that a page says only what its data supports. ``SECTIONS``
lists every section that can step back: the chapter it is in, its heading,
the capabilities it needs (``data_known``: prices, costs, channels ...)
and the least value of each measure of the data profile
(``vw_data_profile``: whole months, repeat customers ...) it needs, each
threshold a named constant with its reason. ``Profile`` is the profile's
one row; ``check`` says whether a section shows and, when it does not, the
one sentence it shows instead: what is missing and what data would make
it possible. A chapter none of whose sections shows is left out of the
book (``left_out``): ``make book`` drops it from the site's contents and
the PDF, and the introduction lists it with its reasons
(``book/guide/what_the_book_shows.md`` is this table in words).

A section not in the table is always shown (the quality gate, the
warehouse and import pages). A capability that ``data_known`` does not
record is taken as known: the table lists what a source lacks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping

import pandas as pd

from ..models import clv
from . import methods
from .formats import listing, month, number, plural

# --- thresholds ------------------------------------------------------------

#: a rule needs baskets of this many different customers: one customer's
#: repeat orders of the same two products are that customer's habit, and
#: their lift says nothing of the shop's other customers
MIN_RULE_CUSTOMERS = 3
#: the most customers the truth check reads: a fixed random sample of a
#: larger shop's, as many as the segmentation fits K-Means to (its time
#: grows with what it shows, not with the customers)
TRUTH_CUSTOMERS = methods.K_CHOICE_CUSTOMERS
#: customers with two or more completed orders that RFM scores and K-Means
#: clusters need: the frequency score and the clusters rank customers by
#: their orders, which mean nothing when (nearly) everyone ordered once
MIN_REPEAT_CUSTOMERS = 25
#: customers K-Means needs: four clusters in three features, each cluster
#: large enough to be a segment a marketing team acts on
MIN_CLUSTER_CUSTOMERS = 100
#: customers the lifetime-value tiers need: the top tier is about the top
#: 5%, one customer of twenty
MIN_TIER_CUSTOMERS = 20
#: customers a Lorenz curve needs to be a curve rather than a few steps
MIN_CURVE_CUSTOMERS = 10
#: whole months a line or bars over months need: one month is a point
MIN_TREND_MONTHS = 2
#: whole months survival curves need: each point of a curve pools at least
#: three cohorts, and three cohorts reach their first month after four
MIN_SURVIVAL_MONTHS = 4
#: whole calendar quarters a line over quarters needs
MIN_TREND_QUARTERS = 2
#: calendar years a table of years needs to compare one with another
MIN_YEARS = 2
#: how often every calendar month must be covered whole before a category
#: is called seasonal: once, a season cannot be told from a trend or a
#: one-off
SEASON_CYCLES = 2
#: days the weekly rhythm needs: every day of the week at least four times
MIN_WEEKDAY_DAYS = 28
#: the window of the repeat rate by acquisition channel: a second order
#: within this many days of the first
REPEAT_WINDOW_DAYS = 90
#: whole months the moving average needs (its window)
MOVING_AVERAGE_MONTHS = 3
#: whole months a forecast needs: its backtest holds out some and fits its
#: model on at least a year and a month before them; no forecast without its
#: backtest
FORECAST_MONTHS = methods.HOLDOUT_MONTHS + methods.MIN_FIT_MONTHS
#: products a chart of best sellers needs to rank: one is no ranking
MIN_PRODUCTS = 2
#: customers the lifetime value models need, first seen before their
#: calibration ends: the BG/NBD's four parameters describe a population's
#: spread of purchase rates and dropout, and a spread drawn from fewer
#: customers says little about the next ones
MIN_CLV_CUSTOMERS = 100
#: customers with a repeat purchase in the calibration that the models need:
#: without repeats the BG/NBD cannot tell a slow buyer from a lost one, and
#: the Gamma-Gamma model of spend is fitted on them alone (its own floor,
#: datagen.models.clv.MIN_CUSTOMERS)
MIN_CLV_REPEAT_CUSTOMERS = clv.MIN_CUSTOMERS


# --- what a capability is ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Capability:
    """A capability as a sentence says it: what a section needs, what a
    source lacks, and what an export would add."""
    needs: str
    lacks: str
    remedy: str


CAPABILITIES: dict[str, Capability] = {
    "prices": Capability(
        "the price of each line", "has no prices",
        "each line's unit price or total (the mapping's unit_price)"),
    "costs": Capability(
        "costs", "has no costs",
        "each line's unit cost (the mapping's unit_cost)"),
    "returns": Capability(
        "which orders were returned", "does not say which orders were "
        "returned", "a rule that tells returns (returned_when)"),
    "cancellations": Capability(
        "which orders were cancelled", "does not say which orders were "
        "cancelled", "a rule that tells cancellations (cancelled_when)"),
    "statuses": Capability(
        "which orders were returned or cancelled", "does not say which "
        "orders were returned or cancelled",
        "rules that tell returns and cancellations (returned_when, "
        "cancelled_when)"),
    "channels": Capability(
        "the channel of each order", "has no channels",
        "each order's channel (the mapping's channel)"),
    "categories": Capability(
        "product categories", "has no categories",
        "each product's category (the mapping's category)"),
    "customers": Capability(
        "who placed each order", "has no customer ids",
        "each order's customer id (the mapping's customer_code)"),
    "customer_names": Capability(
        "customers' names", "has no names",
        "customers' names (first_name, last_name)"),
    "places": Capability(
        "where customers live", "has no places",
        "customers' country or city (country, region, city)"),
    "dates": Capability(
        "the date of each order", "has no order dates",
        "each order's date (the mapping's order_ts)"),
    "times": Capability(
        "the time of day of each order", "has no times of day",
        "each order's time of day (order_ts with a time)"),
    "quantities": Capability(
        "the quantity of each line", "has no quantities",
        "each line's quantity (the mapping's quantity)"),
    "subcategories": Capability(
        "product subcategories", "has no subcategories",
        "each product's subcategory (the mapping's subcategory)"),
    "discounts": Capability(
        "discounts", "has no discounts",
        "each line's discount (line_discount or discount_rate)"),
}
#: a capability made of others: known when any of them is
ANY_OF = {"statuses": ("returns", "cancellations")}


# --- the profile ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Profile:
    """The one row of ``vw_data_profile``: what the data knows and how
    much of it there is."""
    row: Mapping

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Profile:
        if len(frame) != 1:
            raise RuntimeError("vw_data_profile must hold exactly one row "
                               f"(it holds {len(frame)})")
        return cls(dict(frame.iloc[0]))

    def __getitem__(self, measure: str):
        value = self.row[measure]
        if hasattr(value, "item"):
            value = value.item()
        return value

    @property
    def imported(self) -> bool:
        return self.row["source"] == "imported"

    def knows(self, capability: str) -> bool:
        """Whether the data knows ``capability`` (``data_known``; one it
        does not record is known; ``statuses``: returns or cancellations)."""
        if capability in ANY_OF:
            return any(self.knows(part) for part in ANY_OF[capability])
        entry = (self.row.get("known") or {}).get(capability)
        return True if entry is None else bool(entry.get("known"))

    def how(self, capability: str) -> str:
        """Where ``capability`` comes from, as ``data_known`` says it."""
        entry = (self.row.get("known") or {}).get(capability) or {}
        return str(entry.get("how", ""))

    def unknown(self) -> list[str]:
        """Every capability ``data_known`` marks unknown, known to this
        table or not."""
        return [name for name, entry in sorted(
            (self.row.get("known") or {}).items()) if not entry.get("known")]

    def day(self, name: str) -> dt.date:
        return pd.Timestamp(self.row[name]).date()


# --- what a section needs ---------------------------------------------------------

def _months(profile: Profile) -> str:
    count = profile["whole_months"]
    if count == 0:
        return "covers no whole calendar month"
    first = profile.day("first_whole_month")
    last = profile.day("last_whole_month")
    span = month(first) if count == 1 else f"{month(first)} to {month(last)}"
    return f"covers {plural(count, 'whole month')} ({span})"


def _cycles(profile: Profile) -> str:
    count = profile["month_cycles"]
    return (_months(profile) + (
        ", not every calendar month even once" if count == 0 else
        ", some calendar months only once" if count == 1 else
        f", each calendar month {count} times"))


@dataclasses.dataclass(frozen=True)
class Minimum:
    """A measure of the profile and the least value a section needs.

    ``needs`` and ``remedy`` are templates of ``{least}``; ``remedy`` is
    (for an imported warehouse, for a generated one); ``has`` says what
    the data has."""
    measure: str
    least: int
    needs: str
    has: Callable[[Profile], str]
    remedy: tuple[str, str]

    def met(self, profile: Profile) -> bool:
        value = profile[self.measure]
        return value is not None and int(value) >= self.least


def _count(noun: str, plural_form: str | None = None, verb: str = "has"):
    return lambda profile, measure: (
        f"{verb} no {noun}" if not profile[measure] else
        f"{verb} {plural(profile[measure], noun, plural_form)}")


def minimum(measure: str, least: int) -> Minimum:
    """The minimum of ``measure`` at ``least``, in the book's words."""
    has, needs, remedy = MEASURES[measure]
    return Minimum(measure, least, needs, lambda p: has(p, measure), remedy)


#: measure: (what the data has, what a section needs, what would add it:
#: for an import, for a generated shop)
MEASURES: dict[str, tuple] = {
    "whole_months": (
        lambda p, m: _months(p),
        "at least {least} whole calendar months",
        ("an export of at least {least} whole months",
         "a build of at least {least} whole months (START_DATE, END_DATE)")),
    "whole_quarters": (
        _count("whole calendar quarter", verb="covers"),
        "at least {least} whole calendar quarters",
        ("an export of at least {least} whole quarters",
         "a build of at least {least} whole quarters (START_DATE, "
         "END_DATE)")),
    "years": (
        lambda p, m: ("falls in one calendar year" if p[m] == 1 else
                      f"touches {p[m]} calendar years"),
        "at least {least} calendar years",
        ("an export that reaches into another year",
         "a build that reaches into another year (START_DATE, END_DATE)")),
    "month_cycles": (
        lambda p, m: _cycles(p),
        "every calendar month covered whole at least {least} times (a "
        "season is told from a trend only when it comes again)",
        ("an export of at least {least} whole years",
         "a build of at least {least} whole years (START_DATE, END_DATE)")),
    "days": (
        _count("day", verb="covers"),
        "at least {least} days",
        ("an export of at least {least} days",
         "a build of at least {least} days (START_DATE, END_DATE)")),
    "repeat_customers": (
        lambda p, m: (
            f"has {plural(p[m], 'customer') if p[m] else 'no customer'} with "
            f"two or more completed orders, of "
            f"{number(p['buying_customers'])} who bought"),
        "at least {least} customers with two or more completed orders",
        ("an export with more customers who ordered again (a longer "
         "period, or customer ids that stay the same from order to order)",
         "a larger scale or a longer period (SCALE, START_DATE)")),
    "buying_customers": (
        _count("customer who completed an order",
               "customers who completed an order"),
        "at least {least} customers who completed an order",
        ("an export with more customers",
         "a larger scale (SCALE)")),
    "channels": (
        lambda p, m: (f"has orders from {plural(p[m], 'channel')}"),
        "at least {least} channels",
        ("an export whose orders come through several channels",
         "a generated shop of several channels")),
    "categories": (
        lambda p, m: f"has {plural(p[m], 'category', 'categories')}",
        "at least {least} product categories",
        ("an export whose products are in several categories",
         "a generated shop of several categories")),
    "products": (
        _count("product"),
        "at least {least} products",
        ("an export of more products", "a generated shop")),
    "pairs": (
        lambda p, m: (
            f"has no pair of products bought together in "
            f"{p['min_pair_orders']} or more baskets"
            + (f" ({plural(p['multi_product_baskets'], 'completed order')}"
               " of two or more products)"
               if p["multi_product_baskets"] else
               " (no completed order holds two products)")),
        "a pair of products bought together in at least min_pair_orders "
        "baskets",
        ("an export of more orders of several products, or a lower "
         "min_pair_orders (MIN_PAIR_ORDERS)",
         "a lower min_pair_orders (MIN_PAIR_ORDERS) or a larger scale")),
    "max_pair_customers": (
        lambda p, m: (
            f"has {plural(p['pairs'], 'pair')} of products bought together"
            f" in {p['min_pair_orders']} or more baskets, but at most "
            f"{plural(p[m], 'customer')} behind one of them"),
        "a pair of products that at least {least} different customers "
        "bought together (one customer's repeat orders are not a rule of "
        "the shop)",
        ("an export with more customers buying the same products together",
         "a larger scale (SCALE)")),
    "clv_customers": (
        lambda p, m: (
            f"has {plural(p[m], 'customer') if p[m] else 'no customer'} "
            f"whose first completed order is on or before "
            f"{p.day('clv_calibration_end'):%Y-%m-%d}, where the models' "
            f"calibration ends ({plural(p['clv_holdout_weeks'], 'week')} "
            f"before the last day)"),
        "at least {least} customers who first bought before the "
        "calibration ends",
        ("an export of a longer period, or a shorter holdout "
         "(CLV_HOLDOUT_WEEKS)",
         "a longer period, a larger scale or a shorter holdout "
         "(CLV_HOLDOUT_WEEKS)")),
    "clv_repeat_customers": (
        lambda p, m: (
            f"has {plural(p[m], 'customer') if p[m] else 'no customer'} "
            f"who bought again (on another day) by "
            f"{p.day('clv_calibration_end'):%Y-%m-%d}, where the models' "
            f"calibration ends"),
        "at least {least} customers who bought again before the "
        "calibration ends",
        ("an export of a longer period, or a shorter holdout "
         "(CLV_HOLDOUT_WEEKS)",
         "a longer period, a larger scale or a shorter holdout "
         "(CLV_HOLDOUT_WEEKS)")),
    "refreshable": (
        lambda p, m: "this warehouse was imported from a shop's export",
        "a warehouse that datagen refresh brings forward (a generated one)",
        ("importing a newer export builds it again as of its last day",
         "")),
}


#: the capability a measure counts: unknown, its count is not said too
COUNTS = {"channels": "channels", "categories": "categories",
          "repeat_customers": "customers", "buying_customers": "customers",
          "max_pair_customers": "customers", "clv_customers": "customers",
          "clv_repeat_customers": "customers", "whole_months": "dates",
          "whole_quarters": "dates", "month_cycles": "dates",
          "years": "dates", "days": "dates"}


@dataclasses.dataclass(frozen=True)
class Section:
    """A section of a chapter and what it needs to show."""
    key: str
    chapter: str
    title: str
    needs: tuple[str, ...] = ()
    minimums: tuple[Minimum, ...] = ()


def _section(key: str, chapter: str, title: str, needs: tuple[str, ...] = (),
             **least: int) -> Section:
    return Section(key, chapter, title, needs,
                   tuple(minimum(measure, value)
                         for measure, value in least.items()))


#: the chapters whose sections can step back, in the book's order, with
#: their titles
CHAPTERS = {
    "01_introduction": "Introduction",
    "02_kpi_dashboard": "KPI dashboard",
    "03_revenue_trends": "Revenue trends",
    "04_customer_value": "Customer value",
    "04_lifetime_value": "Customer lifetime value",
    "05_cohort_retention": "Cohort retention",
    "06_market_basket": "Market basket",
    "07_seasonality": "Seasonality",
    "08_forecasting": "Forecasting",
    "09_segmentation": "Segmentation",
    "10_data_quality": "Data quality",
    "11_data_import": "The data and its import",
}
#: chapters only one kind of book has (``datagen.publish.notebooks.ONLY_IN``)
ONLY_IMPORTED = {"11_data_import"}
#: chapters that stay in the book whatever their sections show (they say
#: what the book is and where its data came from)
ALWAYS = {"01_introduction", "10_data_quality", "11_data_import"}

_RFM = ("customers", "prices", "dates")
SECTIONS: dict[str, Section] = {s.key: s for s in (
    _section("intro.orders", "01_introduction", "Orders at a glance",
             ("dates",), whole_months=MIN_TREND_MONTHS),
    _section("kpi.year", "02_kpi_dashboard",
             "Latest year against the year before", ("dates",)),
    _section("kpi.refresh", "02_kpi_dashboard", "Since the last refresh",
             refreshable=1),
    _section("kpi.monthly", "02_kpi_dashboard", "Month by month",
             ("dates",), whole_months=MIN_TREND_MONTHS),
    _section("kpi.yearly", "02_kpi_dashboard", "Year by year", ("dates",),
             years=MIN_YEARS),
    _section("trends.monthly", "03_revenue_trends", "Monthly net revenue",
             ("prices", "dates"), whole_months=MIN_TREND_MONTHS),
    _section("trends.channels", "03_revenue_trends", "Channel contribution",
             ("prices", "channels", "dates"), channels=2,
             whole_months=MIN_TREND_MONTHS),
    _section("trends.categories", "03_revenue_trends",
             "Category profitability over time",
             ("prices", "categories", "dates"), categories=2,
             whole_quarters=MIN_TREND_QUARTERS),
    _section("trends.weekdays", "03_revenue_trends", "The weekly rhythm",
             ("prices", "dates"), days=MIN_WEEKDAY_DAYS),
    _section("value.segments", "04_customer_value", "RFM segments", _RFM,
             repeat_customers=MIN_REPEAT_CUSTOMERS),
    _section("value.grid", "04_customer_value", "The RFM grid", _RFM,
             repeat_customers=MIN_REPEAT_CUSTOMERS),
    _section("value.scatter", "04_customer_value",
             "Recency, frequency and money", _RFM,
             repeat_customers=MIN_REPEAT_CUSTOMERS),
    _section("value.top", "04_customer_value", "Top customers",
             ("customers", "prices"), buying_customers=2),
    _section("value.tiers", "04_customer_value", "Lifetime-value tiers",
             ("customers", "prices"), buying_customers=MIN_TIER_CUSTOMERS),
    _section("value.concentration", "04_customer_value",
             "How concentrated revenue is", ("customers", "prices"),
             buying_customers=MIN_CURVE_CUSTOMERS),
    _section("clv.parameters", "04_lifetime_value", "The models",
             ("customers", "dates"), clv_customers=MIN_CLV_CUSTOMERS,
             clv_repeat_customers=MIN_CLV_REPEAT_CUSTOMERS),
    _section("clv.holdout", "04_lifetime_value",
             "The model against the holdout", ("customers", "dates"),
             clv_customers=MIN_CLV_CUSTOMERS,
             clv_repeat_customers=MIN_CLV_REPEAT_CUSTOMERS),
    _section("clv.alive", "04_lifetime_value", "Who is still a customer",
             ("customers", "dates"), clv_customers=MIN_CLV_CUSTOMERS,
             clv_repeat_customers=MIN_CLV_REPEAT_CUSTOMERS),
    _section("clv.value", "04_lifetime_value",
             "Predicted value against past revenue",
             ("customers", "dates", "prices"),
             clv_customers=MIN_CLV_CUSTOMERS,
             clv_repeat_customers=MIN_CLV_REPEAT_CUSTOMERS),
    _section("clv.spend", "04_lifetime_value", "Frequency and spend",
             ("customers", "dates", "prices"),
             clv_customers=MIN_CLV_CUSTOMERS,
             clv_repeat_customers=MIN_CLV_REPEAT_CUSTOMERS),
    _section("cohorts.heatmap", "05_cohort_retention", "Retention heatmap",
             ("customers", "dates"), whole_months=MIN_TREND_MONTHS,
             repeat_customers=1),
    _section("cohorts.survival", "05_cohort_retention", "Survival curves",
             ("customers", "dates"), whole_months=MIN_SURVIVAL_MONTHS,
             repeat_customers=1),
    _section("cohorts.sizes", "05_cohort_retention", "Cohort sizes",
             ("customers", "dates"), whole_months=MIN_TREND_MONTHS),
    _section("cohorts.channels", "05_cohort_retention",
             "Retention by acquisition channel",
             ("customers", "channels", "dates"), channels=2,
             days=REPEAT_WINDOW_DAYS + 1, repeat_customers=1),
    # (without customer ids each basket is a guest of its own, so the
    # customers behind a pair are its baskets and the rules still show,
    # counted in baskets: the chapter says so)
    _section("basket.rules", "06_market_basket", "The strongest rules",
             pairs=1, max_pair_customers=MIN_RULE_CUSTOMERS),
    _section("basket.scatter", "06_market_basket",
             "Support against confidence", pairs=1,
             max_pair_customers=MIN_RULE_CUSTOMERS),
    _section("basket.together", "06_market_basket",
             "Frequently bought together", ("quantities",),
             pairs=1,
             max_pair_customers=MIN_RULE_CUSTOMERS, products=MIN_PRODUCTS),
    _section("season.index", "07_seasonality", "The measure",
             ("categories", "dates", "quantities"), categories=2,
             month_cycles=SEASON_CYCLES),
    _section("season.shares", "07_seasonality",
             "Seasonal categories month by month",
             ("categories", "dates", "quantities"), categories=2,
             month_cycles=SEASON_CYCLES),
    _section("forecast.history", "08_forecasting",
             "Monthly revenue and its moving average", ("prices", "dates"),
             whole_months=MOVING_AVERAGE_MONTHS),
    _section("forecast.backtest", "08_forecasting", "Backtest",
             ("prices", "dates"), whole_months=FORECAST_MONTHS),
    _section("forecast.forecast", "08_forecasting", "Forecast",
             ("prices", "dates"), whole_months=FORECAST_MONTHS),
    _section("segments.k", "09_segmentation", "How many clusters", _RFM,
             repeat_customers=MIN_REPEAT_CUSTOMERS,
             buying_customers=MIN_CLUSTER_CUSTOMERS),
    _section("segments.clusters", "09_segmentation",
             "The clusters side by side", _RFM,
             repeat_customers=MIN_REPEAT_CUSTOMERS,
             buying_customers=MIN_CLUSTER_CUSTOMERS),
    _section("quality.revenue", "10_data_quality",
             "Revenue reconciles across the views", ("prices",)),
    _section("quality.statuses", "10_data_quality",
             "Order statuses over time", ("statuses", "dates"),
             whole_months=MIN_TREND_MONTHS),
    _section("import.monthly", "11_data_import", "The lines month by month",
             ("dates",), whole_months=MIN_TREND_MONTHS),
)}


# --- the check ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Verdict:
    """Whether a section shows; if not, the one sentence it shows instead
    and the profile's values it states (to glue)."""
    section: Section
    shown: bool
    sentence: str = ""
    values: Mapping[str, object] = dataclasses.field(default_factory=dict)


def _lacks(profile: Profile, capability: str, how: bool = True) -> str:
    """``has no costs (costs and margins are unknown)``: the capability as
    the source lacks it, with ``data_known``'s word on it (``how``)."""
    said = "" if capability in ANY_OF or not how else profile.how(
        capability).removeprefix("not in the source").lstrip(": ")
    return _words(capability).lacks + (f" ({said})" if said else "")


def _lacking(profile: Profile, sections) -> tuple[list[str], list[Minimum]]:
    """What ``sections`` need and the profile lacks: the capabilities it
    does not know, and the minimums it does not meet (the count of a
    capability it does not know goes without saying; of one measure, the
    highest)."""
    lacking: list[str] = []
    short: dict[str, Minimum] = {}
    for section in sections:
        lacking += [c for c in section.needs
                    if not profile.knows(c) and c not in lacking]
    for section in sections:
        for least in section.minimums:
            if least.met(profile) or COUNTS.get(least.measure) in lacking:
                continue
            if least.measure not in short or \
                    least.least > short[least.measure].least:
                short[least.measure] = least
    return lacking, list(short.values())


def _sentence(profile: Profile, lacking: list[str], short: list[Minimum],
              subject: str = "This section", how: bool = True) -> str:
    """``This section needs ..., and the source has ...; ... would make it
    possible.``: one sentence; ``how``: with data_known's word on each
    capability the source lacks."""
    needs = ([_words(c).needs for c in lacking]
             + [_one(m.needs.format(least=m.least)) for m in short])
    source = "the source" if profile.imported else "the data"
    has = ([f"{source} {listing(_lacks(profile, c, how) for c in lacking)}"]
           if lacking else [])
    has += [m.has(profile) if m.measure == "refreshable" else
            f"{'it' if has else 'the data'} {m.has(profile)}"
            for m in short]
    which = 0 if profile.imported else 1
    remedies = ([f"an export with {listing(_words(c).remedy for c in lacking)}"]
                if lacking else [])
    remedies += [m.remedy[which].format(least=m.least) for m in short
                 if m.remedy[which]]
    remedies = list(dict.fromkeys(remedies))  # two minimums, one remedy
    if any(m.measure == "refreshable" for m in short):
        then = f"; {listing(remedies)}" if remedies else ""
    else:
        then = f"; {listing(remedies)} would make it possible"
    return f"{subject} needs {listing(needs)}, and {listing(has)}{then}."


def check(key: str, profile: Profile) -> Verdict:
    """Whether section ``key`` shows for ``profile``, and otherwise its one
    sentence: what the section needs and the data lacks, and what data
    would make it possible."""
    section = SECTIONS[key]
    lacking, short = _lacking(profile, [section])
    if not lacking and not short:
        return Verdict(section, True)
    values = {m.measure: profile[m.measure] for m in short}
    return Verdict(section, False, _sentence(profile, lacking, short),
                   values)


def chapter_sentence(profile: Profile, chapter: str) -> str:
    """Why ``chapter`` is left out, in one sentence: what its sections need
    and the data lacks (data_known's words on each are in the
    introduction's table of what the data knows)."""
    lacking, short = _lacking(profile, [s for s in SECTIONS.values()
                                        if s.chapter == chapter])
    others = [m for m in short if m.measure != "refreshable"]
    if lacking or others:  # a refresh is the least of what it lacks
        short = others
    return _sentence(profile, lacking, short, "This chapter", how=False)


def _one(text: str) -> str:
    """``at least 1 customers with`` as ``at least one customer with``."""
    return re.sub(r"\bat least 1 (\w+?)s\b", r"at least one \1", text)


def _words(capability: str) -> Capability:
    """A capability's words; one this table does not know, by its name."""
    name = capability.replace("_", " ")
    return CAPABILITIES.get(capability) or Capability(
        name, f"lacks {name}", name)


def verdicts(profile: Profile, chapter: str | None = None
             ) -> dict[str, Verdict]:
    """The verdict on every section (of ``chapter``), in the table's
    order."""
    return {key: check(key, profile) for key, section in SECTIONS.items()
            if (chapter is None or section.chapter == chapter)
            and (profile.imported or section.chapter not in ONLY_IMPORTED)}


def left_out(profile: Profile, chapter: str) -> bool:
    """Whether ``chapter`` has nothing left to show: it has sections in the
    table, none of them shows, and it is not one the book always has."""
    found = verdicts(profile, chapter)
    return (chapter not in ALWAYS and bool(found)
            and not any(v.shown for v in found.values()))


# --- a chapter's sections ---------------------------------------------------------

class Sections:
    """The sections of one chapter as its notebook asks for them.

    ``sections("basket.rules")`` is True when the section shows (and says
    its ``intro``, if given); otherwise it says the section's one sentence
    (the first time it is asked) and is False. A chapter with nothing left
    to show glues ``left_out``, which ``make book`` reads to leave it out
    of the site's contents and the PDF.
    """

    def __init__(self, profile: Profile, chapter: str):
        from .narrative import fact
        self.profile, self.chapter = profile, chapter
        self.verdicts = verdicts(profile, chapter)
        self._said: set[str] = set()
        self.left_out = left_out(profile, chapter)
        if self.left_out:
            fact(LEFT_OUT, True)

    def __call__(self, key: str, intro=None) -> bool:
        from .narrative import fact, say
        verdict = self.verdicts[key]
        if verdict.shown:
            if intro is not None:
                say(intro)
            return True
        if key not in self._said:
            self._said.add(key)
            for measure, value in verdict.values.items():
                fact(f"lacks_{key.replace('.', '_')}_{measure}", value)
            say(verdict.sentence)
        return False

    def shown(self, key: str) -> bool:
        """Whether section ``key`` shows (nothing said)."""
        return self.verdicts[key].shown

    def stepped_back(self) -> list[str]:
        """The titles of the sections that step back, in order."""
        return [v.section.title for v in self.verdicts.values()
                if not v.shown]


#: the name a left-out chapter glues (``datagen.publish.notebooks`` reads it)
LEFT_OUT = "left_out"


def left_out_frame(profile: Profile) -> pd.DataFrame:
    """Every section that steps back: chapter, section, whether its whole
    chapter is left out, and its sentence (the introduction's list); the
    sections of a chapter that step back for the same reason in one row,
    a chapter left out in one row."""
    rows: list[dict] = []
    for verdict in verdicts(profile).values():
        if verdict.shown:
            continue
        chapter = CHAPTERS[verdict.section.chapter]
        gone = left_out(profile, verdict.section.chapter)
        if rows and rows[-1]["chapter"] == chapter and (
                gone or rows[-1]["why"] == verdict.sentence):
            rows[-1]["section"] += "; " + verdict.section.title
            continue
        rows.append({"chapter": chapter,
                     "section": verdict.section.title,
                     "chapter left out": gone,
                     # a chapter left out: one row, one sentence for all
                     "why": chapter_sentence(profile, verdict.section.chapter)
                     if gone else verdict.sentence})
    frame = pd.DataFrame(rows, columns=["chapter", "section",
                                        "chapter left out", "why"])
    return frame.astype({"chapter left out": bool})


def left_out_notebooks(profile: Profile) -> list[str]:
    """The notebooks (``06_market_basket``) of the chapters left out of the
    book, in order."""
    return [c for c in CHAPTERS if left_out(profile, c)
            and (profile.imported or c not in ONLY_IMPORTED)]


def left_out_chapters(profile: Profile) -> list[str]:
    """The titles of the chapters left out of the book, in order."""
    return [CHAPTERS[c] for c in left_out_notebooks(profile)]


#: the name under which the warehouse notebook glues the notebooks of the
#: chapters left out, comma-separated: ``make book`` does not run them
#: (``datagen.publish.notebooks.LEFT_OUT_NOTEBOOKS``)
LEFT_OUT_NOTEBOOKS = "left_out_notebooks"


def glue_left_out(profile: pd.DataFrame) -> list[str]:
    """Glue (``LEFT_OUT_NOTEBOOKS``) and return the notebooks of the
    chapters the data profile (the row of ``vw_data_profile``) leaves
    out."""
    from .narrative import fact
    left = left_out_notebooks(Profile.of(profile))
    fact(LEFT_OUT_NOTEBOOKS, ",".join(left))
    return left


def stepped_back(profile: Profile) -> list[Section]:
    """The sections that step back in chapters the book keeps."""
    return [v.section for v in verdicts(profile).values()
            if not v.shown and not left_out(profile, v.section.chapter)]
