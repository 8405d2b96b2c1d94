"""status.status_changes gives the cancellations and returns that
lines.block gives, without drawing the lines of most orders."""

from __future__ import annotations

import numpy as np
import pytest

from datagen import generate
from datagen.generate import status
from datagen.params import parse_params


@pytest.mark.parametrize("seed,after", [(5, "2024-03-10"), (9, "2025-12-01")])
def test_status_changes_are_the_blocks(seed, after):
    plan = generate.plan(parse_params(seed=seed, scale=0.5))
    first = plan.n_orders // 2
    orders = plan.block(first, plan.n_orders).orders
    after = np.datetime64(after, "s")
    expected = {}
    for fate, column in ((1, "cancelled_ts"), (2, "returned_ts")):
        at = orders[column].to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(~np.isnat(at) & (at >= after)):
            expected[first + i] = (fate, at[i])
    index, fate, changed_at = status.status_changes(
        plan.lines, first, plan.n_orders, after)
    assert dict(zip(index, zip(fate, changed_at))) == expected
    assert len(index) == len(expected) > 50
