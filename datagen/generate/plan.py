"""The plan of a whole build, from the parameters: the one entry point of
the generator that the build, the benchmark and the tests all call.

``plan(params)`` draws the dimensions (name pools, catalogue, customers);
``Plan.lines`` times the orders and prepares their lines on first use, and
``Plan.block`` draws any block of orders and lines from it. Nothing here
touches a database: the warehouse loads what the plan gives.
"""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd

from ..params import BuildParams
from . import customers, dates, lines, orders, planted, products, truth

#: orders drawn per block (does not change the data): an eighth of the
#: orders, so that drawing the next block overlaps with loading this one
#: at any scale, within these bounds (memory, per-block overhead)
BLOCK_ORDERS_BOUNDS = (10_000, 100_000)
BLOCKS_AT_LEAST = 8


@dataclasses.dataclass
class Plan:
    params: BuildParams
    catalogue: products.Catalogue
    customers: customers.Customers

    @functools.cached_property
    def dimensions(self) -> dict[str, pd.DataFrame]:
        """The dimension tables, in load order (money in integer cents)."""
        p = self.params
        return {
            "dim_date": dates.dim_date(p.start_date, p.end_date),
            "dim_channel": dim_channel(),
            "dim_customer": self.customers.table,
            "dim_customer_history": self.customers.history,
            "dim_product": self.catalogue.dim_product(),
        }

    @functools.cached_property
    def lines(self) -> lines.LinePlan:
        """The orders, timed, and what drawing their lines needs."""
        p = self.params
        timed = orders.generate(p.seed, p.start_date, p.end_date,
                                self.customers)
        return lines.prepare(p.seed, p.start_date, p.end_date, timed,
                             self.customers, self.catalogue)

    @property
    def n_orders(self) -> int:
        return len(self.lines.orders)

    def block(self, first: int, stop: int) -> lines.Block:
        """Orders ``first .. stop-1`` (order_id = index + 1) and their
        lines: the same rows whatever the blocks."""
        return lines.block(self.lines, first, stop)

    def block_orders(self) -> int:
        """Orders per block for this build."""
        low, high = BLOCK_ORDERS_BOUNDS
        return max(low, min(high, -(-self.n_orders // BLOCKS_AT_LEAST)))

    def truth_tables(self) -> dict[str, pd.DataFrame]:
        return truth.truth_tables(self.params, self.customers, self.catalogue)


def plan(params: BuildParams) -> Plan:
    """Draw the dimensions of the build ``params`` describes."""
    pool = customers.pools(params.seed)
    catalogue = products.generate(params.seed, params.start_date,
                                  params.end_date)
    drawn = customers.generate(params.seed, params.scale, params.start_date,
                               params.end_date, pool)
    return Plan(params, catalogue, drawn)


def dim_channel() -> pd.DataFrame:
    return pd.DataFrame({
        "channel_id": range(1, len(planted.CHANNELS) + 1),
        "channel_name": [c[0] for c in planted.CHANNELS],
        "channel_group": [c[1] for c in planted.CHANNELS],
    })
