"""Small shops' exports of the shapes a book must read honestly.

``write(shape, folder)`` writes one export (a CSV of order lines) and its
mapping and returns both. Every shop is drawn with numpy from a fixed seed:
customers who come back (or, for ``bought_once``, never do), products in
categories, one pair of products that many customers buy together (so
that a rule the book may show exists) and the shop's own habits, over the
shape's period. What each shape lacks is what its mapping does not map:

- ``no_statuses``: everything but which orders were returned or cancelled;
- ``one_channel_one_category``: no channel and no category (the
  mapping's defaults: one of each);
- ``one_month``: every order in March 2025;
- ``bought_once``: every customer ordered once;
- ``no_prices``: quantities without prices (a grocery's export);
- ``baskets``: baskets without customers or dates (order and product ids,
  and names).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np


@dataclasses.dataclass(frozen=True)
class Shape:
    first: dt.date
    last: dt.date
    customers: int
    #: mean orders per customer beyond the first (0: each orders once)
    repeat: float
    #: the mapping's fields beyond order_number and sku
    fields: tuple[str, ...]
    rules: bool = False        # returned_when and cancelled_when


_ALL = ("product_name", "category", "quantity", "unit_price", "unit_cost",
        "order_ts", "customer_code", "country", "channel")
SHAPES = {
    "no_statuses": Shape(dt.date(2023, 1, 1), dt.date(2025, 2, 28), 260,
                         2.5, _ALL),
    "one_channel_one_category": Shape(
        dt.date(2024, 1, 1), dt.date(2025, 2, 14), 260, 2.5,
        tuple(f for f in _ALL if f not in ("channel", "category"))
        , rules=True),
    "one_month": Shape(dt.date(2025, 3, 1), dt.date(2025, 3, 31), 300, 0.4,
                       _ALL, rules=True),
    "bought_once": Shape(dt.date(2024, 1, 1), dt.date(2024, 12, 31), 700,
                         0.0, _ALL, rules=True),
    "no_prices": Shape(dt.date(2024, 6, 1), dt.date(2025, 1, 31), 260, 2.5,
                       ("product_name", "category", "quantity", "order_ts",
                        "customer_code")),
    "baskets": Shape(dt.date(2024, 1, 1), dt.date(2024, 12, 31), 500, 0.0,
                     ("product_name",)),
}
CATEGORIES = ("Kitchen", "Garden", "Toys", "Books")
CHANNELS = ("Web shop", "Newsletter", "Marketplace")
PRODUCTS = 40
#: the two products many customers buy together
BUNDLE = (3, 17)


def write(shape_name: str, folder: Path, seed: int = 11
          ) -> tuple[Path, Path]:
    """The export of ``shape_name`` and its mapping, in ``folder``."""
    shape = SHAPES[shape_name]
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    days = (shape.last - shape.first).days + 1
    prices = np.round(rng.uniform(3, 60, PRODUCTS), 2)
    popularity = rng.dirichlet(np.full(PRODUCTS, 0.8))
    rows = []
    order = 0
    for customer in range(shape.customers):
        orders = 1 + (rng.poisson(shape.repeat) if shape.repeat else 0)
        channel = CHANNELS[customer % len(CHANNELS)]
        for _ in range(orders):
            order += 1
            when = dt.datetime.combine(
                shape.first + dt.timedelta(days=int(rng.integers(days))),
                dt.time(int(rng.integers(7, 23)), int(rng.integers(60))))
            size = int(rng.integers(1, 5))
            products = {int(p) for p in rng.choice(PRODUCTS, size,
                                                   p=popularity)}
            if rng.random() < 0.3:
                products |= set(BUNDLE)
            status = ("C" if rng.random() < 0.05 else "X"
                      if rng.random() < 0.03 else "")
            for product in sorted(products):
                rows.append({
                    "order_number": f"{status}{100000 + order}",
                    "sku": f"P{product:03d}",
                    "product_name": f"Product {product}",
                    "category": CATEGORIES[product % len(CATEGORIES)],
                    # a return's lines take their goods back
                    "quantity": int(rng.integers(1, 4)) * (
                        -1 if status == "C" and shape.rules else 1),
                    "unit_price": f"{prices[product]:.2f}",
                    "unit_cost": f"{prices[product] * 0.55:.2f}",
                    "order_ts": when.strftime("%Y-%m-%d %H:%M:%S"),
                    "customer_code": f"C{customer:05d}",
                    "country": ("United Kingdom", "France", "Spain")[
                        customer % 3],
                    "channel": channel,
                })
    columns = ("order_number", "sku") + shape.fields
    source = folder / f"{shape_name}.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([row[c] for c in columns] for row in rows)
    mapping = folder / f"{shape_name}.toml"
    lines = [f"name = {json.dumps(shape_name.replace('_', '-'))}",
             "[source]", 'currency = "EUR"', "[fields]"]
    lines += [f"{field} = {json.dumps(field)}"
              for field in ("order_number", "sku") + shape.fields]
    if "customer_code" not in shape.fields:
        lines += ["[rules]", 'missing_customer = "guest"']
    elif shape.rules:
        lines += ["[rules]",
                  'returned_when = { column = "order_number", '
                  'starts_with = ["C"] }',
                  'cancelled_when = { column = "order_number", '
                  'starts_with = ["X"] }']
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return source, mapping
