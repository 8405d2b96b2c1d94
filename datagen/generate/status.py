"""Which orders change status after a day, without drawing their lines.

Owns ``status_changes(plan, first, stop, after)``: the cancellations and
returns of a range of orders that happen from ``after`` to the end of the
last day, the same as ``lines.block`` gives those orders. An order's fate
hangs on its basket only through whether it holds a Fashion line, and only
for a draw that is a return with fashion and kept without it; only those
orders' baskets are drawn (a refresh's last return window holds about a
hundred thousand orders at scale 20, a few hundred of them such).
"""

from __future__ import annotations

import numpy as np

from . import lines, rng
from .lines import LinePlan


def status_changes(plan: LinePlan, first: int, stop: int, after: np.datetime64
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of orders ``first .. stop-1``, those cancelled or returned at
    ``after`` or later, by the end of the last day: their index, fate (1
    cancelled, 2 returned) and when."""
    persona = plan.customers.persona[plan.orders.customer[first:stop]]
    uo = lines.order_uniforms(plan, first, stop)
    ts = lines.order_ts(plan, first, stop)
    plain_fate, changed_at = lines.fates(plan, persona, False, uo, ts)
    fashion_fate, _ = lines.fates(plan, persona, True, uo, ts)
    in_time = (changed_at >= after) & (changed_at < plan.end)
    has_fashion = np.zeros(stop - first, dtype=bool)
    unsure = np.flatnonzero(in_time & (plain_fate != fashion_fate))
    has_fashion[unsure] = _holds_fashion(plan, first + unsure, uo[unsure])
    fate, _ = lines.fates(plan, persona, has_fashion, uo, ts)
    chosen = np.flatnonzero(in_time & (fate > 0))
    return first + chosen, fate[chosen], changed_at[chosen]


def _holds_fashion(plan: LinePlan, index: np.ndarray,
                   uo: np.ndarray) -> np.ndarray:
    """Whether each order ``index`` (sorted; ``uo`` its uniforms) has a
    Fashion line: its basket drawn alone, from its own lines' uniforms."""
    counts = plan.lines_per_order[index]
    line_order = np.repeat(np.arange(len(index)), counts)
    within = np.arange(len(line_order)) - np.repeat(
        np.cumsum(counts) - counts, counts)
    line = plan.line_offset[index][line_order] + within
    low = int(line[0]) if len(line) else 0
    span = int(line[-1]) + 1 - low if len(line) else 0
    ul = rng.uniforms(plan.seed, rng.LINES, low, span, 2)[line - low]
    o = plan.orders
    persona = plan.customers.persona[o.customer[index]]
    line_order, product, _, _ = lines.basket(plan, persona, o.day[index],
                                             counts, ul, uo)
    return lines.holds_fashion(plan, line_order, product, len(index))
