"""An imported warehouse: a shop's export, read by ``ingest``, loaded and
judged in SQL, then built like a generated one.

Owns the steps that differ from a generated build (``build.build`` runs
them when it is given a ``Source``): the import schema ``<schema>_import``
(written as ``<schema>_import__new`` and swapped in with the warehouse),
the copy of every mapped line of every file of the export (the lines
file, and its orders, products and customers files) block by block, the
join of those files (``sql/105``, after ``import_checks.check_keys``: each
key once per file), the judgement and amounts of each line (``sql/101``:
``source_line``), the limits of the warehouse that only the whole file
can break (``import_checks.check_judged``), the star built from the lines
that are imported (``sql/102``, ``sql/103``), ``import_info``, and what
the data turned out to know (``Source.known``: the mapping's word, and
whether its times have a time of day). The keys, views, quality gate and
swap are the generated build's own. Everything here writes into the
staging schemas only: a file that breaks a rule half way leaves the live
warehouse as it was.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psycopg
from psycopg import sql

from .. import ingest
from ..ingest.source import file_digest
from ..ingest.spec import PARTS, Part
from . import copy_text, maintain, schemas, sql_files
from .import_checks import check_judged, check_keys
from .parallel import SessionPool, Task, read_ahead

TABLES_FILE = "100_import_tables.sql"
LINES_FILE = "101_import_source_line.sql"
UNKNOWNS_FILE = "102_import_unknowns.sql"
STAR_FILE = "103_import_star.sql"
JOIN_FILE = "105_import_join.sql"
#: where each file of an export is copied
PART_TABLES = {"orders": "source_order_value",
               "products": "source_product_value",
               "customers": "source_customer_value"}
#: memory per sort or hash for the statements of ``sql/103``: with the
#: build's 64MB the lines of a file such as the UCI Online Retail one (400k
#: imported lines) are sorted and kept on disk (about 150MB of temporary
#: files), and each statement reads all of them
STAR_WORK_MEM = "256MB"


@dataclasses.dataclass(frozen=True)
class Source:
    """A file and the mapping that reads it, with the other files of the
    export it names (all checked before any database is touched:
    ``Source.open``); ``seen`` is what the import found out (its times)."""
    path: Path
    mapping: ingest.Mapping
    seen: dict = dataclasses.field(default_factory=dict, compare=False)
    #: the lines file's first block as ``check`` read it, and the rest of
    #: its reader, until ``blocks`` hands them on (once)
    _opened: dict = dataclasses.field(default_factory=dict, compare=False,
                                      repr=False)

    @classmethod
    def open(cls, path: str | Path, mapping: str) -> Source:
        """``MappingError`` / ``SourceError`` in one line when the mapping
        or a file's header or first block cannot be used."""
        loaded = ingest.load(mapping)
        source = cls(Path(path), loaded)
        source.check()
        return source

    def check(self) -> None:
        """Read each file's first block as mapped (``SourceError`` if it
        cannot be), before any database is touched; the lines file's block
        and reader are kept for its copy (``blocks``), which comes first
        (the other files' blocks, kept until theirs, raised the peak of
        the bench's export of four files from 434 to 520 MiB)."""
        for part in self.mapping.parts:
            reader = ingest.blocks(part.where(self.path), self.mapping, part)
            first = next(reader)
            if part is self.mapping.lines:
                self._opened[part.name] = (first, reader)
            else:
                reader.close()

    def blocks(self, part: Part | None = None) -> Iterator:
        """The mapped blocks of ``part``'s file (the lines file by default):
        for the lines file the first time, those ``check`` began to read
        (reading the UCI file's first block again took 0.3 s); else read
        anew."""
        part = part or self.mapping.lines
        opened = self._opened.pop(part.name, None)
        if opened is None:
            return ingest.blocks(part.where(self.path), self.mapping, part)
        first, rest = opened
        return itertools.chain((first,), rest)

    @property
    def label(self) -> str:
        joined = [p.where(self.path).name for p in
                  self.mapping.joined.values()]
        return f"{self.path.name}" + (
            f" with {', '.join(joined)}" if joined else "") + (
            f" (mapping {self.mapping.name})")

    def known(self) -> dict[str, tuple[bool, str]]:
        """What the data knows (``data_known``): the mapping's word, and
        no time of day where every imported time is midnight."""
        known = dict(self.mapping.known())
        if known["times"][0] and self.seen.get("times") is False:
            known["times"] = (False, "not in the source: every time is "
                              "00:00, dates without a time of day")
        return known


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
    status = m.status
    conn.execute(
        "insert into import_setting (missing_customer, duplicates, "
        "zero_price, default_channel, channel_group, default_category, "
        "prices, order_fields, status_other) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [m.missing_customer, m.duplicates, m.zero_price,
         m.defaults["channel"], m.defaults["channel_group"],
         m.defaults["category"], m.prices(), m.order_fields,
         None if status is None else
         "reject" if status.completed else "completed"])
    if status is not None:
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into import_status (value, status) values (%s, %s) "
                "on conflict do nothing", status.values())
    sql_files.run_sql(conn, staging, UNKNOWNS_FILE)


