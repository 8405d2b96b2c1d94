"""What only the whole of an export can break, checked in staging.

Owns the checks of an import that no single block of a file shows, each a
``SourceError`` in one line naming the file and the line, before the
star is built (so the live warehouse stays as it was): ``check_keys``,
that each file joined to the lines gives each key (an order number, a
product code, a customer id) once and on every row; ``check_judged``,
that the judged lines can make a warehouse: some line imported, no order
of more lines or a larger total than it holds, no more channels than it
numbers, orders that span less than ``MAX_PERIOD_YEARS``. One pass over
each table finds that a file is within the limits, and only a file that
is not is looked at order by order, to name the line.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ..escape import shown, shown_path
from ..ingest.source import SourceError

#: what the warehouse holds: lines of one order (line_number is a
#: smallint), channels (channel_id is one), an order's total (numeric(12,2))
MAX_ORDER_LINES = 2 ** 15 - 1
MAX_CHANNELS = 2 ** 15 - 1
MAX_AMOUNT = 10 ** 10
#: the longest period an import's orders may span: every day of it is a
#: row of dim_date and every month a cohort of the dense retention view
#: (months x months); a longer one is a mistyped year, not a shop's history
MAX_PERIOD_YEARS = 100
#: the key each joined file gives, in words
KEY_WORDS = {"order_number": "order", "sku": "product",
             "customer_code": "customer"}

#: the imported lines with their values (``check_judged``'s queries)
_IMPORTED = sql.SQL("""
    select values.*, lines.quantity as units, lines.unit_price as price
    from source_line_value as values
    inner join source_line as lines
        on values.line_no = lines.line_no
    where lines.outcome = 'imported'
""")


def _search_path(conn: psycopg.Connection, *names: str) -> None:
    conn.execute(sql.SQL("set search_path to {}").format(
        sql.SQL(", ").join(map(sql.Identifier, names))))


def check_keys(conn: psycopg.Connection, import_staging: str, table: str,
               key: str, path) -> None:
    """Each row of a joined file gives its key, and no key twice."""
    _search_path(conn, import_staging)
    where = shown_path(path)
    what = KEY_WORDS[key]
    blank = conn.execute(sql.SQL(
        "select min(line_no) from {} where {} is null").format(
            sql.Identifier(table), sql.Identifier(key))).fetchone()[0]
    if blank is not None:
        raise SourceError(f"{where}: line {blank}: no {key}: every row of "
                          f"this file names its {what}")
    twice = conn.execute(sql.SQL(
        "select {key}, min(line_no), max(line_no), count(*) from {table} "
        "group by {key} having count(*) > 1 order by min(line_no) limit 1"
    ).format(key=sql.Identifier(key), table=sql.Identifier(table))
    ).fetchone()
    if twice:
        raise SourceError(
            f"{where}: line {twice[2]}: {what} {shown(twice[0], 40)} is "
            f"there {twice[3]:,} times (first at line {twice[1]}): this "
            f"file gives each {what} once")


def check_judged(conn: psycopg.Connection, import_staging: str,
                 source) -> None:
    """``SourceError`` in one line when the judged lines cannot make a
    warehouse: none imported, an order of more lines or a larger total
    than it holds, more channels than it numbers, orders that span
    ``MAX_PERIOD_YEARS`` or more."""
    where = shown_path(source.path)
    _search_path(conn, import_staging)
    imported, total, most_lines, amounts = conn.execute(
        "select count(*) filter (where outcome = 'imported'), count(*), "
        "max(line_number), sum(quantity * unit_price) filter (where "
        "outcome = 'imported') from source_line").fetchone()
    if not imported:
        reasons = conn.execute(
            "select case when reason like 'not a product (%' "
            "then 'not a product' when reason like 'repeat of line %' "
            "then 'a repeat' when reason like 'status not listed (%' "
            "then 'status not listed' else reason end as why, count(*) "
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
    if amounts >= MAX_AMOUNT:
        costly = conn.execute(
            "select order_number, sum(quantity * unit_price), min(line_no) "
            "from source_line where outcome = 'imported' "
            "group by order_number having sum(quantity * unit_price) >= %s "
            "order by min(line_no) limit 1", [MAX_AMOUNT]).fetchone()
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
    earliest, latest = conn.execute(
        "select min(order_ts), max(order_ts) from source_line_value"
    ).fetchone()
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
