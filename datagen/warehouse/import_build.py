"""An imported warehouse: a shop's export, read by ``ingest``, loaded and
judged in SQL, then built like a generated one.

Owns the steps that differ from a generated build (``build.build`` runs
them when it is given a ``Source``): the import schema ``<schema>_import``
(written as ``<schema>_import__new`` and swapped in with the warehouse),
the copy of every mapped line into ``source_line_value``, the judgement of
each line (``sql/101``: ``source_line``), the limits of the warehouse that
only the whole file can break (``check_judged``: some line imported, an
order's lines, its total, the channels, the calendar's years), the star
built from the lines that are imported (``sql/102``, ``sql/103``) and
``import_info``. The keys, views, quality gate and swap are the generated
build's own. Everything here writes into the staging schemas only: a file
that breaks a rule half way leaves the live warehouse as it was.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import psycopg
from psycopg import sql

from .. import ingest
from ..escape import shown, shown_path
from ..ingest.source import SourceError, file_digest
from . import copy_text, schemas, sql_files
from .parallel import SessionPool, Task

TABLES_FILE = "100_import_tables.sql"
LINES_FILE = "101_import_source_line.sql"
UNKNOWNS_FILE = "102_import_unknowns.sql"
STAR_FILE = "103_import_star.sql"
#: what the warehouse holds: lines of one order (line_number is a
#: smallint), channels (channel_id is one), an order's total (numeric(12,2))
MAX_ORDER_LINES = 2 ** 15 - 1
MAX_CHANNELS = 2 ** 15 - 1
MAX_AMOUNT = 10 ** 10
#: the longest period an import's orders may span: every day of it is a
#: row of dim_date and every month a cohort of the dense retention view
#: (months x months); a longer one is a mistyped year, not a shop's history
MAX_PERIOD_YEARS = 100
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


#: the imported lines with their values (``check_judged``'s queries)
_IMPORTED = sql.SQL("""
    select values.*
    from source_line_value as values
    inner join source_line as lines
        on values.line_no = lines.line_no
    where lines.outcome = 'imported'
""")


def check_judged(conn: psycopg.Connection, import_staging: str,
                 source: Source) -> None:
    """``SourceError`` in one line when the judged lines cannot make a
    warehouse: none imported, an order of more lines or a larger total
    than it holds, more channels than it numbers, orders that span
    ``MAX_PERIOD_YEARS`` or more. Runs before the star, in staging; one
    pass over each table finds that a file is within the limits (the sum
    of every line's amount bounds every order's total, the first and last
    line's time bound the orders'), and only a file that is not is looked
    at order by order, to name the line."""
    where = shown_path(source.path)
    _search_path(conn, import_staging)
    imported, total, most_lines = conn.execute(
        "select count(*) filter (where outcome = 'imported'), count(*), "
        "max(line_number) from source_line").fetchone()
    if not imported:
        reasons = conn.execute(
            "select case when reason like 'not a product (%' "
            "then 'not a product' when reason like 'repeat of line %' "
            "then 'a repeat' else reason end as why, count(*) "
            "from source_line group by why order by count(*) desc, why "
            "limit 3").fetchall()
        raise SourceError(
            f"{where}: no line can be imported: all {total:,} are rejected "
            "(" + ", ".join(f"{why}: {count:,}" for why, count in reasons)
            + "): see the mapping's [rules] and fields")
    if most_lines > MAX_ORDER_LINES:
        number, lines, first = conn.execute(
            "select order_number, count(*), min(line_no) from source_line "
            "where outcome = 'imported' group by order_number "
            "having count(*) > %s order by min(line_no) limit 1",
            [MAX_ORDER_LINES]).fetchone()
        raise SourceError(
            f"{where}: line {first}: order {shown(number, 40)} has "
            f"{lines:,} lines, more than the {MAX_ORDER_LINES:,} an order "
            "of the warehouse holds (is fields.order_number the right "
            "column?)")
    amounts, earliest, latest = conn.execute(
        "select sum(abs(quantity) * abs(unit_price)), min(order_ts), "
        "max(order_ts) from source_line_value").fetchone()
    if amounts >= MAX_AMOUNT:
        costly = conn.execute(sql.SQL(
            "select order_number, sum(abs(quantity) * round(unit_price, 2)),"
            " min(line_no) from ({}) as imported "
            "group by order_number having sum(abs(quantity) * "
            "round(unit_price, 2)) >= %s order by min(line_no) limit 1"
        ).format(_IMPORTED), [MAX_AMOUNT]).fetchone()
        if costly:
            raise SourceError(
                f"{where}: line {costly[2]}: order {shown(costly[0], 40)} "
                f"totals {costly[1]:,.2f}, more than an amount the "
                f"warehouse holds (less than {MAX_AMOUNT:,})")
    if "channel" in source.mapping.fields:
        channels = conn.execute(sql.SQL(
            "select count(distinct coalesce(imported.channel, "
            "settings.default_channel)) from ({}) as imported "
            "cross join import_setting as settings").format(_IMPORTED)
        ).fetchone()[0]
        if channels > MAX_CHANNELS:
            raise SourceError(
                f"{where}: the lines name {channels:,} channels, more than "
                f"the {MAX_CHANNELS:,} the warehouse numbers (is "
                "fields.channel the right column?)")
    if _years(earliest, latest) >= MAX_PERIOD_YEARS:
        first_line, first_day = conn.execute(sql.SQL(
            "select line_no, order_ts::date from ({}) as imported "
            "order by order_ts, line_no limit 1").format(_IMPORTED)
        ).fetchone()
        last_line, last_day = conn.execute(sql.SQL(
            "select line_no, order_ts::date from ({}) as imported "
            "order by order_ts desc, line_no limit 1").format(_IMPORTED)
        ).fetchone()
        years = _years(first_day, last_day)
        if years >= MAX_PERIOD_YEARS:
            raise SourceError(
                f"{where}: the orders span {first_day} (line {first_line}) "
                f"to {last_day} (line {last_line}), {years:,} years: more "
                f"than the {MAX_PERIOD_YEARS} an import may span (is a year "
                "mistyped?)")


def _years(first, last) -> int:
    """Whole years from ``first`` to ``last`` (dates or times)."""
    return last.year - first.year - (
        (last.month, last.day) < (first.month, first.day))


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
    check_judged(conn, import_staging, source)
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
