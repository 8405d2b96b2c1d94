"""Loading: what COPY receives is exactly what was generated."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa

from datagen.warehouse import copy_text


def test_cents_become_exact_decimals():
    cents = np.array([0, 1, 9, 10, 99, 100, 12345, 999_999_999_999, -5])
    assert copy_text.cents_to_decimal(cents).to_pylist() == [
        Decimal(int(c)) / 100 for c in cents]


def test_csv_for_copy_writes_money_as_decimals():
    table = pa.table({"order_id": [1, 2], "quantity": [3, 1],
                      "unit_price": [1999, 5], "net_amount": [5997, 5]})
    assert copy_text.csv_bytes("fact_order_item", table) == (
        b"1,3,19.99,59.97\n2,1,0.05,0.05\n")
