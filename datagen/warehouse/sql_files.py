"""The files of ``sql/``: running one, and what each one reads and alters.

Owns the SQL text and where it is: ``datagen/sql`` inside an installed
package (the wheel ships the repository's ``sql/`` there), else the clone's
``sql/`` (``sql_dir``). ``run_sql`` runs a file with a schema as the search
path. What a file touches is read with sqlglot, so that comments, string
literals, ``only`` and ``if exists`` cannot mislead it: the key files'
statements (``alter table``, ``create index``, ``references``) through
sqlglot's PostgreSQL tokenizer, since its parser does not know ``not
valid`` or ``validate constraint``; the views' ``from`` and ``join``, and
what one statement writes and reads, through its parser (every table a
query reads, less its own CTEs).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from importlib import resources
from importlib.resources.abc import Traversable

import psycopg
from psycopg import sql
from sqlglot import exp, parse, parse_one
from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import Token, TokenType

from ..server import PROJECT_ROOT

#: sqlglot logs each statement its parser hands to its fallback (``not
#: valid``, ``create materialized view if not exists``): not an error here
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def sql_dir() -> Traversable:
    """The folder of the SQL files: ``datagen/sql`` of an installed
    package, else the source tree's ``sql/``."""
    shipped = resources.files("datagen") / "sql"
    return shipped if shipped.is_dir() else PROJECT_ROOT / "sql"


SQL_DIR = sql_dir()


