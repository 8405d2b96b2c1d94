"""Issue 25 in the warehouse: clv_model_parameters and vw_customer_clv,
written by the import and the build from int_clv_summary.

The acceptance test: the CDNOW sample, imported as it comes (its own
mapping, tests/fixtures/cdnow/cdnow.toml) as of 1998-06-30 with a 39-week
holdout, gives the BG/NBD parameters of Fader, Hardie & Lee (2005) to
three decimals; the SQL summary equals the models' own summary of the raw
file (datagen.models.clv.summarise, tested against the paper in
test_clv.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from conftest import ROOT
from datagen.models import clv
from datagen.params import ParamError, parse_params
from datagen.warehouse import schemas
from datagen.warehouse.build import build
from datagen.warehouse.import_build import Source

FIXTURES = ROOT / "tests" / "fixtures" / "cdnow"
SCHEMA = "t_clv_cdnow"
#: Fader, Hardie & Lee (2005), table 1 (alpha in weeks)
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def frame(conn, query, *args) -> pd.DataFrame:
    cursor = conn.execute(query, args)
    return pd.DataFrame(cursor.fetchall(),
                        columns=[c.name for c in cursor.description])


@pytest.fixture(scope="module")
def cdnow(pg_url):
    source = Source.open(str(FIXTURES / "CDNOW_sample.txt"),
                         str(FIXTURES / "cdnow.toml"))
    build(parse_params(schema=SCHEMA, clv_holdout_weeks=39), url=pg_url,
          echo=lambda line: None, source=source)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn
        for name in (SCHEMA, SCHEMA + "_import"):
            schemas.drop_schema(conn, name)


def test_the_import_gives_the_papers_bgnbd_parameters(cdnow):
    fitted = dict(cdnow.execute(sql.SQL(
        "select parameter, value from {} where model = 'bg/nbd'").format(
            sql.Identifier(SCHEMA, "clv_model_parameters"))).fetchall())
    assert {k: round(fitted[k], 3) for k in PAPER} == PAPER
    period = cdnow.execute(sql.SQL(
        "select distinct calibration_end, holdout_end, customers, time_unit "
        "from {} where parameter = 'alpha'").format(
            sql.Identifier(SCHEMA, "clv_model_parameters"))).fetchall()
    assert [(str(a), str(b), n, unit) for a, b, n, unit in period] == [
        ("1997-09-30", "1998-06-30", 2357, "week")]


def test_the_sql_summary_is_the_models_summary_of_the_raw_file(cdnow):
    raw = pd.read_csv(FIXTURES / "CDNOW_sample.txt", sep=r"\s+",
                      header=None, dtype={2: str},
                      names=["master", "customer", "day", "cds", "value"])
    raw["day"] = pd.to_datetime(raw["day"], format="%Y%m%d")
    expected = clv.summarise(raw, "1997-09-30", "1998-06-30",
                             customer="customer", date="day", value="value")
    got = frame(cdnow, sql.SQL(
        "select customer.customer_code::integer as customer, s.* "
        "from {} as s join {} as customer using (customer_id)").format(
            sql.Identifier(SCHEMA, "int_clv_summary"),
            sql.Identifier(SCHEMA, "dim_customer")).as_string(cdnow)
    ).set_index("customer").sort_index()
    expected = expected.sort_index()
    assert list(got.index) == list(expected.index)
    assert (got["frequency"].to_numpy() == expected["frequency"]).all()
    assert (got["holdout_purchases"].to_numpy()
            == expected["holdout_purchases"]).all()
    for ours, theirs in (("recency", "recency"), ("tenure", "T"),
                         ("avg_value", "avg_value")):
        np.testing.assert_allclose(got[ours].astype(float),
                                   expected[theirs], rtol=0, atol=1e-9)


def test_cdnows_spend_hardly_depends_on_frequency(cdnow):
    """The Gamma-Gamma assumption on the data it was made for, as the
    chapter measures it (datagen.chapters.lifetime.WEAK_CORRELATION)."""
    from datagen.chapters import lifetime
    correlation, customers = cdnow.execute(sql.SQL(
        "select corr(frequency, avg_value), count(*) from {} "
        "where frequency > 0").format(
            sql.Identifier(SCHEMA, "int_clv_summary"))).fetchone()
    assert customers == 946 and round(correlation, 3) == 0.114
    assert abs(correlation) < lifetime.WEAK_CORRELATION


def test_each_customer_has_the_models_predictions(cdnow):
    table = frame(cdnow, sql.SQL("select * from {} order by customer_id")
                  .format(sql.Identifier(SCHEMA, "vw_customer_clv"))
                  .as_string(cdnow))
    assert len(table) == 2357 and table["holdout_purchases"].sum() == 1882
    params = clv.fit_bgnbd(table.frequency, table.recency, table.tenure)
    horizon = 90 / 7
    np.testing.assert_allclose(table.p_alive, clv.p_alive(
        params, table.frequency, table.recency, table.tenure), rtol=1e-6)
    np.testing.assert_allclose(
        table.expected_purchases, clv.expected_purchases(
            horizon, params, table.frequency, table.recency, table.tenure),
        rtol=1e-6)
    np.testing.assert_allclose(
        table.predicted_clv,
        table.expected_purchases * table.expected_avg_value, rtol=1e-12)
    # a customer without a repeat purchase is alive for the BG/NBD
    assert (table.loc[table.frequency == 0, "p_alive"] == 1).all()
    assert table.loc[table.frequency > 0, "p_alive"].between(0, 1).all()


def test_a_generated_warehouse_has_a_model_per_customer(conn, warehouse):
    schema = warehouse()
    summary, table, params = (conn.execute(sql.SQL(q).format(
        sql.Identifier(schema))).fetchone() for q in (
        "select count(*), sum(holdout_purchases) from {}.int_clv_summary",
        "select count(*), sum(holdout_purchases) from {}.vw_customer_clv",
        "select count(*) from {}.clv_model_parameters"))
    assert summary == table and summary[0] > 0
    assert params == (9,)


@pytest.mark.parametrize("name, value", [
    ("clv_holdout_weeks", "0"), ("clv_holdout_weeks", "1045"),
    ("clv_holdout_weeks", "52; drop schema warehouse"),
    ("clv_horizon_days", "-1"), ("clv_horizon_days", "7306"),
    ("clv_horizon_days", "ninety")])
def test_a_bad_clv_parameter_is_refused_by_name(name, value):
    with pytest.raises(ParamError, match=name):
        parse_params({name: value})
