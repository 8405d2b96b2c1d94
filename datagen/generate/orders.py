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
    """One entry per order, sorted by time; ``order_id = index + 1``."""
    customer: np.ndarray       # customer index (customer_id - 1)
    day: np.ndarray            # day index in the period
    second: np.ndarray         # second of the day
    channel: np.ndarray        # channel index (channel_id - 1)
    event: np.ndarray          # k: the customer's k-th order (0: the first)
    tax_bp: np.ndarray         # sales tax of the customer's region that day

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
    second, channel = _details(seed, customers, customer, event)
    order = np.lexsort((event, customer, second, day))
    return Orders(customer[order].astype(np.int32),
                  day[order].astype(np.int32), second[order],
                  channel[order], event[order],
                  customers.tax_bp_at(customer[order], day[order]))


def _details(seed, customers: Customers, customer: np.ndarray,
             event: np.ndarray):
    """Second of the day and channel of each (customer, k-th) order."""
    u = rng.keyed(seed, rng.ORDER_DETAILS, customer, event, 2)
    hour_cdf = np.cumsum(planted.HOUR_INTENSITY) / np.sum(planted.HOUR_INTENSITY)
    hour = np.minimum(np.searchsorted(hour_cdf, u[:, 0], side="right"), 23)
    lower = np.where(hour > 0, hour_cdf[hour - 1], 0.0)
    within = (u[:, 0] - lower) / (hour_cdf[hour] - lower)
    second = (hour * 3600 + np.minimum(np.floor(within * 3600), 3599)
              ).astype(np.int32)

    repeat_mix = np.array([planted.REPEAT_CHANNEL_MIX.get(c, 0.0)
                           for c in CHANNEL_NAMES])
    same = u[:, 1] < planted.REPEAT_SAME_CHANNEL
    rescaled = (u[:, 1] - planted.REPEAT_SAME_CHANNEL) / (
        1 - planted.REPEAT_SAME_CHANNEL)
    other = rng.choice(np.clip(rescaled, 0, 1 - 1e-12), repeat_mix)
    channel = np.where((event == 0) | same, customers.channel[customer],
                       other).astype(np.int8)
    return second, channel


def _invert(curves: np.ndarray, persona: np.ndarray,
            target: np.ndarray) -> np.ndarray:
    """Day whose interval (C[d], C[d+1]] holds ``target``, per persona."""
    n_days = curves.shape[1] - 1
    day = np.empty(len(target), dtype=np.int64)
    for p in range(curves.shape[0]):
        mask = persona == p
        day[mask] = np.searchsorted(curves[p], target[mask], side="left") - 1
    return np.clip(day, 0, n_days - 1)