def _joins(source: Source) -> bool:
    """Whether the lines are joined or filled (``sql/105``) after their
    copy, or copied as they are into ``source_line_value``."""
    return bool(source.mapping.joined) or \
        source.mapping.order_fields == "first_line"


def _copy(conn: psycopg.Connection, import_staging: str, table: str,
          blocks, sessions: SessionPool | None = None,
          analyze: bool = True) -> int:
    """COPY ``blocks`` into ``table``: each block read and encoded in a
    thread of its own (``read_ahead``) while the server copies those
    before it, on every session of ``sessions`` at once (``conn`` alone
    without them); then analyzed (``analyze``: the judge's plan needs no
    statistics of the lines, the joins of ``sql/105`` do). Returns the
    rows. On the UCI file the step took 2.2-2.7 s copying each block after
    reading it; read ahead into one session 1.6-2.7 s, and into two
    1.3-1.9 s (four runs of each, in turn on one server)."""
    encoded = read_ahead((block.column_names, block.num_rows,
                          copy_text.csv_bytes(table, block))
                         for block in blocks)
    taking = threading.Lock()

    def copy(session: psycopg.Connection) -> int:
        rows = 0
        while True:
            with taking:    # one generator, read by each session in turn
                block = next(encoded, None)
            if block is None:
                return rows
            columns, lines, data = block
            copy_text.copy_csv(session, import_staging, table, columns, data)
            rows += lines

    pool = sessions or SessionPool.inline(conn)
    try:
        rows = sum(pool.run({f"copy {table} {session + 1}": (copy, ())
                             for session in range(pool.sessions)}).values())
    finally:    # a failed COPY stops the reading thread at once
        encoded.close()
    if analyze:
        schemas.analyze(conn, import_staging, table)
    return rows


def copy_lines(conn: psycopg.Connection, import_staging: str,
               source: Source, sessions: SessionPool | None = None) -> int:
    """COPY every mapped line of the source into ``source_line_value``,
    block by block (the lines file, and each file joined to it into its
    own table, then joined: ``sql/105``), on ``sessions`` at once;
    returns the lines."""
    m = source.mapping
    joins = _joins(source)
    lines = _copy(conn, import_staging,
                  "source_line_read" if joins else "source_line_value",
                  source.blocks(), sessions, analyze=joins)
    if not joins:
        return lines
    for name, part in m.joined.items():
        path = part.where(source.path)
        _copy(conn, import_staging, PART_TABLES[name],
              source.blocks(part), sessions)
        check_keys(conn, import_staging, PART_TABLES[name],
                   PARTS[name][0], path)
    sql_files.run_sql(conn, import_staging, JOIN_FILE)
    conn.execute(sql.SQL("drop table {}").format(
        sql.Identifier(import_staging, "source_line_read")))
    return lines


class LinesStatements(NamedTuple):
    """The statements of ``sql/101``, in the file's order: the table's
    query, the checks made while it is empty, its key's index (made beside
    the star) and the key made of that index."""
    create: str
    checks: tuple[str, ...]
    index: str
    key: str


@functools.cache
def lines_statements() -> LinesStatements:
    """``sql/101`` parsed once per process (the judge, and the star twice,
    read its statements)."""
    create, *checks, index, key = sql_files.statements(
        sql_files.sql_file(LINES_FILE))
    return LinesStatements(create, tuple(checks), index, key)


def judge_lines(conn: psycopg.Connection, import_staging: str,
                sessions: SessionPool | None = None) -> None:
    """``source_line``: each line imported or rejected, and why. Its
    query runs in parts, one per session of ``sessions`` (one in ``conn``
    without them), each on a part of the orders (``sql/101``: every rule
    reads the lines of one order only): on the UCI file 2.3 s in one
    session, 1.45 s in two."""
    pool = sessions or SessionPool.inline(conn)
    create, checks, _, _ = lines_statements()
    sql_files.set_search_path(conn, import_staging)
    conn.execute(maintain.as_empty(create))
    # written once, like the lines (sql/100)
    conn.execute("alter table source_line set (autovacuum_enabled = false)")
    for statement in checks:
        conn.execute(statement)
    pool.run({f"judge part {part + 1} of {pool.sessions}": (
        functools.partial(_run_in, statement=maintain.as_insert(create),
                          search_path=(import_staging,),
                          part=(pool.sessions, part)), ())
        for part in range(pool.sessions)})


