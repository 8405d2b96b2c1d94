"""A chapter's page: its parameters, its connection and its banner.

Owns a chapter's set-up. ``setup`` validates the papermill parameters,
connects jupysql to the warehouse (search path = the build's schema) and
sets plotly up; ``Page.banner`` shows the line every page opens with (seed,
scale, the first day of the data and the "as of" date, the date a refresh
brought it from, when the warehouse was built), checked against
``build_info``. Nothing here queries the warehouse: the queries live in
the notebooks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pandas as pd

from .. import server
from ..escape import html
from ..params import BuildParams, check_injected, parse_params
from .charts import setup_plotly
from .formats import day, set_currency, timestamp
from .narrative import show_html
from .needs import Profile, Sections
from .tables import new_page


@dataclasses.dataclass
class Page:
    """One chapter: its parameters and its database engine."""

    params: BuildParams
    engine: object
    built_at: dt.datetime | None = None
    #: the warehouse was imported from a shop's export (set by ``banner``)
    imported: bool = False
    source_file: str | None = None
    #: the warehouse's "as of" date (``build_info.end_date``) and the as-of
    #: date it was last refreshed from (None: built in full; set by
    #: ``banner``)
    as_of: dt.date | None = None
    refreshed_from: dt.date | None = None
    #: the data profile (set by ``sections``)
    profile: Profile | None = None

    def sections(self, profile: pd.DataFrame, chapter: str) -> Sections:
        """The chapter's sections as the data profile (the one row of
        ``vw_data_profile``) lets them show (``needs.Sections``); called
        before ``banner``, which then knows whether the data has dates."""
        self.profile = Profile.of(profile)
        return Sections(self.profile, chapter)

    def banner(self, build_info: pd.DataFrame) -> None:
        """Show seed, scale, data period, as-of date and build time; check
        the build.

        ``build_info`` is the one-row ``build_info`` table of the warehouse;
        a warehouse built with other parameters than this chapter's stops
        the chapter (its numbers would belong to another book).
        """
        if len(build_info) != 1:
            raise RuntimeError("build_info must hold exactly one row "
                               f"(it holds {len(build_info)})")
        row = build_info.iloc[0]
        source_file = row.get("source_file")
        imported = isinstance(source_file, str) and bool(source_file)
        if imported or self.params.imported:
            built = {"source": source_file if imported else None,
                     "mapping": row.get("mapping") if imported else None}
            wanted = {"source": Path(self.params.source).name or None,
                      "mapping": self.params.mapping or None}
        else:
            built = {"seed": int(row["seed"]), "scale": float(row["scale"]),
                     "start_date": pd.Timestamp(row["start_date"]).date(),
                     "end_date": pd.Timestamp(row["end_date"]).date()}
            wanted = {"seed": self.params.seed, "scale": self.params.scale,
                      "start_date": self.params.start_date,
                      "end_date": self.params.end_date}
        differs = [k for k in wanted if built[k] != wanted[k]]
        if differs:
            raise RuntimeError(
                f"schema {self.params.schema!r} holds another build ("
                + ", ".join(f"{k} {built[k]} instead of {wanted[k]}"
                            for k in differs) + ")")
        self.built_at = pd.Timestamp(row["built_at"]).to_pydatetime()
        self.imported, self.source_file = imported, source_file
        self.as_of = pd.Timestamp(row["end_date"]).date()
        refreshed_from = row.get("refreshed_from")
        self.refreshed_from = (None if refreshed_from is None
                               or pd.isna(refreshed_from)
                               else pd.Timestamp(refreshed_from).date())
        if imported:
            set_currency(row.get("currency") or "USD")
            dated = self.profile is None or self.profile.knows("dates")
            priced = self.profile is None or self.profile.knows("prices")
            show_html(import_banner_html(
                source_file, row["mapping"], row["currency"],
                pd.Timestamp(row["start_date"]).date(), self.as_of,
                self.params.schema, self.built_at, dated, priced))
        else:
            set_currency("USD")
            show_html(banner_html(self.params, self.built_at,
                                  self.refreshed_from))


#: a chapter computes on one thread (``one_thread``)
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


def one_thread() -> None:
    """The numeric libraries on one thread: those loaded already
    (threadpoolctl) and those loaded later (their variables). ``make book``
    runs a chapter per core side by side, and with two at once on two
    cores K-Means (OpenMP) and the BLAS spun threads on every core:
    segmentation took 3.6 s instead of 1.7 s, the truth check 1.7 s instead
    of 0.8 s at scale 1. A chapter's figures then do not depend on the
    number of cores either (K-Means' inertias differed in their 16th
    digit)."""
    from threadpoolctl import threadpool_limits
    os.environ.update(ONE_THREAD)
    threadpool_limits(1)


def setup(*, url: str | None = None, **parameters) -> Page:
    """Validate the parameters, connect ``%sql``, set plotly up, compute on
    one thread (``one_thread``).

    ``parameters`` are the notebook's papermill parameters (the names of
    ``datagen.params.DEFAULTS``).
    """
    params = parse_params(parameters)
    shell = _shell()
    if shell is not None:  # papermill injected only names the book knows
        check_injected(list(shell.user_ns.get("In", [])))
    # a page begins afresh, also in a kernel that ran another chapter
    # before (``datagen.publish.kernels``): its CSV names, the currency
    new_page()
    set_currency("USD")
    setup_plotly()
    one_thread()
    engine = connect_sql(params, url=url)
    return Page(params, engine)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def connect_sql(params: BuildParams, url: str | None = None):
    """An engine on the warehouse schema, connected to the ``%sql`` magic."""
    import sqlalchemy
    from IPython import get_ipython
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(
        server.sqlalchemy_url(url), poolclass=NullPool,
        connect_args={"options": f"-c search_path={params.schema}",
                      "application_name": "book"})
    shell = get_ipython()
    if shell is None:  # plain Python (tests): nothing to connect
        return engine
    # the connection a chapter run before in this kernel left open
    from sql.connection import ConnectionManager
    ConnectionManager.close_all()
    _load_sql(shell)
    for option in ("SqlMagic.autopandas = True", "SqlMagic.displaycon = False",
                   "SqlMagic.feedback = 0", "SqlMagic.short_errors = False",
                   "SqlMagic.displaylimit = 20"):
        shell.run_line_magic("config", option)
    shell.user_ns["_warehouse_engine"] = engine
    shell.run_line_magic("sql", "_warehouse_engine --alias warehouse")
    return engine


def _load_sql(shell) -> None:
    """Load jupysql's ``%sql`` into ``shell``, quietly: it looks for its
    settings in the nearest pyproject.toml and prints a tip naming that
    file's local path into the page (``connect_sql`` makes the settings
    instead)."""
    from IPython.utils.capture import capture_output
    with capture_output():
        shell.run_line_magic("load_ext", "sql")


def warm_up() -> None:
    """Import what every chapter's set-up imports, ahead of the chapter
    (``datagen.publish.kernels.WarmKernels.prepare`` runs it in the
    chapters' kernels while the warehouse is built): numpy, pandas,
    plotly, SQLAlchemy, and jupysql with its extension loaded."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import plotly.express  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import sqlalchemy  # noqa: F401
    shell = _shell()
    if shell is not None:
        _load_sql(shell)


def as_of_html(start: dt.date, as_of: dt.date,
               refreshed_from: dt.date | None = None) -> str:
    """``data from <start> as of <as_of>``, and the as-of date a refresh
    brought the warehouse from (``build_info.refreshed_from``)."""
    refreshed = (f", refreshed from <strong>{day(refreshed_from)}</strong>"
                 if refreshed_from is not None else "")
    return (f"data from <strong>{day(start)}</strong> as of "
            f"<strong>{day(as_of)}</strong>{refreshed}")


def banner_html(params: BuildParams, built_at: dt.datetime | None,
                refreshed_from: dt.date | None = None) -> str:
    """The page banner: what data this page was computed from; the "as of"
    date is the build's end date (``Page.banner`` checks it against
    ``build_info``)."""
    built = (f" &middot; warehouse built {timestamp(built_at)}"
             if built_at is not None else "")
    return (
        '<div class="wh-banner">'
        f'<span class="wh-seed">Seed <strong>{params.seed}</strong></span>'
        f" &middot; scale {params.scale:g} &middot; "
        f"{as_of_html(params.start_date, params.end_date, refreshed_from)}"
        f"{built} &middot; schema <code>{html(params.schema)}</code>"
        "</div>")


def import_banner_html(source_file: str, mapping: str, currency: str,
                       start: dt.date, end: dt.date, schema: str,
                       built_at: dt.datetime | None,
                       dated: bool = True, priced: bool = True) -> str:
    """The page banner of an imported warehouse: its source and mapping
    (``dated``, ``priced``: the source has order dates, prices; else its
    days, its currency are not said)."""
    built = (f" &middot; warehouse built {timestamp(built_at)}"
             if built_at is not None else "")
    period = as_of_html(start, end) if dated else "order dates unknown"
    money = f"amounts in {html(currency)}" if priced else "no prices"
    return (
        '<div class="wh-banner">'
        f'<span class="wh-seed">Source <strong>{html(source_file)}'
        f"</strong></span> &middot; mapping <code>{html(mapping)}"
        f"</code> &middot; {period} &middot; {money}{built}"
        f" &middot; schema <code>{html(schema)}</code></div>")
