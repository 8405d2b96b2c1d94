"""``datagen export``: the feed of a generated warehouse's shop, day by day,
written for other pipelines.

Owns checking what is asked against the warehouse ``schema`` (a generated
one, the days within what it holds) and the folder ``out`` (absent, empty
or holding only a feed it wrote: ``feed.check_out``) before anything is
written; the
events themselves are the generator's (``generate.changes``), the files
``generate.feed``'s. A warehouse as of ``since`` with the feed applied
(``datagen refresh --feed``) is the warehouse as of ``to``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from .. import __version__, generate
from ..generate import changes
from ..generate import feed as feed_files
from ..params import ParamError, parse_date
from ..server import connect
from . import refresh


def export(schema: str, since, to, out: str | Path,
           file_format: str = "parquet",
           url: str | None = None) -> dict[str, int]:
    """Write the events of the days after ``since`` up to ``to`` of the shop
    of ``schema`` into ``out``; returns the rows of each table."""
    since, to = parse_date("from", since), parse_date("to", to)
    if file_format not in feed_files.FORMATS:
        raise ParamError("format", " or ".join(feed_files.FORMATS),
                         file_format)
    feed_files.check_out(out)  # before the database: absent, empty or a feed
    with connect(url, autocommit=True) as conn:
        params = refresh.warehouse_params(conn, schema)
    start, as_of = params.start_date, params.end_date
    if not start - dt.timedelta(days=1) <= since < to:
        raise ParamError("from", f"a date from {start - dt.timedelta(1)} "
                         f"(the day before the data starts) to before --to "
                         f"{to}", since.isoformat())
    if to > as_of:
        raise ParamError("to", f"at most {as_of}, the date schema {schema!r} "
                         "is as of", to.isoformat())
    plan = generate.plan(dataclasses.replace(params, end_date=to))
    feed = changes.changes(plan, since)
    return feed_files.write(feed, out, file_format, refresh.shop_of(params),
                            __version__)
