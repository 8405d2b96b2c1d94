"""A normalised export of four files, made up for P5's memory figure.

Owns ``several_files``: order lines, orders, products and customers in
four CSV files joined by their ids, with the mapping that reads them
(``[orders]``, ``[products]``, ``[customers]``), of about ``total`` lines
in all (seven in ten of them order lines), drawn with numpy from a seed.
Its data means nothing: it is there to be imported at two sizes and to
show that the import's memory does not grow with the lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

#: the share of each file in the lines of the export
SHARES = {"lines": 0.70, "orders": 0.16, "products": 0.04,
          "customers": 0.10}
MAPPING = """name = "four-files"
description = "a made-up normalised export (bench P5)"
[source]
currency = "EUR"
[fields]
order_number = "order_id"
sku = "product_id"
quantity = "qty"
unit_price = "price"
[orders]
path = "orders.csv"
[orders.fields]
order_number = "order_id"
customer_code = "customer_id"
order_ts = "ordered_at"
status = { column = "state", completed = ["delivered"], returned = [
    "returned",
], cancelled = ["canceled"] }
[products]
path = "products.csv"
[products.fields]
sku = "product_id"
product_name = "name"
category = "department"
[customers]
path = "customers.csv"
[customers.fields]
customer_code = "customer_id"
full_name = "name"
country = "country"
"""


def _write(table: dict, path: Path) -> None:
    pa_csv.write_csv(pa.table(table), path)


def several_files(folder: Path, total: int, seed: int = 7) -> dict:
    """Write the four files and ``mapping.toml`` into ``folder``; returns
    the paths (``lines``, ``mapping``) and each file's lines."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    count = {name: max(1, int(total * share))
             for name, share in SHARES.items()}
    customers = np.arange(count["customers"])
    _write({"customer_id": customers.astype(str),
            "name": np.char.add("Customer ", customers.astype(str)),
            "country": np.array(["DE", "FR", "NL", "PL"])[customers % 4]},
           folder / "customers.csv")
    products = np.arange(count["products"])
    _write({"product_id": products.astype(str),
            "name": np.char.add("Product ", products.astype(str)),
            "department": np.array(["Food", "Home", "Toys"])[products % 3]},
           folder / "products.csv")
    orders = np.arange(count["orders"])
    start = np.datetime64("2023-01-01T00:00:00")
    seconds = np.sort(rng.integers(0, 2 * 365 * 86400, len(orders)))
    _write({"order_id": orders.astype(str),
            "customer_id": rng.integers(0, len(customers),
                                        len(orders)).astype(str),
            "ordered_at": (start + seconds).astype(str),
            "state": rng.choice(["delivered", "returned", "canceled"],
                                len(orders), p=[0.92, 0.05, 0.03])},
           folder / "orders.csv")
    lines = count["lines"]
    _write({"order_id": np.sort(rng.integers(0, len(orders),
                                             lines)).astype(str),
            "product_id": rng.integers(0, len(products), lines).astype(str),
            "qty": rng.integers(1, 6, lines),
            "price": np.round(rng.uniform(0.5, 80, lines), 2)},
           folder / "order_lines.csv")
    (folder / "mapping.toml").write_text(MAPPING)
    return {"lines": folder / "order_lines.csv",
            "mapping": folder / "mapping.toml", "counts": count,
            "total": sum(count.values())}
