"""Money as the generator holds it: integer cents, and the exact decimals
they are written as.

Owns which columns of each table are money (``MONEY``) and turning cents
into Arrow ``decimal128(12, 2)`` (``cents_to_decimal``): the warehouse's
COPY (``warehouse.copy_text``) and the feed on disk (``feed``) both write
money this way.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

#: money columns of each table, held in integer cents until written
MONEY = {
    "dim_product": ("unit_cost", "list_price"),
    "fact_order": ("items_subtotal", "discount_amount", "shipping_amount",
                   "tax_amount", "order_total"),
    "fact_order_item": ("unit_price", "unit_cost", "discount_amount",
                        "net_amount"),
}
DECIMAL = pa.decimal128(12, 2)


def cents_to_decimal(cents) -> pa.Array:
    """Integer cents as ``decimal128(12, 2)`` (its unscaled value is the
    cents: two little-endian int64 words, low then sign)."""
    values = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(values), 2), dtype="<i8")
    words[:, 0] = values
    words[:, 1] = np.where(values < 0, -1, 0)
    return pa.Array.from_buffers(DECIMAL, len(values),
                                 [None, pa.py_buffer(words)])
