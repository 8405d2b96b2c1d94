"""Order headers: when each customer orders and through which channel.

Owns the timing of orders. A customer's first order falls on their first
order day; repeat orders follow a Poisson process over the customer's active
window whose intensity follows the calendar's daily rhythm (bargain hunters
react more to Black Friday). Orders are numbered in time order, and the
orders up to a day never depend on the days after it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from . import dates, planted, rng
from .customers import CHANNEL_NAMES, PERSONAS, Customers


@dataclasses.dataclass
class Orders:
    """One entry per order, sorted by time; ``order_id = index + 1``. An
    order's channel and sales tax are drawn with its block (``channels``,
    ``Customers.tax_bp_at``): only the orders drawn need them."""
    customer: np.ndarray       # customer index (customer_id - 1)
    day: np.ndarray            # day index in the period
    second: np.ndarray         # second of the day
    event: np.ndarray          # k: the customer's k-th order (0: the first)

    def __len__(self) -> int:
        return len(self.day)


def persona_curves(start: dt.date, end: dt.date) -> np.ndarray:
    """Cumulative daily intensity per persona: shape (personas, days + 1)."""
    rows = []
    for persona in PERSONAS:
        boost = (planted.BARGAIN_HUNTER_BLACK_FRIDAY_FACTOR
                 if persona == "bargain_hunter" else 1.0)
        rows.append(dates.cumulative(dates.intensity(start, end,
                                                           boost)))
    return np.vstack(rows)


def generate(seed: int, start: dt.date, end: dt.date,
             customers: Customers) -> Orders:
    """Every order up to the last day, numbered in time order.

    A customer's first order falls on their first order day; their repeat
    orders are a Poisson process over their active window (in units of
    the persona's cumulative intensity, at the customer's rate), drawn gap
    by gap: the k-th order of a customer reads the keyed random numbers of
    (customer, k) alone, and the process stops at the window's end or the
    last day, whichever is first. So the orders up to any day are the same
    whatever the last day, and so is their numbering (time, then customer,
    then k: a later day only adds orders after them)."""
    curves = persona_curves(start, end)
    n_days = curves.shape[1] - 1
    ordering = np.flatnonzero(customers.first_day < n_days)
    persona = customers.persona[ordering]
    stop = curves[persona, np.minimum(customers.end_day[ordering], n_days)]
    t = curves[persona, customers.first_day[ordering] + 1]
    rate = customers.rate[ordering]
    active, k = np.flatnonzero(rate > 0), 1
    years = 365.25 / np.where(rate > 0, rate, 1.0)
    t = t[active]
    repeats, events, times = [], [], []
    while active.size:
        u = rng.keyed(seed, rng.ORDER_GAPS, ordering[active], k, 1)[:, 0]
        t = t + rng.exponential(u, years[active])
        on_time = t <= stop[active]
        active, t = active[on_time], t[on_time]
        repeats.append(active)
        events.append(np.full(len(active), k, dtype=np.int64))
        times.append(t)
        k += 1
    repeat = np.concatenate(repeats) if repeats else np.zeros(0, np.int64)
    customer = np.concatenate([ordering, ordering[repeat]])
    event = np.concatenate([np.zeros(len(ordering), np.int64), *events])
    day = np.concatenate([customers.first_day[ordering], _invert(
        curves, persona[repeat], np.concatenate(times) if times
        else np.zeros(0))])
    second = _seconds(seed, customer, event)
    order = _time_order(day, second, customer, event, len(customers.persona))
    return Orders(customer[order].astype(np.int32),
                  day[order].astype(np.int32), second[order], event[order])


def _time_order(day, second, customer, event, n_customers: int) -> np.ndarray:
    """The permutation that sorts orders by day, second, customer, then k.

    Each customer's orders come in k order (first orders, then the repeats
    k = 1, 2, ...), so a stable sort by one key of time and customer keeps
    them in k order; the key is an int64 whenever it fits (it always does
    but for periods of many centuries), else the four keys are sorted."""
    n_days = int(day.max()) + 1 if len(day) else 0
    if n_days * 86_400 * max(n_customers, 1) < 2 ** 63:
        key = (day.astype(np.int64) * 86_400 + second) * n_customers + customer
        return np.argsort(key, kind="stable")
    return np.lexsort((event, customer, second, day))


def _uniforms(seed: int, customer: np.ndarray, event: np.ndarray,
              k: int) -> np.ndarray:
    """The first ``k`` order-details uniforms of each (customer, k-th)
    order: column 0 times the order within its day, column 1 picks its
    channel (a keyed column is the same whatever ``k``)."""
    return rng.keyed(seed, rng.ORDER_DETAILS, customer, event, k)


def _seconds(seed: int, customer: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Second of the day of each (customer, k-th) order."""
    u = _uniforms(seed, customer, event, 1)[:, 0]
    hour_cdf = np.cumsum(planted.HOUR_INTENSITY) / np.sum(planted.HOUR_INTENSITY)
    hour = np.minimum(np.searchsorted(hour_cdf, u, side="right"), 23)
    lower = np.where(hour > 0, hour_cdf[hour - 1], 0.0)
    within = (u - lower) / (hour_cdf[hour] - lower)
    return (hour * 3600 + np.minimum(np.floor(within * 3600), 3599)
            ).astype(np.int32)


def channels(seed: int, customers: Customers, customer: np.ndarray,
             event: np.ndarray) -> np.ndarray:
    """Channel index of each (customer index, k-th) order: a first order
    comes through the acquisition channel, a repeat order often too, else
    through the repeat mix."""
    u = _uniforms(seed, customer, event, 2)[:, 1]
    repeat_mix = np.array([planted.REPEAT_CHANNEL_MIX.get(c, 0.0)
                           for c in CHANNEL_NAMES])
    same = u < planted.REPEAT_SAME_CHANNEL
    rescaled = (u - planted.REPEAT_SAME_CHANNEL) / (
        1 - planted.REPEAT_SAME_CHANNEL)
    other = rng.choice(np.clip(rescaled, 0, 1 - 1e-12), repeat_mix)
    return np.where((event == 0) | same, customers.channel[customer],
                    other).astype(np.int8)


def _invert(curves: np.ndarray, persona: np.ndarray,
            target: np.ndarray) -> np.ndarray:
    """Day whose interval (C[d], C[d+1]] holds ``target``, per persona."""
    n_days = curves.shape[1] - 1
    day = np.empty(len(target), dtype=np.int64)
    for p in range(curves.shape[0]):
        mask = persona == p
        day[mask] = np.searchsorted(curves[p], target[mask], side="left") - 1
    return np.clip(day, 0, n_days - 1)