def sql_file(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def for_server(name: str, distributed: bool) -> str:
    """The file to run for ``name``: on a Citus cluster (``distributed``)
    its variant in ``sql/citus/`` where there is one, else ``name``."""
    variant = f"citus/{name}"
    return variant if distributed and (SQL_DIR / "citus" / name).is_file() \
        else name


def set_search_path(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("set search_path to {}").format(
        sql.Identifier(schema)))


def statements(text: str) -> list[str]:
    """The statements of ``text``, each without its semicolon, split where
    sqlglot's PostgreSQL tokenizer finds one (so not inside a comment, a
    string or a ``$$`` body); a part with no token (comments only) is left
    out."""
    found, start, seen = [], 0, False
    for token in Postgres().tokenize(text):
        if token.token_type == TokenType.SEMICOLON:
            if seen:
                found.append(text[start:token.start].strip())
            start, seen = token.end + 1, False
        else:
            seen = True
    if seen:
        found.append(text[start:].strip())
    return found


def run_sql(conn: psycopg.Connection, schema: str, name: str) -> None:
    """Run one file of ``sql/`` with ``schema`` as the search path, one
    statement at a time (Citus passes a statement on to its workers, and a
    worker refuses several in one)."""
    set_search_path(conn, schema)
    for statement in statements(sql_file(name)):
        conn.execute(statement)


def statement_tables(statement: str) -> tuple[set[str], set[str]]:
    """(tables the statement writes, tables it reads) by sqlglot's parser:
    the table an ``insert`` or ``create`` writes, every table a ``drop``
    names; its own CTEs left out."""
    tree = parse_one(statement, read="postgres")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables = {table.name for table in tree.find_all(exp.Table)
              if table.name} - ctes
    if isinstance(tree, exp.Drop):
        return tables, set()
    target = tree.this.this if isinstance(tree.this, exp.Schema) \
        else tree.this
    writes = {target.name} if isinstance(tree, (exp.Insert, exp.Create)) \
        and isinstance(target, exp.Table) else set()
    return writes, tables - writes


@functools.cache
def _tokens(name: str) -> tuple[Token, ...]:
    return tuple(Postgres().tokenize(sql_file(name)))


def _name_after(tokens, index: int) -> tuple[str | None, int]:
    """The relation named at ``index``, past ``only`` / ``if exists``."""
    while index < len(tokens) and (
            tokens[index].token_type == TokenType.ONLY
            or tokens[index].text.lower() in ("if", "exists")):
        index += 1
    if index >= len(tokens):
        return None, index
    return tokens[index].text.lower(), index + 1


def touches(name: str) -> tuple[set[str], set[str]]:
    """(tables the file alters or indexes, tables it references)."""
    tokens, alters, references = _tokens(name), set(), set()
    for i, token in enumerate(tokens):
        kind = token.token_type
        if kind == TokenType.ALTER and i + 1 < len(tokens) \
                and tokens[i + 1].token_type == TokenType.TABLE:
            table, _ = _name_after(tokens, i + 2)
            alters.add(table)
        elif kind == TokenType.INDEX and i and \
                tokens[i - 1].token_type in (TokenType.CREATE,
                                             TokenType.UNIQUE):
            on = next(j for j in range(i + 1, len(tokens))
                      if tokens[j].token_type == TokenType.ON)
            table, _ = _name_after(tokens, on + 1)
            alters.add(table)
        elif kind == TokenType.REFERENCES:
            table, _ = _name_after(tokens, i + 1)
            references.add(table)
    alters.discard(None)
    references.discard(None)
    return alters, references


@functools.cache
def reads(name: str) -> frozenset[str]:
    """Every table or view that the queries of file ``name`` read (its own
    CTEs left out), by sqlglot's parser (once per file and process: the
    parse takes about 10 ms a file, and a build asks twice for each
    view)."""
    found: set[str] = set()
    for statement in parse(sql_file(name), read="postgres"):
        if statement is None:
            continue
        ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
        created = (statement.this.name if isinstance(statement, exp.Create)
                   and isinstance(statement.this, exp.Table) else None)
        found |= {table.name for table in statement.find_all(exp.Table)
                  if table.name not in ctes and table.name != created}
    return frozenset(found)


@dataclasses.dataclass(frozen=True)
class ForeignKey:
    """``table.column`` references ``referenced.referenced_column`` (the
    first columns of a composite key); a row
    of ``table`` is named by ``row_id_column`` (its key's first column)."""
    table: str
    column: str
    referenced: str
    referenced_column: str
    row_id_column: str

    @property
    def key_column(self) -> str:
        return f"{self.table}.{self.column}"


def _columns(tokens, index: int) -> tuple[list[str], int]:
    """The names of ``( a, b )`` starting at ``index``."""
    names, index = [], index + 1
    while tokens[index].token_type != TokenType.R_PAREN:
        if tokens[index].token_type != TokenType.COMMA:
            names.append(tokens[index].text.lower())
        index += 1
    return names, index + 1


def foreign_keys(files: tuple[str, ...]) -> list[ForeignKey]:
    """The foreign keys that ``files`` add, in file order, each by its first
    column and the column that references (the referenced table's primary
    key when the file names none): a composite key such as a line's
    ``(order_id, customer_id)`` is looked up by ``order_id``."""
    primary: dict[str, list[str]] = {}
    found: list[tuple[str, str, str, str | None]] = []
    for name in files:
        tokens, table = _tokens(name), None
        for i, token in enumerate(tokens):
            kind = token.token_type
            if kind == TokenType.ALTER and tokens[i + 1].token_type == \
                    TokenType.TABLE:
                table, _ = _name_after(tokens, i + 2)
            elif kind == TokenType.PRIMARY_KEY and table is not None:
                primary[table], _ = _columns(tokens, i + 1)
            elif kind == TokenType.FOREIGN_KEY and table is not None:
                columns, after = _columns(tokens, i + 1)
                referenced, after = _name_after(tokens, after + 1)
                target = None
                if after < len(tokens) and \
                        tokens[after].token_type == TokenType.L_PAREN:
                    target = _columns(tokens, after)[0][0]
                found.append((table, columns[0], referenced, target))
    return [ForeignKey(table, column, referenced,
                       target or primary[referenced][0], primary[table][0])
            for table, column, referenced, target in found]
