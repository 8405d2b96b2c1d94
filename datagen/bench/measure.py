"""What every figure of ``make bench`` needs, and nothing a figure owns.

Owns the machine's description, the median of rounds, a build run in a
process of its own (``probe``: its time, steps and peak memory), ``datagen
book`` run as ``make book`` runs it (``datagen_book``), the line
a figure prints for a measured value, and dropping the schemas a figure's
builds wrote (``params.schema_family``: the warehouse, the schemas beside
it and their staging copies), so the user's disk is theirs again.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from psycopg import sql

from .. import server
from ..params import schema_family

#: where ``make bench`` writes its table and its JSON
OUT = server.PROJECT_ROOT / "_build" / "bench"


def quiet(line: str) -> None:
    """An ``echo`` for the entry points that prints nothing."""


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cpus": os.cpu_count(), "memory_gib": round(memory / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(), "processor": platform.machine()}


def median(values) -> float:
    return statistics.median(values)


def median_run(runs: list[dict], key: str = "seconds") -> dict:
    """The run whose ``key`` is the median (of an odd number of runs: one
    of them, so its other figures, its steps, go with it)."""
    return sorted(runs, key=lambda run: run[key])[len(runs) // 2]


def drop_family(url: str, schema: str) -> None:
    """Drop the warehouse ``schema`` a figure built and every schema its
    build writes beside it."""
    with server.connect(url, autocommit=True) as conn:
        for name in schema_family(schema):
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(name)))


def in_own_process(url: str, params: dict) -> dict:
    """``build`` (``import`` when ``params`` name a source) of ``params``
    in a fresh Python process (``probe``), so that its peak memory is the
    build's own; returns what the probe prints: seconds, rows, steps,
    peak_kib."""
    return own_process("datagen.bench.probe", json.dumps(params),
                       DATABASE_URL=url)


def own_process(module: str, argument: str, **env: str) -> dict:
    """``python -m module argument`` in a fresh process (with ``env``
    added to this one's environment); the JSON object its last line
    prints."""
    out = subprocess.run(
        [sys.executable, "-m", module, argument],
        cwd=server.PROJECT_ROOT, check=True, capture_output=True, text=True,
        env={**os.environ, **env, "PYTHONPATH": str(server.PROJECT_ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def datagen_book(root: Path, out: Path, schema: str, scale: float,
                 url: str) -> tuple[float, str]:
    """``python -m datagen book`` of the project in ``root``, in a process
    of its own as ``make book`` runs it, into ``out`` with its warehouse
    in ``schema``: its seconds and its log (stderr)."""
    command = [sys.executable, "-m", "datagen", "book", "--out", str(out),
               "--schema", schema, "--scale", str(scale)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url,
                               "PYTHONPATH": str(root)})
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError("datagen book failed: "
                           + done.stderr.strip()[-2000:])
    return seconds, done.stderr


def row(label: str, value: str, note: str = "", width: int = 46) -> str:
    """One line of a figure's table: a label, its value, a note."""
    return f"  {label:<{width}} {value}" + (f"  {note}" if note else "")
