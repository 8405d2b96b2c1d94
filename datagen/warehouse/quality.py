"""The data-quality gate: run the ``qc_`` checks, keep the results, fail loudly.

Owns the end of every build before the swap. Each check is a view
``qc_<name>`` of ``sql/090_quality_checks.sql`` that holds the rows breaking
its rule (no row: it passes) and whose comment describes it. ``run_checks``
runs them all, writes one row per check to ``quality_check`` (so the book can
show them) and raises ``QualityGateFailed``, naming every failing check and
its first rows, when any check has a violation.

The checks that compare the lines with their orders share one pass over
both fact tables, the table ``quality_order_lines`` (``sql/089``);
``run_checks`` fills it again first, so that every run checks the tables as
they are at that moment (a refresh keeps it up to date instead). The
checks run side by side on the build's ``sessions``.
"""

from __future__ import annotations

import dataclasses
import functools

import psycopg
from psycopg import sql

from ..errors import DatagenError
from . import keys, maintain, schemas, sql_files
from .parallel import SessionPool

INPUTS_FILE = "089_quality_order_lines.sql"
CHECKS_FILE = "090_quality_checks.sql"
#: the facts' keys checked over the whole warehouse (on Citus the keys hold
#: per customer only)
UNIQUE_KEYS_FILE = "091_quality_unique_keys.sql"
#: the customers' history and the orders' status changes
HISTORY_FILE = "092_quality_history.sql"
#: what the checks read (the table of ``INPUTS_FILE``), filled again at the
#: start of every run
CHECK_INPUTS = ("quality_order_lines",)
#: offending rows shown in the message and kept in quality_check
SAMPLE_ROWS = 3


class QualityGateFailed(DatagenError, RuntimeError):
    """A quality check found violations; the message names it and its rows."""

    exit_status = 3

    def __init__(self, schema: str, failed: list[CheckResult], total: int):
        self.schema = schema
        self.failed = failed
        lines = [f"quality gate failed in schema {schema!r}: "
                 f"{len(failed)} of {total} checks found violations "
                 f"({', '.join(r.name for r in failed)})"]
        for result in failed:
            lines.append(f"  check {result.name}: {result.violations:,} "
                         f"violating row(s); rule: {result.description}")
            lines.extend(f"    {row}" for row in result.first_rows)
        super().__init__("\n".join(lines))


@dataclasses.dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    violations: int
    first_rows: list[str]

    @property
    def passed(self) -> bool:
        return self.violations == 0


def create_inputs(conn: psycopg.Connection, schema: str) -> None:
    """Create what the checks read (without data), unless it is there; its
    index is made when it is filled (``maintain.recompute``)."""
    sql_files.set_search_path(conn, schema)
    conn.execute(maintain.create_empty(INPUTS_FILE))


IMPORT_CHECKS_FILE = "104_import_checks.sql"


def create_checks(conn: psycopg.Connection, schema: str,
                  import_schema: str | None = None) -> None:
    """Create the ``qc_`` views and the ``quality_check`` table (and the
    checks' inputs, unless they are there), and list in
    ``quality_foreign_key`` the foreign keys that the key files add, which
    ``qc_orphan_keys`` looks up wherever the database does not enforce
    them. ``import_schema``: an imported warehouse's import schema, whose
    lines the checks of ``sql/104`` account for."""
    create_inputs(conn, schema)
    sql_files.run_sql(conn, schema, CHECKS_FILE)
    sql_files.run_sql(conn, schema, UNIQUE_KEYS_FILE)
    sql_files.run_sql(conn, schema, HISTORY_FILE)
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("insert into {}.quality_foreign_key (key_column, "
                    "table_oid, column_name, referenced_oid, "
                    "referenced_column, row_id_column) values (%s, "
                    "%s::regclass, %s, %s::regclass, %s, %s)").format(
                        sql.Identifier(schema)),
            [(key.key_column,
              sql.Identifier(schema, key.table).as_string(conn),
              key.column,
              sql.Identifier(schema, key.referenced).as_string(conn),
              key.referenced_column, key.row_id_column)
             for key in keys.foreign_keys()])
    if import_schema is not None:  # an imported warehouse's own checks
        conn.execute(sql.SQL("set search_path to {}, {}").format(
            sql.Identifier(schema), sql.Identifier(import_schema)))
        conn.execute(sql_files.sql_file(IMPORT_CHECKS_FILE))


