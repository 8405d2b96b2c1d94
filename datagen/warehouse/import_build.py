"""An imported warehouse: a shop's export, read by ``ingest``, loaded and
judged in SQL, then built like a generated one.

Owns the steps that differ from a generated build (``build.build`` runs
them when it is given a ``Source``): the import schema ``<schema>_import``
(written as ``<schema>_import__new`` and swapped in with the warehouse),
the copy of every mapped line into ``source_line_value``, the judgement of
each line (``sql/101``: ``source_line``), the star built from the lines
that are imported (``sql/102``, ``sql/103``) and ``import_info``. The keys,
views, quality gate and swap are the generated build's own.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import psycopg
from psycopg import sql

from .. import ingest
from ..ingest.source import file_digest
from . import copy_text, schemas, sql_files
from .parallel import SessionPool, Task

TABLES_FILE = "100_import_tables.sql"
LINES_FILE = "101_import_source_line.sql"
UNKNOWNS_FILE = "102_import_unknowns.sql"
STAR_FILE = "103_import_star.sql"
#: memory per sort or hash for the statements of ``sql/103``: with the
#: build's 64MB the lines of a file such as the UCI Online Retail one (400k
#: imported lines) are sorted and kept on disk (about 150MB of temporary
#: files), and each statement reads all of them
STAR_WORK_MEM = "256MB"


@dataclasses.dataclass(frozen=True)
class Source:
    """A file and the mapping that reads it (both checked before any
    database is touched: ``Source.open``)."""
    path: Path
    mapping: ingest.Mapping

    @classmethod
    def open(cls, path: str | Path, mapping: str) -> Source:
        """``MappingError`` / ``SourceError`` in one line when the mapping
        or the file's header cannot be used."""
        loaded = ingest.load(mapping)
        source = cls(Path(path), loaded)
        source.check()
        return source

    def check(self) -> None:
        """Read the file's first block as mapped (``SourceError`` if it
        cannot be), before any database is touched."""
        next(iter(ingest.blocks(self.path, self.mapping)))

    @property
    def label(self) -> str:
        return f"{self.path.name} (mapping {self.mapping.name})"


def _search_path(conn: psycopg.Connection, *names: str) -> None:
    conn.execute(sql.SQL("set search_path to {}").format(
        sql.SQL(", ").join(map(sql.Identifier, names))))


def prepare(conn: psycopg.Connection, staging: str, import_staging: str,
            source: Source) -> None:
    """The import schema's tables and the mapping's rules; the columns a
    source may lack made nullable in the warehouse's staging schema."""
    schemas.drop_schema(conn, import_staging)
    schemas.create_schema(conn, import_staging)
    sql_files.run_sql(conn, import_staging, TABLES_FILE)
    m = source.mapping
    conn.execute(
        "insert into import_setting (missing_customer, duplicates, "
        "zero_price, default_channel, channel_group, default_category) "
        "values (%s, %s, %s, %s, %s, %s)",
        [m.missing_customer, m.duplicates, m.zero_price,
         m.defaults["channel"], m.defaults["channel_group"],
         m.defaults["category"]])
    sql_files.run_sql(conn, staging, UNKNOWNS_FILE)


def copy_lines(conn: psycopg.Connection, import_staging: str,
               source: Source) -> int:
    """COPY every mapped line of the source into ``source_line_value``,
    block by block; returns the lines."""
    lines = 0
    for block in ingest.blocks(source.path, source.mapping):
        copy_text.copy_csv(conn, import_staging, "source_line_value",
                           block.column_names,
                           copy_text.csv_bytes("source_line_value", block))
        lines += block.num_rows
    schemas.analyze(conn, import_staging, "source_line_value")
    return lines


def judge_lines(conn: psycopg.Connection, import_staging: str) -> None:
    """``source_line``: each line imported or rejected, and why."""
    sql_files.run_sql(conn, import_staging, LINES_FILE)
    schemas.analyze(conn, import_staging, "source_line")


def star_tasks(staging: str, import_staging: str) -> dict[str, Task]:
    """The statements of ``sql/103`` as tasks (for ``SessionPool.run``):
    each waits for the earlier ones that write a table it reads or writes,
    or read a table it writes (the dimensions of the lines side by side,
    then the two facts)."""
    tasks: dict[str, Task] = {}
    earlier: dict[str, tuple[set[str], set[str]]] = {}
    for index, statement in enumerate(sql_files.statements(
            sql_files.sql_file(STAR_FILE)), start=1):
        writes, reads = sql_files.statement_tables(statement)
        needs = tuple(name for name, (wrote, read) in earlier.items()
                      if wrote & (reads | writes) or writes & read)
        name = f"{STAR_FILE} {index}: {', '.join(sorted(writes))}"
        tasks[name] = (functools.partial(
            _run_in, statement=statement,
            search_path=(staging, import_staging)), needs)
        earlier[name] = (writes, reads)
    return tasks


def _run_in(session: psycopg.Connection, statement: str,
            search_path: tuple[str, ...]) -> None:
    """``statement`` with ``search_path`` and ``STAR_WORK_MEM`` for it
    alone."""
    with session.transaction():
        session.execute(sql.SQL("set local search_path to {}").format(
            sql.SQL(", ").join(map(sql.Identifier, search_path))))
        session.execute("select set_config('work_mem', %s, true)",
                        [STAR_WORK_MEM])
        session.execute(statement)


def build_star(conn: psycopg.Connection, staging: str, import_staging: str,
               source: Source, lines: int,
               sessions: SessionPool | None = None) -> dict[str, int]:
    """The star from the imported lines (its independent statements side
    by side on ``sessions``, if given), ``import_info`` and ``build_info``;
    returns the rows of each table."""
    (sessions or SessionPool.inline(conn)).run(
        star_tasks(staging, import_staging))
    _search_path(conn, staging, import_staging)
    m = source.mapping
    conn.execute(
        "insert into import_info (source_file, source_sha256, source_lines, "
        "mapping, mapping_file, currency, fields, rules) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s)",
        [source.path.name, file_digest(source.path), lines, m.name,
         m.path.name, m.currency, m.fields_text(), m.rules_text()])
    rows = {}
    for table in ("dim_date", "dim_channel", "dim_customer", "dim_product",
                  "fact_order", "fact_order_item"):
        rows[table] = conn.execute(sql.SQL("select count(*) from {}").format(
            sql.Identifier(staging, table))).fetchone()[0]
    return rows


def data_period(conn: psycopg.Connection, staging: str):
    """(first, last) day of the imported orders."""
    return conn.execute(sql.SQL(
        "select min(full_date), max(full_date) from {}").format(
            sql.Identifier(staging, "dim_date"))).fetchone()
