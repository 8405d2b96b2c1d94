"""What lets a second ``make book`` keep a notebook: its fingerprint.

Owns the reuse cache. The inputs of a notebook are its source, the
parameters, the database it talks to, the pinned environment
(``requirements.txt``), the code of the package that runs in its kernel
and ``sql/`` with its subfolders (``sql/citus/``; for the warehouse
notebook, without the modules only the chapters use), and for the
chapters the stamp of the warehouse they read: ``build_info`` with its
``built_at`` and, after a ``datagen refresh``, its ``end_date``,
``refreshed_from`` and ``refreshed_at``; for an import, the contents of
the source file and of the mapping file (a file changed in place under the
same name is a new input). The command line and the benchmark do not run
in a kernel and are left out. Fingerprints are kept in
``<out>/executed/manifest.json`` beside the executed notebooks.

A refresh equals a full build as of its date, so the warehouse notebook
need not build again a warehouse that it built and that ``datagen
refresh`` then brought forward to the book's ``end_date``
(``refreshed_since``): its ``lineage``, the inputs without the end date,
is unchanged and the stamp differs only in what a refresh changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import server
from .notebooks import WAREHOUSE_PREFIX

#: what a notebook's kernel runs: a change re-runs every notebook
CODE_GLOBS = ("datagen/**/*.py", "datagen/**/*.toml", "sql/**/*.sql",
              "requirements.txt")
#: files that never run in a kernel (the command line, the benchmark)
NOT_IN_KERNELS = ("datagen/__main__.py", "datagen/cli.py", "datagen/bench/")
#: code that only the chapters run: a change re-runs them, not the build
CHAPTER_CODE = ("datagen/chapters/", "datagen/publish/")
MANIFEST_VERSION = 2


def _digest(*parts) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else
                   json.dumps(part, sort_keys=True, default=str).encode())
        sha.update(b"\0")
    return sha.hexdigest()


def code_fingerprint(root: Path = server.PROJECT_ROOT,
                     warehouse_only: bool = False) -> str:
    """One digest of the package's and the SQL files' contents.

    ``warehouse_only``: without the modules that only the chapters use.
    """
    files = sorted({p for pattern in CODE_GLOBS for p in root.glob(pattern)
                    if _counts(str(p.relative_to(root)), warehouse_only)})
    return _digest(*[(str(p.relative_to(root)), p.read_bytes().hex())
                     for p in files])


def _counts(path: str, warehouse_only: bool) -> bool:
    if path.startswith(NOT_IN_KERNELS) or "__pycache__" in path:
        return False
    return not (warehouse_only and path.startswith(CHAPTER_CODE))


#: the columns of ``build_info`` that identify a warehouse
STAMP_COLUMNS = ("seed", "scale", "start_date", "end_date",
                 "generator_version", "built_at", "refreshed_from",
                 "refreshed_at")
#: those that ``datagen refresh`` changes
REFRESH_COLUMNS = ("end_date", "refreshed_from", "refreshed_at")


def warehouse_stamp(url: str, schema: str) -> str | None:
    """What identifies the warehouse in ``schema``: its ``build_info`` row
    (when it was built and, if it was, when and from which date it was
    refreshed).

    None when there is no warehouse (no schema, no table, no row).
    """
    from psycopg import sql
    try:
        with server.connect(url) as conn:
            rows = conn.execute(sql.SQL("select {} from {}.build_info").format(
                sql.SQL(", ").join(map(sql.Identifier, STAMP_COLUMNS)),
                sql.Identifier(schema))).fetchall()
    except Exception:  # noqa: BLE001 - missing schema/table: no warehouse
        return None
    return json.dumps([dict(zip(STAMP_COLUMNS, row)) for row in rows],
                      default=str) if rows else None


def refreshed_since(built: str | None, now: str | None, end_date) -> bool:
    """Whether the warehouse stamped ``now`` is the one stamped ``built``
    brought forward by ``datagen refresh`` to ``end_date``: the same build
    (seed, scale, start, generator, ``built_at``), as of ``end_date``, a
    later date than it was."""
    if built is None or now is None:
        return False
    (old, *more_old), (new, *more_new) = json.loads(built), json.loads(now)
    if more_old or more_new or new.get("refreshed_at") is None:
        return False
    same_build = all(old.get(column) == new.get(column)
                     for column in STAMP_COLUMNS
                     if column not in REFRESH_COLUMNS)
    return (same_build and new["end_date"] == str(end_date)
            and str(old.get("end_date")) < new["end_date"])



def files_read(parameters: dict) -> dict[str, str | None]:
    """The sha256 of the files an import reads: its source and, when it is
    a path, its mapping (a built-in mapping is code, in ``CODE_GLOBS``);
    None for a name that is no file."""
    def digest(path: str) -> str | None:
        if not Path(path).is_file():
            return None
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                sha.update(chunk)
        return sha.hexdigest()
    return {name: digest(parameters[name]) for name in ("source", "mapping")
            if parameters.get(name)}


def notebook_inputs(notebook: Path, parameters: dict, url: str,
                    stamp: str | None, root: Path = server.PROJECT_ROOT) -> str:
    """The fingerprint of everything a notebook's output depends on."""
    builds = notebook.name.startswith(WAREHOUSE_PREFIX)
    return _digest(MANIFEST_VERSION, notebook.read_bytes(), parameters,
                   server.redact(url), code_fingerprint(root, warehouse_only=builds),
                   files_read(parameters) if builds else stamp)


def warehouse_lineage(notebook: Path, parameters: dict, url: str,
                      root: Path = server.PROJECT_ROOT) -> str:
    """The warehouse notebook's inputs but its end date: equal for a book
    as of one day and the same book as of a later one."""
    return notebook_inputs(notebook, {name: value for name, value
                                      in parameters.items()
                                      if name != "end_date"},
                           url, None, root)


def load_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}
