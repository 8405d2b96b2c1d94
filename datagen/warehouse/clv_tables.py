"""The customer lifetime value tables: the models fitted and written.

Owns ``clv_model_parameters`` and ``vw_customer_clv`` (``sql/046``) in a
warehouse schema: it reads ``int_clv_summary`` (one row per customer, the
definitions of Fader, Hardie & Lee 2005, in weeks), fits the BG/NBD and
Gamma-Gamma models of ``datagen.models.clv`` to it and writes each
customer's P(alive), expected purchases over the horizon
(``analysis_setting.clv_horizon_days``), expected value per purchase and
predicted value. The build, the import and a refresh call ``write`` after
the views, so a refresh fits again on all the data: a refreshed warehouse
equals a full build. Data that cannot carry a fit (too few customers, no
repeat purchase, no customers at all) leave the tables empty (the BG/NBD
one) or the value columns null (the Gamma-Gamma one); ``write`` returns
why, and the chapter says it.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import psycopg
from psycopg import sql

from ..models import clv
from . import sql_files

TABLES_FILE = "046_vw_customer_clv.sql"
TABLES = ("clv_model_parameters", "vw_customer_clv")
#: the parts of ``write``, as the build reports them
READ, FIT_BGNBD, FIT_GAMMA_GAMMA, WRITE = (
    "read the summary", "fit the BG/NBD", "fit the Gamma-Gamma",
    "predict and write")
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "tenure",
                   "avg_value", "holdout_purchases")


@dataclasses.dataclass(frozen=True)
class Fitted:
    """What ``write`` made: the models (None where a fit could not run)
    and, for each that could not, the one-line reason."""

    bgnbd: clv.BgNbd | None
    gamma_gamma: clv.GammaGamma | None
    customers: int
    why_not: tuple[str, ...] = ()
    #: seconds of each part: reading the summary, fitting the two models,
    #: predicting and writing (what the build reports, and make bench)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)


def summary(conn: psycopg.Connection, schema: str
            ) -> tuple[dict[str, np.ndarray], tuple, int]:
    """``int_clv_summary`` of ``schema`` as arrays (customer order), its
    (calibration_end, holdout_end) days (None without a customer) and the
    horizon in days."""
    ident = sql.Identifier
    rows = conn.execute(sql.SQL(
        "select {}, calibration_end, holdout_end from {} "
        "order by customer_id").format(
            sql.SQL(", ").join(map(ident, SUMMARY_COLUMNS)),
            ident(schema, "int_clv_summary"))).fetchall()
    horizon = conn.execute(sql.SQL(
        "select clv_horizon_days from {}").format(
            ident(schema, "analysis_setting"))).fetchone()[0]
    columns = list(zip(*rows)) if rows else [()] * (len(SUMMARY_COLUMNS) + 2)
    arrays = {name: np.asarray(values, dtype=float)
              for name, values in zip(SUMMARY_COLUMNS, columns)}
    arrays["customer_id"] = arrays["customer_id"].astype(np.int64)
    period = tuple(rows[0][-2:]) if rows else (None, None)
    return arrays, period, horizon


def write(conn: psycopg.Connection, schema: str) -> Fitted:
    """Fill the two tables of ``sql/046`` in ``schema``: created by a
    build, emptied first by a refresh."""
    ident = sql.Identifier
    made = conn.execute(
        "select count(*) from pg_catalog.pg_tables where schemaname = %s "
        "and tablename = any(%s)", [schema, list(TABLES)]).fetchone()[0]
    if made:  # a refresh: emptied (the gate's check reads them)
        for table in TABLES:
            conn.execute(sql.SQL("delete from {}").format(
                ident(schema, table)))
    else:
        sql_files.run_sql(conn, schema, TABLES_FILE)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    data, (calibration_end, holdout_end), horizon_days = summary(conn, schema)
    seconds[READ] = time.perf_counter() - started
    x, tx, t = data["frequency"], data["recency"], data["tenure"]
    why: list[str] = []
    started = time.perf_counter()
    try:
        bgnbd = clv.fit_bgnbd(x, tx, t)
    except clv.ModelError as error:
        return Fitted(None, None, len(x), (str(error),), seconds)
    finally:
        seconds[FIT_BGNBD] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        spend = data["avg_value"]
        gamma_gamma = clv.fit_gamma_gamma(x[spend > 0], spend[spend > 0])
        value = clv.expected_avg_value(gamma_gamma, x, spend)
    except clv.ModelError as error:
        gamma_gamma, value = None, None
        why.append(str(error))
    seconds[FIT_GAMMA_GAMMA] = time.perf_counter() - started
    started = time.perf_counter()
    horizon = horizon_days / clv.WEEK
    alive = clv.p_alive(bgnbd, x, tx, t)
    purchases = clv.expected_purchases(horizon, bgnbd, x, tx, t)
    _parameters(conn, schema, bgnbd, gamma_gamma, calibration_end,
                holdout_end)
    with conn.cursor().copy(sql.SQL(
            "copy {} (customer_id, frequency, recency, tenure, p_alive, "
            "expected_purchases, expected_avg_value, predicted_clv, "
            "holdout_purchases) from stdin").format(
                ident(schema, "vw_customer_clv"))) as copy:
        for i, customer in enumerate(data["customer_id"]):
            copy.write_row((
                int(customer), int(x[i]), float(tx[i]), float(t[i]),
                float(alive[i]), float(purchases[i]),
                None if value is None else float(value[i]),
                None if value is None else float(purchases[i] * value[i]),
                int(data["holdout_purchases"][i])))
    seconds[WRITE] = time.perf_counter() - started
    return Fitted(bgnbd, gamma_gamma, len(x), tuple(why), seconds)


def _parameters(conn, schema: str, bgnbd: clv.BgNbd,
                gamma_gamma: clv.GammaGamma | None, calibration_end,
                holdout_end) -> None:
    rows = [("bg/nbd", name, getattr(bgnbd, name), unit, bgnbd.customers)
            for name, unit in (("r", ""), ("alpha", "week"), ("a", ""),
                               ("b", ""), ("log_likelihood", ""))]
    if gamma_gamma is not None:
        rows += [("gamma-gamma", name, getattr(gamma_gamma, name), "",
                  gamma_gamma.customers)
                 for name in ("p", "q", "gamma", "log_likelihood")]
    with conn.cursor() as cursor:
        cursor.executemany(sql.SQL(
            "insert into {} (model, parameter, value, time_unit, "
            "calibration_end, holdout_end, customers) "
            "values (%s, %s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(schema, "clv_model_parameters")),
            [(*row[:4], calibration_end, holdout_end, row[4])
             for row in rows])
