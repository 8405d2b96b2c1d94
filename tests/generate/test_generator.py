"""Determinism: same parameters, same bytes; any chunking, same bytes;
another seed, other data."""

from __future__ import annotations

import numpy as np
import pytest

from datagen.generate import rng
from datagen.warehouse.build import TABLES
from datagen.warehouse.schemas import table_checksum

TRUTH_TABLES = ("customer_persona", "persona", "bundle", "seasonal_category")
SCALE = 0.2


def checksums(conn, schema):
    sums = {t: table_checksum(conn, schema, t) for t in TABLES}
    sums.update({f"truth.{t}": table_checksum(conn, f"{schema}_truth", t)
                 for t in TRUTH_TABLES})
    return sums


def test_uniforms_do_not_depend_on_blocks():
    whole = rng.uniforms(5, rng.LINES, 0, 1000, 3)
    pieces = np.vstack([rng.uniforms(5, rng.LINES, start, size, 3)
                        for start, size in ((0, 1), (1, 333), (334, 666))])
    assert np.array_equal(whole, pieces)


def test_poisson_inverse_cdf_matches_its_mean():
    u = rng.uniforms(1, 99, 0, 100_000, 1)[:, 0]
    for mean in (0.3, 4.0, 40.0):
        draws = rng.poisson(u, mean)
        assert abs(draws.mean() - mean) < 0.05 * mean + 0.01
        assert abs(draws.var() - mean) < 0.1 * mean + 0.02


def test_same_parameters_give_byte_identical_tables(conn, warehouse):
    first = warehouse(seed=11, scale=SCALE, schema="det_a")
    second = warehouse(seed=11, scale=SCALE, schema="det_b")
    assert checksums(conn, first) == checksums(conn, second)


@pytest.mark.parametrize("chunk", [1_000, 7_777])
def test_chunk_size_does_not_change_the_data(conn, warehouse, chunk):
    reference = warehouse(seed=11, scale=SCALE, schema="det_a")
    chunked = warehouse(seed=11, scale=SCALE, schema=f"det_chunk_{chunk}",
                        chunk_orders=chunk)
    assert checksums(conn, chunked) == checksums(conn, reference)


def test_another_seed_gives_other_data(conn, warehouse):
    a = checksums(conn, warehouse(seed=11, scale=SCALE, schema="det_a"))
    b = checksums(conn, warehouse(seed=12, scale=SCALE, schema="det_seed12"))
    for table in ("dim_customer", "dim_product", "fact_order",
                  "fact_order_item", "truth.customer_persona"):
        assert a[table] != b[table], table


def test_scale_sets_the_size(conn, warehouse):
    schema = warehouse()  # scale 1
    counts = dict(conn.execute(f"""
        select 'customers', count(*) from {schema}.dim_customer
        union all select 'products', count(*) from {schema}.dim_product
        union all select 'orders', count(*) from {schema}.fact_order
        union all select 'categories', count(distinct category)
                  from {schema}.dim_product
        union all select 'channels', count(*) from {schema}.dim_channel
        union all select 'channel_groups', count(distinct channel_group)
                  from {schema}.dim_channel"""))
    # each day draws its own sign-ups: about 10,000 over the three default
    # years, not exactly (a Poisson count with mean 10,000: sd 100)
    assert 9_500 <= counts["customers"] <= 10_500
    assert counts["products"] == 250
    assert 50_000 <= counts["orders"] <= 70_000
    assert counts["categories"] >= 6
    assert counts["channels"] == 8 and counts["channel_groups"] == 3


def test_scale_2_chunked_equals_unchunked(conn, warehouse):
    """Issue 6's guard for the streamed path: small blocks at scale 2 give
    the same bytes as one block holding every order."""
    whole = warehouse(seed=5, scale=2, schema="det_x2_whole",
                      chunk_orders=10 ** 9)
    chunked = warehouse(seed=5, scale=2, schema="det_x2_chunked",
                        chunk_orders=9_973)
    assert checksums(conn, chunked) == checksums(conn, whole)
