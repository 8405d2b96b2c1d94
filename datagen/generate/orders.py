"""Order headers: when each customer orders and through which channel.

Owns the timing of orders. A customer's first order falls on their first
order day; repeat orders follow a Poisson process over the customer's active
window whose intensity follows the calendar's daily rhythm (bargain hunters
react more to Black Friday). Orders are numbered in time order.
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


def repeat_counts(seed: int, customers: Customers,
                  curves: np.ndarray) -> np.ndarray:
    """Orders of each customer (0 for those who never order)."""
    n = len(customers.first_day)
    n_days = curves.shape[1] - 1
    ordering = customers.first_day < n_days
    first = np.minimum(customers.first_day + 1, n_days)
    end = np.maximum(customers.end_day, first)
    exposure = (curves[customers.persona, end]
                - curves[customers.persona, first]) / 365.25
    u = rng.uniforms(seed, rng.ORDERS, 0, n, 1)[:, 0]
    repeats = rng.poisson(u, customers.rate * exposure)
    return np.where(ordering, 1 + repeats, 0)


#: customers whose orders are timed together (bounds memory; any value
#: gives the same orders, since stream positions are per order)
CUSTOMER_BLOCK = 200_000


def generate(seed: int, start: dt.date, end: dt.date,
             customers: Customers) -> Orders:
    curves = persona_curves(start, end)
    counts = repeat_counts(seed, customers, curves)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    parts = [_time_orders(seed, customers, curves, counts, offsets, lo,
                          min(lo + CUSTOMER_BLOCK, len(counts)))
             for lo in range(0, len(counts), CUSTOMER_BLOCK)]
    customer, day, second, channel = (np.concatenate(a) for a in zip(*parts))
    # time order; ties keep the customer-major order
    order = np.lexsort((second, day))
    return Orders(customer[order], day[order], second[order], channel[order])


def _time_orders(seed, customers: Customers, curves, counts, offsets,
                 first_customer: int, stop_customer: int):
    """Day, second and channel of the orders of customers
    ``first_customer .. stop_customer-1`` (compact dtypes)."""
    block = slice(first_customer, stop_customer)
    customer = np.repeat(np.arange(first_customer, stop_customer,
                                   dtype=np.int32), counts[block])
    first_index = int(offsets[first_customer])
    total = len(customer)
    starts = offsets[block][counts[block] > 0] - first_index
    is_first = np.zeros(total, dtype=bool)
    is_first[starts] = True

    # stream position = customer-major order index: chunk-independent
    u = rng.uniforms(seed, rng.ORDER_DETAILS, first_index, total, 3)
    persona = customers.persona[customer]
    first_day = customers.first_day[customer]
    lo = curves[persona, np.minimum(first_day + 1, curves.shape[1] - 1)]
    hi = curves[persona, np.maximum(customers.end_day[customer],
                                    first_day + 1)]
    repeat_day = _invert(curves, persona, lo + u[:, 0] * (hi - lo))
    day = np.where(is_first, first_day, repeat_day).astype(np.int32)

    hour_cdf = np.cumsum(planted.HOUR_INTENSITY) / np.sum(planted.HOUR_INTENSITY)
    hour = np.minimum(np.searchsorted(hour_cdf, u[:, 1], side="right"), 23)
    lower = np.where(hour > 0, hour_cdf[hour - 1], 0.0)
    within = (u[:, 1] - lower) / (hour_cdf[hour] - lower)
    second = (hour * 3600 + np.minimum(np.floor(within * 3600), 3599)
              ).astype(np.int32)

    repeat_mix = np.array([planted.REPEAT_CHANNEL_MIX.get(c, 0.0)
                           for c in CHANNEL_NAMES])
    same = u[:, 2] < planted.REPEAT_SAME_CHANNEL
    rescaled = (u[:, 2] - planted.REPEAT_SAME_CHANNEL) / (
        1 - planted.REPEAT_SAME_CHANNEL)
    other = rng.choice(np.clip(rescaled, 0, 1 - 1e-12), repeat_mix)
    channel = np.where(is_first | same, customers.channel[customer],
                       other).astype(np.int8)
    return customer, day, second, channel


def _invert(curves: np.ndarray, persona: np.ndarray,
            target: np.ndarray) -> np.ndarray:
    """Day whose interval (C[d], C[d+1]] holds ``target``, per persona."""
    n_days = curves.shape[1] - 1
    day = np.empty(len(target), dtype=np.int64)
    for p in range(curves.shape[0]):
        mask = persona == p
        day[mask] = np.searchsorted(curves[p], target[mask], side="left") - 1
    return np.clip(day, 0, n_days - 1)
