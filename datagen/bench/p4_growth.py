"""P4 memory and growth: a whole build at scales 1, 10 and 100, its peak
memory and its time per order, against the fixed cost of a build.

Owns figure P4. Each build is ``build`` (what ``datagen build`` runs) in a
Python process of its own (``measure.in_own_process``), so that its peak
memory is its own; the time per order is compared across the scales, both
whole and beyond the fixed cost of a build (a build at ``FIXED_COST_SCALE``,
whose rows cost next to nothing).
"""

from __future__ import annotations

from .measure import drop_family, in_own_process, median

TITLE = "P4 memory and growth"
SCALES = (1, 10, 100)
WITHOUT_100 = (1, 10)
QUICK_SCALES = (0.1, 0.5)
#: the fixed cost of a build: one so small that its rows cost next to nothing
FIXED_COST_SCALE = 0.01
#: builds per scale up to 10 (the median is reported; this machine's
#: timings of one build vary by 10-25%); larger scales are built once
ROUNDS = 3


def run(url: str, quick: bool = False, scales=SCALES) -> dict:
    """A whole build at each of ``scales`` (``QUICK_SCALES`` when
    ``quick``) and at ``FIXED_COST_SCALE``: time, time per order, peak
    memory, and the time per order beyond the fixed cost."""
    results = {}
    for scale in (FIXED_COST_SCALE, *(QUICK_SCALES if quick else scales)):
        schema = f"bench_growth_{str(scale).replace('.', '_')}"
        runs = []
        for _ in range(ROUNDS if scale <= 10 else 1):
            try:
                runs.append(in_own_process(url, dict(scale=scale,
                                                     schema=schema)))
            finally:
                drop_family(url, schema)
        seconds = median(run["seconds"] for run in runs)
        n_orders = runs[0]["rows"]["fact_order"]
        results[scale] = {
            "seconds": seconds, "orders": n_orders, "runs": len(runs),
            "all_seconds": [run["seconds"] for run in runs],
            "peak_memory_mib": max(run["peak_kib"] for run in runs) / 1024,
            "us_per_order": seconds / n_orders * 1e6}
    fixed = results.pop(FIXED_COST_SCALE)
    fastest = min(r["us_per_order"] for r in results.values())
    for r in results.values():
        r["time_per_order_vs_fastest"] = r["us_per_order"] / fastest
        r["us_per_order_beyond_fixed"] = ((r["seconds"] - fixed["seconds"])
                                          / (r["orders"] - fixed["orders"])
                                          * 1e6)
    beyond = min(r["us_per_order_beyond_fixed"] for r in results.values())
    for r in results.values():
        r["beyond_fixed_vs_fastest"] = r["us_per_order_beyond_fixed"] / beyond
    return {"scales": results, "rounds": ROUNDS,
            "fixed_cost": {"scale": FIXED_COST_SCALE, **fixed}}


def lines(p4: dict) -> list[str]:
    fixed = p4["fixed_cost"]
    found = [
        f"{TITLE}: whole builds, each in its own process (target: time per "
        "order within 20%, peak < 2048 MiB at 100)",
        "  scale      orders   seconds  us/order  vs fastest  "
        "beyond fixed  vs fastest  peak MiB"]
    for scale, r in p4["scales"].items():
        found.append(
            f"  {float(scale):>5g}  {r['orders']:>10,}  {r['seconds']:>8.1f}  "
            f"{r['us_per_order']:>8.1f}  "
            f"{r['time_per_order_vs_fastest']:>10.2f}"
            f"  {r['us_per_order_beyond_fixed']:>12.1f}"
            f"  {r['beyond_fixed_vs_fastest']:>10.2f}"
            f"  {r['peak_memory_mib']:>8.0f}")
    found.append(f"  fixed cost: a build at scale {fixed['scale']:g} "
                 f"({fixed['orders']:,} orders) takes "
                 f"{fixed['seconds']:.2f} s; seconds are medians of "
                 f"{p4['rounds']} builds up to scale 10, one above")
    return found
