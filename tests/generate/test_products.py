"""Catalogue.change_days: on any other day dim_product is the day
before's."""

from __future__ import annotations

from datagen import generate
from datagen.params import parse_params


def test_dim_product_changes_only_on_change_days():
    catalogue = generate.plan(parse_params(seed=3, scale=0.1)).catalogue
    days = set(catalogue.change_days(0, catalogue.n_days))
    assert 0 in days and len(days) < catalogue.n_days / 3
    before = catalogue.as_of(0)
    for day in range(1, catalogue.n_days):
        today = catalogue.as_of(day)
        if day not in days:
            assert today.equals(before), day
        before = today
    assert catalogue.change_days(500, 600) == sorted(
        day for day in days if 500 <= day < 600)
