"""The generator alone, in a process of its own: ``python -m
datagen.bench.draw JSON`` (``{"scale": ..., "types": {table: {column:
type}}}``).

Owns nothing but running what a build's generator does, without a
database: the plan and its dimensions (``generate.plan``), the orders'
timing (``Plan.lines``), then every block of orders and lines drawn and
encoded as the binary COPY bytes the load sends (``copy_binary.encode``),
on one thread, as ``fact_load`` does. It prints one JSON line: the seconds
from the parameters to the last block's bytes (imports excluded), each
step's share, the rows made (dimensions and facts; the truth tables, which
only the tests read, are not drawn) and the CPU seconds. P8 runs it.
"""

from __future__ import annotations

import json
import sys
import time

from .. import generate
from ..params import parse_params
from ..warehouse import copy_binary


def main(argv: list[str]) -> int:
    raw = json.loads(argv[0])
    types = raw["types"]
    cpu, started = time.process_time(), time.perf_counter()
    plan = generate.plan(parse_params({"scale": raw["scale"]}))
    rows = sum(len(frame) for frame in plan.dimensions.values())
    dims = time.perf_counter()
    n_orders, size = plan.n_orders, plan.block_orders()
    timed = time.perf_counter()
    drawn = encoded = 0.0
    for first in range(0, n_orders, size):
        began = time.perf_counter()
        block = plan.block(first, min(first + size, n_orders))
        middle = time.perf_counter()
        for table, frame in (("fact_order", block.orders),
                             ("fact_order_item", block.items)):
            copy_binary.encode(frame, types[table])
            rows += frame.num_rows
        drawn += middle - began
        encoded += time.perf_counter() - middle
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu, "rows": rows,
        "steps": {"dimensions": dims - started, "order timing": timed - dims,
                  "blocks drawn": drawn, "COPY bytes": encoded}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