def check_views(conn: psycopg.Connection, schema: str) -> list[tuple[str, str]]:
    """(view, description) of every ``qc_`` view of ``schema``, by name."""
    return conn.execute(r"""
        select c.relname, coalesce(obj_description(c.oid, 'pg_class'), '')
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind = 'v' and c.relname like 'qc\_%%'
        order by c.relname""", [schema]).fetchall()


def run_check(conn: psycopg.Connection, schema: str, view: str,
              description: str, query: str | None = None) -> CheckResult:
    """Count the violations of one check and format its first rows
    (``query``: the check's query to run instead of its view, with the
    search path set to ``schema``)."""
    source = (sql.SQL("({}) as violations").format(sql.SQL(query)) if query
              else sql.Identifier(schema, view))
    cursor = conn.execute(sql.SQL("select * from {} limit 0").format(source))
    columns = [c.name for c in cursor.description]
    order = sql.SQL(", ").join(
        sql.SQL("{} nulls first").format(sql.Identifier(c)) for c in columns)
    rows = conn.execute(
        sql.SQL("select *, count(*) over () from {} order by {} "
                "limit %s").format(source, order),
        [SAMPLE_ROWS]).fetchall()
    violations = rows[0][-1] if rows else 0
    first_rows = [", ".join(f"{c}={v}" for c, v in zip(columns, row[:-1]))
                  for row in rows]
    return CheckResult(view.removeprefix("qc_"), description, violations,
                       first_rows)


def refresh_tasks(schema: str) -> dict:
    """Tasks (for ``SessionPool.run``) that recompute what the checks read from
    the tables as they are now."""
    def task(conn: psycopg.Connection) -> None:
        maintain.recompute(conn, schema, INPUTS_FILE)
        schemas.analyze(conn, schema, CHECK_INPUTS[0])
    return {CHECK_INPUTS[0]: (task, ())}


def run_checks(conn: psycopg.Connection, schema: str,
               sessions: SessionPool | None = None,
               refresh: bool = True,
               changed_only: bool = False) -> list[CheckResult]:
    """Run every check of ``schema`` (side by side on ``sessions`` if given);
    raises ``QualityGateFailed`` if any finds a violation (after writing all
    results to ``quality_check``).

    ``refresh=False``: the inputs were just refreshed (the build refreshes
    them while it makes the views). ``changed_only``: in a refresh, whose
    key tables (``maintain``) name the rows it added or changed, the checks
    that can read only those do (the rest passed the last gate unchanged).
    """
    sessions = sessions or SessionPool.inline(conn)
    if refresh:
        sessions.run(refresh_tasks(schema))
    checks = check_views(conn, schema)
    queries = {}
    if changed_only:
        sql_files.set_search_path(conn, schema)
        queries = maintain.check_queries(
            (CHECKS_FILE, UNIQUE_KEYS_FILE, HISTORY_FILE))
    done = sessions.run({view: (functools.partial(
        run_check, schema=schema, view=view, description=description,
        query=queries.get(view)), ())
        for view, description in checks})
    results = [done[view] for view, _ in checks]
    if not results:
        raise RuntimeError(f"no quality checks (qc_ views) in schema "
                           f"{schema!r}: was {CHECKS_FILE} run?")
    with conn.transaction():
        conn.execute(sql.SQL("delete from {}.quality_check").format(
            sql.Identifier(schema)))
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL("insert into {}.quality_check (check_name, "
                        "description, violations, passed, first_rows) "
                        "values (%s, %s, %s, %s, %s)").format(
                            sql.Identifier(schema)),
                [(r.name, r.description, r.violations, r.passed,
                  "\n".join(r.first_rows)) for r in results])
    failed = [r for r in results if not r.passed]
    if failed:
        raise QualityGateFailed(schema, failed, len(results))
    return results