def beside_star(import_staging: str) -> dict[str, Task]:
    """The import schema's lines analyzed, as tasks that run beside the
    star's first statement (``SessionPool.run``), which keeps one session
    alone busy for 1.5 s on the UCI file: the lines as judged, for the
    quality checks and the data import chapter, and as read, for the
    chapter (the build's own plans need none of their statistics).
    autovacuum stays off the import's tables: written once, they have
    nothing to vacuum, and when it was let back on at the build's end its
    vacuum of them, a second later, held up the next import's drop of them
    for 1-2 s."""
    index = lines_statements().index
    return {
        "source_line's key index": (functools.partial(
            _run_in, statement=index, search_path=(import_staging,)), ()),
        **{f"analyze {import_staging}.{table}": (functools.partial(
            schemas.analyze, schema=import_staging, table=table), ())
           for table in ("source_line", "source_line_value")}}


#: what a statement that runs in parts reads, the part's two numbers
#: (``sql/101``: ``current_setting``)
PARTS_SETTING, PART_SETTING = "datagen.parts", "datagen.part"
#: tables a statement writes and later ones read that are not analyzed:
#: analyzing the star's lines took 0.3 s and changed no plan
UNANALYZED = ("import_line",)


def star_tasks(staging: str, import_staging: str) -> dict[str, Task]:
    """The statements of ``sql/103`` as tasks (for ``SessionPool.run``):
    each waits for the earlier ones that write a table it reads or writes,
    or read a table it writes (the dimensions of the lines side by side,
    then the two facts)."""
    statements = sql_files.statements(sql_files.sql_file(STAR_FILE))
    touched = [sql_files.statement_tables(statement)
               for statement in statements]
    tasks: dict[str, Task] = {}
    earlier: dict[str, tuple[set[str], set[str]]] = {}
    for index, (statement, (writes, reads)) in enumerate(
            zip(statements, touched), start=1):
        needs = tuple(name for name, (wrote, read) in earlier.items()
                      if wrote & (reads | writes) or writes & read)
        name = f"{STAR_FILE} {index}: {', '.join(sorted(writes))}"
        read_later = set().union(*(read for _, read in touched[index:]))
        tasks[name] = (functools.partial(
            _run_in, statement=statement,
            search_path=(staging, import_staging),
            analyze=sorted(writes & read_later - set(UNANALYZED))), needs)
        earlier[name] = (writes, reads)
    return tasks


def _run_in(session: psycopg.Connection, statement: str,
            search_path: tuple[str, ...], analyze: list[str] = (),
            part: tuple[int, int] | None = None) -> None:
    """``statement`` with ``search_path`` and ``STAR_WORK_MEM`` for it
    alone, for part ``part`` = (parts, part) of its rows if given; then
    the tables it wrote that a later statement reads (``analyze``) are
    analyzed, so that those are planned with their statistics. Without
    them the lines of the UCI file met its customers and products in two
    merge joins, each sorting the 399,656 lines: fact_order_item took
    1.7 s, and 0.8 s with them."""
    with session.transaction():
        session.execute(sql.SQL("set local search_path to {}").format(
            sql.SQL(", ").join(map(sql.Identifier, search_path))))
        session.execute("select set_config('work_mem', %s, true)",
                        [STAR_WORK_MEM])
        if part is not None:
            session.execute(
                "select set_config(%s, %s, true), set_config(%s, %s, true)",
                [PARTS_SETTING, str(part[0]), PART_SETTING, str(part[1])])
        session.execute(statement)
    # after the commit: on a Citus cluster a distributed table's analyze
    # cannot follow its insert in one transaction (local execution)
    for table in analyze:
        session.execute(sql.SQL("analyze {}").format(
            sql.Identifier(*search_path[:1], table)))


def build_star(conn: psycopg.Connection, staging: str, import_staging: str,
               source: Source, lines: int,
               sessions: SessionPool | None = None) -> dict[str, int]:
    """The star from the imported lines (its independent statements side
    by side on ``sessions``, if given), ``import_info`` and ``build_info``;
    returns the rows of each table."""
    check_judged(conn, import_staging, source)
    (sessions or SessionPool.inline(conn)).run(
        {**star_tasks(staging, import_staging), **beside_star(import_staging)})
    sql_files.set_search_path(conn, import_staging)
    # the index made beside the star: no scan, no wait
    conn.execute(lines_statements().key)
    _search_path(conn, staging, import_staging)
    m = source.mapping
    source.seen["times"] = conn.execute(
        "select coalesce(bool_or(order_ts::time <> '00:00'), false) "
        "from fact_order").fetchone()[0]
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
