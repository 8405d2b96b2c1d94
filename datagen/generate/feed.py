"""The feed on disk: what ``datagen export`` writes and ``datagen refresh
--feed`` reads, for other pipelines (dbt, Airflow) to consume.

Owns the layout (README, "Time moves"): a folder with ``feed.json`` (the
shop, the days covered, each table's columns and rows) and one folder per
table of ``changes.FEED_TABLES``, partitioned by day the Hive way
(``orders/event_date=2024-06-01/part-0.parquet``), in Parquet or CSV,
written and read with pyarrow's datasets. Money is written as
``decimal(12,2)``; inside the generator it is integer cents.

A feed is written only into a folder that is absent, empty, or holds only
a feed written here (``feed.json`` and the files it names, ``files``):
that feed's files are replaced, and nothing else is ever removed
(``check_out``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ..errors import DatagenError
from ..escape import shown, shown_path
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
    """Write ``feed`` into the folder ``out`` (``check_out``: a feed it
    holds is replaced); returns the rows of each table."""
    out = check_out(out)
    try:
        _remove_feed(out)
        out.mkdir(parents=True, exist_ok=True)
        tables = {}
        for name, table in feed.tables.items():
            table = _money_out(name, table)
            if table.num_rows:
                ds.write_dataset(
                    table, out / name, format=file_format,
                    partitioning=ds.partitioning(
                        pa.schema([("event_date", pa.date32())]),
                        flavor="hive"),
                    basename_template="part-{i}." + file_format)
            tables[name] = {"rows": table.num_rows,
                            "description": FEED_TABLES[name],
                            "columns": [[f.name, str(f.type)]
                                        for f in table.schema]}
        manifest = {"layout_version": LAYOUT_VERSION, "format": file_format,
                    "shop": shop, "since": feed.since.isoformat(),
                    "to": feed.to.isoformat(),
                    "days": f"{feed.since + dt.timedelta(days=1)} .. "
                            f"{feed.to}",
                    "generator_version": generator_version, "tables": tables,
                    "files": sorted(_entries(out)[0])}
        (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    except OSError as error:
        raise FeedError(f"--out {shown_path(out)}: the feed cannot be "
                        f"written there ({error.strerror or error})") from None
    return {name: t["rows"] for name, t in tables.items()}


def check_out(out: str | Path) -> Path:
    """``out`` as a feed's folder, or a one-line ``FeedError``: it must be
    absent (its parent a folder that can be written), empty, or hold only
    a feed written here (``feed.json`` and the files it names). Nothing is
    written or removed."""
    out = Path(out)
    if not out.exists():
        parent = out.parent
        while not parent.exists() and not parent.is_symlink() \
                and parent != parent.parent:
            parent = parent.parent
        if out.is_symlink() or not parent.is_dir() \
                or not os.access(parent, os.W_OK | os.X_OK):
            raise FeedError(f"--out {shown_path(out)}: no folder can be "
                            f"made there ({shown_path(parent)} is not a "
                            "folder this user can write)")
        return out
    if not out.is_dir():
        raise FeedError(f"--out {shown_path(out)}: not a folder (a feed is "
                        "a folder of files: give a new or empty folder)")
    files, others = _entries(out)
    ours = _feed_files(out)
    others += sorted(files - ours) if ours is not None else sorted(files)
    if others:
        raise FeedError(
            f"--out {shown_path(out)}: the folder holds what is not a feed "
            f"written by datagen export (such as {shown(others[0])}), and "
            "nothing else is ever removed: give a new or empty folder")
    return out


def _entries(folder: Path) -> tuple[set[str], list[str]]:
    """The files under ``folder`` (their paths in it, ``/``-separated), and
    what is no plain file or folder (a link, a socket): never a feed's."""
    files, others = set(), []
    for top, dirs, names in os.walk(folder):
        here = Path(top)
        for name in [*dirs, *names]:
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                others.append(relative)
            elif path.is_file():
                files.add(relative)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return files, others


def _feed_files(folder: Path) -> set[str] | None:
    """The files of the feed in ``folder``, ``feed.json`` with them: those
    its manifest names (one written before it named them: its tables'
    day files), or None when it holds no feed written here."""
    try:
        found = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("layout_version") \
            != LAYOUT_VERSION or not isinstance(found.get("tables"), dict):
        return None
    named = found.get("files")
    if isinstance(named, list) and all(isinstance(f, str) for f in named):
        return {MANIFEST, *named}
    day_file = re.compile(
        r"(?P<table>[a-z_]+)/event_date=\d{4}-\d{2}-\d{2}/part-\d+\."
        + re.escape(str(found.get("format"))))
    files, _ = _entries(folder)
    return {MANIFEST, *(f for f in files if (m := day_file.fullmatch(f))
                        and m["table"] in found["tables"])}


def _remove_feed(out: Path) -> None:
    """Remove the feed ``check_out`` found in ``out``: its files (those of
    the folder that its manifest names), then the folders they leave
    empty; nothing else."""
    if not out.is_dir():
        return
    files, _ = _entries(out)
    # only files found in the folder: a name in feed.json is no path
    ours = (_feed_files(out) or set()) & files
    folders = set()
    for relative in sorted(ours - {MANIFEST}):
        path = out / relative
        path.unlink(missing_ok=True)
        folders.update(p for p in path.relative_to(out).parents
                       if p != Path("."))
    (out / MANIFEST).unlink(missing_ok=True)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            (out / folder).rmdir()
        except OSError:
            pass  # not empty: something of the user's is in it


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
