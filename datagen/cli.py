"""Command line: ``python -m datagen
build|import|refresh|export|book|dsn|server|cluster|bench``.

Owns argument parsing and turning errors into one line on stderr with a
non-zero exit status (2 for bad input; 130 when interrupted). Parameters
are validated before any database is touched; an unknown option is named
with the options of its own subcommand.

``python -m datagen --from-env COMMAND`` reads the subcommand's options
from the environment, ``DATAGEN_<OPTION>`` (``--start-date`` from
``DATAGEN_START_DATE``, ``import``'s file from ``DATAGEN_SOURCE``), each
value as it is, whatever characters it holds: the Makefile passes its
variables so, never through a shell's command line. Without the flag the
environment changes nothing; options given after the command win.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys

from . import server
from .errors import DatagenError
from .escape import clean, shown, shown_path
from .params import DEFAULTS, ParamError, parse_params

#: the flag that reads a subcommand's options from DATAGEN_* variables
FROM_ENV = "--from-env"
ENV_PREFIX = "DATAGEN_"
#: an argument that reads as an option's name (shown as it is)
_OPTION_NAME = re.compile(r"-{1,2}[A-Za-z0-9][A-Za-z0-9_-]{0,40}")


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"error: {clean(message)[:300]}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="datagen",
        description="Synthetic e-commerce warehouse in PostgreSQL.")
    parser.add_argument(FROM_ENV, action="store_true",
                        help="read the command's options from DATAGEN_* "
                        "variables (DATAGEN_SCHEMA for --schema; the "
                        "Makefile's way)")
    commands = parser.add_subparsers(dest="command", required=True,
                                     parser_class=_OneLineParser)
    build = commands.add_parser("build", help="generate and load a warehouse")
    book = commands.add_parser("book", help="run the chapters, build the site")
    for command in (build, book):
        for name, default in DEFAULTS.items():
            command.add_argument("--" + name.replace("_", "-"), dest=name,
                                 default=default, help=f"(default: {default})")
    book.add_argument("--out", default=None,
                      help="the output folder (default: the clone's _build; "
                      "one book build at a time writes it)")
    build.add_argument("--chunk-orders", type=int, default=None,
                       help="orders per generated block (does not change "
                       "the data)")
    build.add_argument("--shard-count", dest="shard_count", default=None,
                       help="shards per fact table on a Citus cluster "
                       "(default: SHARD_COUNT, else 32; ignored on one node)")
    imported = commands.add_parser(
        "import", help="import a shop's order lines (CSV or Parquet)")
    imported.add_argument("source", help="the export: a CSV (maybe .gz) or "
                          "Parquet file")
    from .ingest.mapping import BUILT_IN
    imported.add_argument("--mapping", required=True,
                          help="a built-in mapping ("
                          + ", ".join(sorted(p.stem for p in
                                             BUILT_IN.glob("*.toml")))
                          + ") or a mapping file (TOML)")
    imported.add_argument("--schema", default=DEFAULTS["schema"],
                          help=f"(default: {DEFAULTS['schema']})")
    for name in ("min_pair_orders", "clv_holdout_weeks", "clv_horizon_days"):
        imported.add_argument("--" + name.replace("_", "-"), dest=name,
                              default=DEFAULTS[name],
                              help=f"(default: {DEFAULTS[name]})")
    refresh = commands.add_parser(
        "refresh", help="bring a generated warehouse forward to a later day")
    refresh.add_argument("--to", dest="to_date", default=None,
                         help="the new as-of date, YYYY-MM-DD")
    refresh.add_argument("--feed", default=None,
                         help="apply this feed folder (datagen export) "
                         "instead of generating the days")
    refresh.add_argument("--schema", default=DEFAULTS["schema"],
                         help=f"(default: {DEFAULTS['schema']})")
    export = commands.add_parser(
        "export", help="write a generated shop's days as a feed (Parquet, "
        "CSV)")
    export.add_argument("--schema", default=DEFAULTS["schema"],
                        help=f"(default: {DEFAULTS['schema']})")
    export.add_argument("--from", dest="since", required=True,
                        help="the feed holds the days after this one")
    export.add_argument("--to", dest="to_date", required=True,
                        help="... up to and including this one")
    export.add_argument("--format", default="parquet",
                        help="parquet (default) or csv")
    export.add_argument("--out", required=True, help="the feed's folder")
    commands.add_parser("dsn", help="print the database URL in use")
    parser.commands = commands.choices
    commands.add_parser("bench", help="performance figures (make bench)",
                        add_help=False)
    embedded = commands.add_parser("server", help="the embedded PostgreSQL")
    embedded.add_argument("action", choices=["start", "stop", "status"])
    cluster = commands.add_parser(
        "cluster", help="a Citus coordinator and two workers on this machine")
    cluster.add_argument("action", choices=["start", "stop", "status"])
    return parser


def _from_env(command: argparse.ArgumentParser) -> list[str]:
    """The options of ``command`` set in the environment, as arguments:
    ``--name=value`` (a value that starts with ``-`` stays a value), the
    positionals after ``--``."""
    options, positionals = [], []
    for action in command._actions:
        long = [o for o in action.option_strings if o.startswith("--")]
        if action.option_strings and not long or long == ["--help"]:
            continue
        name = long[0][2:] if long else action.dest
        value = os.environ.get(ENV_PREFIX + name.upper().replace("-", "_"))
        if value is None:
            continue
        if long:
            options.append(f"{long[0]}={value}")
        else:
            positionals.append(value)
    return options + (["--", *positionals] if positionals else [])


def _unknown(parser: argparse.ArgumentParser, command: str,
             extra: list[str]) -> str:
    """One line for arguments ``command`` does not take, naming its own
    options."""
    first = extra[0]
    name = first.split("=", 1)[0]
    what = (f"unknown parameter {name}" if _OPTION_NAME.fullmatch(name)
            else f"unexpected argument {shown(first, 40)}")
    options = [a.option_strings[-1] if a.option_strings else
               a.dest.upper() for a in parser.commands[command]._actions
               if "--help" not in a.option_strings]
    return (f"{what}: the parameters of {command} are "
            + (", ".join(options) or "none"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if argv[:1] == [FROM_ENV] and argv[1:2] \
            and argv[1] in parser.commands:
        argv = [FROM_ENV, argv[1], *_from_env(parser.commands[argv[1]]),
                *argv[2:]]
    command = argv[1:] if argv[:1] == [FROM_ENV] else argv
    if command[:1] == ["bench"]:
        if server.source_tree() is None:
            return _needs_clone("bench")
        from .bench import main as bench
        return bench(command[1:])
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(_unknown(parser, args.command, extra))
    if args.command in ("build", "import", "refresh", "export"):
        # stopped (kill, make's Ctrl-C): as Ctrl-C, which drops a build's
        # staging schemas and rolls a refresh back
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "import":
            return _import(args)
        if args.command == "book":
            return _book(args)
        if args.command == "refresh":
            return _refresh(args)
        if args.command == "export":
            return _export(args)
        if args.command == "cluster":
            return _cluster(args.action)
        if args.command == "dsn":
            print(server.database_url())
            return 0
        return _server(args.action)
    except DatagenError as error:  # every stage's errors: one line
        print(f"error: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        kept = (": the warehouse is as it was" if args.command in (
            "build", "import", "refresh") else "")
        print(f"error: {args.command} interrupted{kept}", file=sys.stderr)
        return 130


def _build(args) -> int:
    from .warehouse.build import build
    params = parse_params({name: getattr(args, name) for name in DEFAULTS})
    chunk = args.chunk_orders
    if chunk is not None and chunk < 1:
        raise ParamError("chunk_orders", "a whole number of at least 1", chunk)
    from .warehouse.distribute import parse_shard_count
    shards = parse_shard_count(args.shard_count)
    build(params, chunk_orders=chunk, shard_count=shards)
    return 0


def _import(args) -> int:
    from .warehouse.build import build
    from .warehouse.import_build import Source
    if not args.source.strip():
        raise ParamError("source", "the export to import (make import "
                         "SOURCE=FILE MAPPING=...)", args.source)
    params = parse_params(schema=args.schema, source=args.source,
                          mapping=args.mapping,
                          min_pair_orders=args.min_pair_orders,
                          clv_holdout_weeks=args.clv_holdout_weeks,
                          clv_horizon_days=args.clv_horizon_days)
    source = Source.open(params.source, params.mapping)  # before the database
    build(params, source=source)
    return 0


def _refresh(args) -> int:
    from .params import parse_schema
    from .warehouse.refresh import refresh
    refresh(parse_schema(args.schema), args.to_date, feed_folder=args.feed)
    return 0


def _export(args) -> int:
    from .params import parse_schema
    from .warehouse.export import export
    rows = export(parse_schema(args.schema), args.since, args.to_date,
                  args.out, args.format)
    print(f"wrote the feed into {shown_path(args.out)}: " + ", ".join(
        f"{name} {n:,}" for name, n in rows.items()))
    return 0


def _needs_clone(command: str) -> int:
    """``book`` and ``bench`` read the repository (its chapters, its
    ``_config.yml``): installed as a package, one line says so."""
    print(f"error: datagen {command} runs from a clone of the repository "
          "(its book/, _config.yml and _toc.yml): clone it and run "
          f"make {command} there", file=sys.stderr)
    return 2


def _book(args) -> int:
    if server.source_tree() is None:
        return _needs_clone("book")
    from .publish.book import build_book
    params = parse_params({name: getattr(args, name) for name in DEFAULTS})
    if params.imported:  # the file and mapping checked before anything runs
        from .warehouse.import_build import Source
        Source.open(params.source, params.mapping)
    else:  # a size the generator and the disk hold, before any notebook
        from .warehouse.build import check_room
        check_room(params)
    html = (build_book(params) if args.out is None
            else build_book(params, out=args.out))
    print(f"the book is in {html}/index.html (make serve to browse it)")
    return 0


def _cluster(action: str) -> int:
    from . import cluster
    if action == "start":
        print(cluster.start(echo=lambda line: print(line, file=sys.stderr)))
    elif action == "stop":
        print("stopped" if cluster.stop() else "not running")
    else:
        print("\n".join(cluster.status()))
    return 0


def _server(action: str) -> int:
    if server.external_url() and action != "status":
        print("DATABASE_URL (or PG* variables) is set: the embedded server "
              "is not used", file=sys.stderr)
    if action == "start":
        print(server.start_embedded())
    elif action == "stop":
        print("stopped" if server.stop_embedded() else "not running")
    else:
        with server.connect(server.database_url(start=False)) as conn:
            print(conn.execute("select version()").fetchone()[0])
    return 0
