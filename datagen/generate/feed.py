"""The feed on disk: what ``datagen export`` writes and ``datagen refresh
--feed`` reads, for other pipelines (dbt, Airflow) to consume.

Owns the layout (README, "Time moves"): a folder with ``feed.json`` (the
shop, the days covered, each table's columns and rows) and one folder per
table of ``changes.FEED_TABLES``, partitioned by day the Hive way
(``orders/event_date=2024-06-01/part-0.parquet``), in Parquet or CSV,
written and read with pyarrow's datasets. Money is written as
``decimal(12,2)``; inside the generator it is integer cents.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ..errors import DatagenError
from . import money
from .changes import FEED_TABLES, Feed

LAYOUT_VERSION = 1
FORMATS = ("parquet", "csv")
MANIFEST = "feed.json"
#: the warehouse table whose rows each feed table carries (its money
#: columns are ``money.MONEY``'s)
ROWS_OF = {"products": "dim_product", "orders": "fact_order",
           "order_lines": "fact_order_item"}


class FeedError(DatagenError, ValueError):
    """A feed folder cannot be read as a feed; the message names it."""


def write(feed: Feed, out: str | Path, file_format: str,
          shop: dict, generator_version: str) -> dict[str, int]:
    """Write ``feed`` into the folder ``out`` (replaced if it holds a feed);
    returns the rows of each table."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise FeedError(f"{out}: the folder is not empty and holds no feed "
                        f"({MANIFEST}); choose an empty folder")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tables = {}
    for name, table in feed.tables.items():
        table = _money_out(name, table)
        if table.num_rows:
            ds.write_dataset(
                table, out / name, format=file_format,
                partitioning=ds.partitioning(
                    pa.schema([("event_date", pa.date32())]), flavor="hive"),
                basename_template="part-{i}." + file_format)
        tables[name] = {"rows": table.num_rows,
                        "description": FEED_TABLES[name],
                        "columns": [[f.name, str(f.type)]
                                    for f in table.schema]}
    manifest = {"layout_version": LAYOUT_VERSION, "format": file_format,
                "shop": shop, "since": feed.since.isoformat(),
                "to": feed.to.isoformat(),
                "days": f"{feed.since + dt.timedelta(days=1)} .. {feed.to}",
                "generator_version": generator_version, "tables": tables}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return {name: t["rows"] for name, t in tables.items()}


def manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        found = json.loads(path.read_text())
    except FileNotFoundError:
        raise FeedError(f"{folder}: no {MANIFEST}: not a feed written by "
                        "datagen export") from None
    except json.JSONDecodeError as error:
        raise FeedError(f"{path}: not valid JSON ({error.msg}, line "
                        f"{error.lineno})") from None
    if found.get("layout_version") != LAYOUT_VERSION:
        raise FeedError(f"{path}: layout_version must be {LAYOUT_VERSION} "
                        f"(got {found.get('layout_version')!r})")
    return found


def read(folder: str | Path) -> tuple[Feed, dict]:
    """The feed in ``folder`` and its manifest."""
    folder = Path(folder)
    found = manifest(folder)
    tables = {}
    for name in FEED_TABLES:
        entry = found["tables"].get(name)
        if entry is None:
            raise FeedError(f"{folder / MANIFEST}: table {name!r} is missing")
        schema = pa.schema([(c, _type(t)) for c, t in entry["columns"]])
        if (folder / name).exists():
            table = ds.dataset(folder / name, format=found["format"],
                               schema=schema, partitioning="hive").to_table()
        else:
            table = schema.empty_table()
        if table.num_rows != entry["rows"]:
            raise FeedError(f"{folder / name}: {table.num_rows} rows, the "
                            f"manifest says {entry['rows']}")
        order = np.argsort(table["event_date"].to_numpy(zero_copy_only=False),
                           kind="stable")
        tables[name] = _money_in(name, table.take(pa.array(order)))
    since = dt.date.fromisoformat(found["since"])
    to = dt.date.fromisoformat(found["to"])
    return Feed(since, to, tables), found


_TYPES = {"int8": pa.int8(), "int16": pa.int16(), "int32": pa.int32(),
          "int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_(),
          "string": pa.string(), "large_string": pa.large_string(),
          "date32[day]": pa.date32(), "timestamp[s]": pa.timestamp("s"),
          "timestamp[us]": pa.timestamp("us"),
          "timestamp[ns]": pa.timestamp("ns"),
          str(money.DECIMAL): money.DECIMAL}


def _type(name: str) -> pa.DataType:
    try:
        return _TYPES[name]
    except KeyError:
        raise FeedError(f"feed column type {name!r} is not one datagen "
                        "writes") from None


def _money_columns(name: str) -> tuple[str, ...]:
    return money.MONEY.get(ROWS_OF.get(name, ""), ())


def _money_out(name: str, table: pa.Table) -> pa.Table:
    for column in _money_columns(name):
        table = table.set_column(table.column_names.index(column), column,
                                 money.cents_to_decimal(table[column]))
    return table


def _money_in(name: str, table: pa.Table) -> pa.Table:
    for column in _money_columns(name):
        cents = pc.cast(pc.multiply(table[column], pa.scalar(
            100, pa.decimal128(3, 0))), pa.int64())
        table = table.set_column(table.column_names.index(column), column,
                                 cents)
    return table
