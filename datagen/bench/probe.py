"""One build in a process of its own: ``python -m datagen.bench.probe
PARAMS`` (a JSON object of build parameters).

Owns nothing but running the command line's own entry point once, as
``datagen build`` and ``datagen import`` do (a source is opened first,
``Source.open``, then ``build(params, source=...)``), and printing one JSON
line: the seconds from parsing the parameters to the build's end, the
rows and steps the build reports (``BuildReport``), and the peak resident
memory of this process (``VmHWM``; ``getrusage``'s ``ru_maxrss`` would
keep the parent's peak across fork and exec). P4 and P5 run it.
"""

from __future__ import annotations

import json
import re
import sys
import time

from ..params import parse_params
from ..warehouse.build import build
from ..warehouse.import_build import Source
from .measure import quiet


def main(argv: list[str]) -> int:
    raw = json.loads(argv[0])
    started = time.perf_counter()
    params = parse_params(raw)
    source = (Source.open(params.source, params.mapping)
              if params.imported else None)
    report = build(params, echo=quiet, source=source)
    seconds = time.perf_counter() - started
    with open("/proc/self/status") as status:
        peak = re.search(r"VmHWM:\s+(\d+) kB", status.read())
    print(json.dumps({"seconds": seconds, "rows": report.rows,
                      "steps": report.seconds,
                      "build_seconds": report.total_seconds,
                      "peak_kib": int(peak[1])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
