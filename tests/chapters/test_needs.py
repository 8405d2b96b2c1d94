"""What each section needs, without a database: the table, the sentence a
section shows instead, and the charts' fit to the data's span.

A profile is written here by hand (``profile``: a generated shop's, with
any value or capability changed); the warehouse's own profile is checked
against the tables in ``test_data_profile.py``.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from conftest import ROOT
from datagen.chapters import needs, span
from datagen.escape import markdown

GUIDE = ROOT / "book" / "guide" / "what_the_book_shows.md"
PROFILE_SQL = ROOT / "sql" / "044_vw_data_profile.sql"

GENERATED = {
    "source": "generated", "refreshable": True, "unknown": [],
    "known": {name: {"known": True, "how": "generated"}
              for name in ("prices", "costs", "returns", "cancellations",
                           "channels", "categories", "customers", "dates",
                           "quantities")},
    "first_day": dt.date(2023, 1, 1), "last_day": dt.date(2025, 12, 31),
    "days": 1096, "days_with_orders": 1096, "weekdays": 7,
    "has_times_of_day": True, "whole_months": 36,
    "first_whole_month": dt.date(2023, 1, 1),
    "last_whole_month": dt.date(2025, 12, 1), "partial_months": 0,
    "month_cycles": 3, "whole_quarters": 12, "whole_years": 3, "years": 3,
    "orders": 60000, "completed_orders": 55000, "customers": 10000,
    "buying_customers": 9000, "repeat_customers": 6000,
    "multi_product_baskets": 37000, "products": 250, "categories": 8,
    "channels": 8, "min_pair_orders": 5, "pairs": 8000,
    "max_pair_customers": 400, "clv_holdout_weeks": 52,
    "clv_calibration_end": dt.date(2025, 1, 1), "clv_customers": 5000,
    "clv_repeat_customers": 3000}


def profile(unknown=(), how=None, **values) -> needs.Profile:
    """A generated shop's profile with ``unknown`` capabilities (their
    ``how`` said) and other ``values``."""
    row = dict(GENERATED, **values)
    row["known"] = {**row["known"], **{
        name: {"known": False, "how": (how or {}).get(
            name, "not in the source")} for name in unknown}}
    if unknown:
        row["source"], row["refreshable"] = "imported", False
    return needs.Profile(row)


def test_the_table_names_chapters_capabilities_and_measures_that_exist():
    columns = set(re.findall(r"^\s+(?:\S.*\s+as\s+|[\w.]+\.)(\w+),?$",
                             PROFILE_SQL.read_text(), flags=re.M))
    for key, section in needs.SECTIONS.items():
        assert section.chapter in needs.CHAPTERS, key
        assert (ROOT / "book" / f"{section.chapter}.ipynb").is_file(), key
        for capability in section.needs:
            assert capability in needs.CAPABILITIES, (key, capability)
        for least in section.minimums:
            assert least.measure in columns, (key, least.measure)
            assert least.measure in needs.MEASURES, (key, least.measure)
    # every section is asked for by its chapter's notebook, by its key
    for key, section in needs.SECTIONS.items():
        notebook = (ROOT / "book" / f"{section.chapter}.ipynb").read_text()
        assert f'\\"{key}\\"' in notebook, key


def test_a_generated_shop_shows_every_section():
    verdicts = needs.verdicts(profile())
    assert all(v.shown for k, v in verdicts.items()
               if k != "import.monthly"), [k for k, v in verdicts.items()
                                           if not v.shown]
    assert needs.left_out_frame(profile()).empty
    assert needs.left_out_chapters(profile()) == []


def test_a_section_steps_back_in_one_sentence_that_says_why():
    lacking = profile(["channels"], {"channels": "not in the source: every "
                                     "order is in the channel 'Web'"},
                      channels=1)
    verdict = needs.check("trends.channels", lacking)
    assert not verdict.shown
    assert verdict.sentence == (
        "This section needs the channel of each order, and the source has "
        "no channels (every order is in the channel 'Web'); an export with "
        "each order's channel (the mapping's channel) would make it "
        "possible.")
    assert verdict.sentence.count(". ") == 0   # one sentence
    short = profile(whole_months=12, first_whole_month=dt.date(2024, 1, 1),
                    last_whole_month=dt.date(2024, 12, 1))
    verdict = needs.check("forecast.forecast", short)
    assert verdict.sentence == (
        "This section needs at least 19 whole calendar months, and the data "
        "covers 12 whole months (January 2024 to December 2024); a build of "
        "at least 19 whole months (START_DATE, END_DATE) would make it "
        "possible.")
    assert verdict.values == {"whole_months": 12}
    once = profile(repeat_customers=0, buying_customers=640)
    assert "at least one customer with two or more" in needs.check(
        "cohorts.heatmap", once).sentence


def test_a_rule_needs_several_customers():
    one_customer = profile(max_pair_customers=1)
    verdict = needs.check("basket.rules", one_customer)
    assert not verdict.shown
    assert f"at least {needs.MIN_RULE_CUSTOMERS} different customers" in \
        verdict.sentence
    assert "at most 1 customer behind one of them" in verdict.sentence
    assert needs.left_out(one_customer, "06_market_basket")


def test_a_chapter_with_nothing_to_show_is_left_out_and_listed():
    no_prices = profile(["prices"])
    gone = needs.left_out_chapters(no_prices)
    assert gone == ["Revenue trends", "Customer value", "Forecasting",
                    "Segmentation"]
    frame = needs.left_out_frame(no_prices)
    assert set(frame[frame["chapter left out"]].chapter) == set(gone)
    # the sections of a chapter that step back for one reason: one row
    assert frame.chapter.is_unique
    # the introduction and the data quality page stay, whatever they lack
    nothing = profile(["prices", "dates", "customers", "channels",
                       "categories", "returns", "cancellations",
                       "quantities"])
    assert not needs.left_out(nothing, "01_introduction")
    assert not needs.left_out(nothing, "10_data_quality")
    assert needs.left_out(nothing, "02_kpi_dashboard")


def test_a_capability_the_table_does_not_know_is_fine():
    odd = profile(["loyalty_points"])
    assert odd.unknown() == ["loyalty_points"]
    assert not odd.knows("loyalty_points") and odd.knows("prices")
    assert all(v.shown for k, v in needs.verdicts(odd).items()
               if k not in ("kpi.refresh", "import.monthly"))
    # one data_known does not record is known: it lists what is lacking
    assert profile().knows("wrapping_paper")


def test_statuses_are_known_when_returns_or_cancellations_are():
    assert profile(["cancellations"]).knows("statuses")
    assert not profile(["cancellations", "returns"]).knows("statuses")
    verdict = needs.check("quality.statuses",
                          profile(["cancellations", "returns"]))
    assert "does not say which orders were returned or cancelled" in \
        verdict.sentence


def test_a_sentence_is_text_whatever_the_source_says():
    hostile = profile(["channels"], {"channels": "not in the source: every "
                                     "order is in the channel "
                                     "'<script>x</script> **b**'"})
    sentence = needs.check("trends.channels", hostile).sentence
    assert "<script>x</script> **b**" in sentence
    shown = markdown(sentence)   # as chapters.say shows a plain string
    assert "<script>" not in shown and "\\*\\*b\\*\\*" in shown


def test_the_guide_lists_every_section_and_threshold():
    guide = GUIDE.read_text()
    for section in needs.SECTIONS.values():
        assert f"| {needs.CHAPTERS[section.chapter]} | {section.title} |" in \
            guide, section.key
    for name in ("MIN_RULE_CUSTOMERS", "MIN_REPEAT_CUSTOMERS",
                 "MIN_CLUSTER_CUSTOMERS", "MIN_TIER_CUSTOMERS",
                 "MIN_CURVE_CUSTOMERS", "MIN_TREND_MONTHS",
                 "MIN_SURVIVAL_MONTHS", "SEASON_CYCLES", "MIN_WEEKDAY_DAYS",
                 "REPEAT_WINDOW_DAYS", "MOVING_AVERAGE_MONTHS",
                 "FORECAST_MONTHS", "MIN_PRODUCTS", "MIN_CLV_CUSTOMERS",
                 "MIN_CLV_REPEAT_CUSTOMERS"):
        assert re.search(rf"`{name}`[^|]*\| {getattr(needs, name)} \|",
                         guide), name
    toc = (ROOT / "_toc.yml").read_text()
    assert "book/guide/what_the_book_shows" in toc


# --- the span of a chart ---------------------------------------------------------

def test_a_month_the_data_covers_in_part_is_left_out_and_said():
    refreshed = profile(last_day=dt.date(2026, 1, 15), whole_months=36,
                        partial_months=1)
    frame = pd.DataFrame({"month": pd.to_datetime(
        ["2025-11-01", "2025-12-01", "2026-01-01"]), "orders": [9, 10, 4]})
    whole, note = span.whole_months(frame, "month", refreshed)
    assert list(whole.orders) == [9, 10]
    assert note == ("January 2026 (15 of its 31 days) is left out: the data "
                    "covers it only in part.")
    assert span.whole_months(frame.iloc[:2], "month", refreshed)[1] is None
    quarters = pd.DataFrame({"quarter": pd.to_datetime(
        ["2025-10-01", "2026-01-01"]), "revenue": [1.0, 0.2]})
    whole, note = span.whole_quarters(quarters, "quarter", refreshed)
    assert len(whole) == 1 and note.startswith("Q1 2026 (15 of its 90 days)")


def test_a_month_axis_ticks_at_whole_months():
    fig = go.Figure(go.Bar(x=pd.date_range("2025-01-01", periods=3,
                                           freq="MS"), y=[1, 2, 3]))
    span.month_axis(fig, 3)
    assert fig.layout.xaxis.dtick == "M1"
    assert fig.layout.xaxis.tickformat == "%b %Y"
    span.month_axis(fig, 36)
    assert fig.layout.xaxis.dtick == "M3"
    span.month_axis(fig, 12, max_ticks=6)
    assert fig.layout.xaxis.dtick == "M2"
    span.month_axis(fig, 24, every=3)   # quarters: at quarters
    assert fig.layout.xaxis.dtick == "M3"


@pytest.mark.parametrize("count, words", [
    (0, "not every calendar month even once"),
    (1, "some calendar months only once"),
    (2, "each calendar month 2 times")])
def test_seasons_say_how_often_each_month_is_covered(count, words):
    thin = profile(month_cycles=count, whole_months=12 * max(count, 1))
    verdict = needs.check("season.index", thin)
    if count >= needs.SEASON_CYCLES:
        assert verdict.shown
    else:
        assert words in verdict.sentence
