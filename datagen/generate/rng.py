"""Random numbers that do not depend on how the work is chunked.

Every random quantity of an entity (a customer, an order, a line) is derived
from ``k`` uniforms at a fixed position of one numpy ``default_rng`` stream:
entity ``i`` of stream ``s`` reads draws ``i*k .. i*k+k-1`` of
``default_rng([seed, s])``. A block of entities jumps straight to its position
with PCG64's ``advance``, so any split into blocks gives the same numbers.

Entities whose position is not known in advance (the ``k``-th order of a
customer, a customer's ``k``-th change: how many there are depends on how
far the data goes) read ``keyed`` uniforms instead: a hash of (seed,
stream, entity, event) and nothing else, so that what happens up to a day
never depends on what comes after it.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# stream ids: one per kind of entity and purpose; never reuse or renumber
POOLS = 1
PRODUCTS = 2
CUSTOMERS = 3
ORDERS = 4
ORDER_DETAILS = 5
LINES = 6
LINE_COUNTS = 7
ORDER_AMOUNTS = 8
SIGNUP_DAYS = 9
ORDER_GAPS = 10
CUSTOMER_CHANGES = 11


def uniforms(seed: int, stream: int, start: int, n: int, k: int) -> np.ndarray:
    """Uniforms in [0, 1) for entities ``start .. start+n-1``: shape (n, k)."""
    rng = np.random.default_rng([seed, stream])
    rng.bit_generator.advance(start * k)
    return rng.random((n, k))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a bijective avalanche of 64-bit integers."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def keyed(seed: int, stream: int, entity, event, k: int) -> np.ndarray:
    """Uniforms in [0, 1) for each (``entity``, ``event``) pair of ``stream``:
    shape (n, k), each a hash of the seed, the stream, the pair and its
    column only (counter-based: no order, no block size matters)."""
    entity = np.asarray(entity, dtype=np.int64).astype(np.uint64)
    event = np.broadcast_to(np.asarray(event, dtype=np.int64),
                            entity.shape).astype(np.uint64)
    base = _mix(np.array([seed], dtype=np.uint64) ^ _GOLDEN)
    base = _mix(base ^ np.uint64(stream))
    h = _mix(_mix(base ^ entity) + event * _GOLDEN)
    column = (np.arange(1, k + 1, dtype=np.uint64) * _GOLDEN)[None, :]
    bits = _mix(h[:, None] ^ column) >> np.uint64(11)
    return bits * (1.0 / 2 ** 53)


def choice(u: np.ndarray, probabilities) -> np.ndarray:
    """Index drawn by inverse CDF from the (unnormalised) probabilities."""
    cdf = np.cumsum(np.asarray(probabilities, dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"),
                      len(cdf) - 1)


def grouped_choice(u: np.ndarray, group: np.ndarray,
                   weights: np.ndarray) -> np.ndarray:
    """Like ``choice`` with one weight row per group: ``weights[group[i]]``."""
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    width = weights.shape[1]
    flat = (cdf + np.arange(len(weights))[:, None]).ravel()
    idx = np.searchsorted(flat, u + group, side="right") - group * width
    return np.clip(idx, 0, width - 1)


#: at most this many distinct means are drawn through a table of each one's
#: cumulative probabilities (lines per order: one mean per persona)
POISSON_TABLES = 64


def poisson(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson draws by inverse CDF (exact, vectorised): the k with
    P(X <= k-1) <= u < P(X <= k)."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), u.shape)
    out = np.zeros(u.shape, dtype=np.int64)
    positive = mean > 0
    if not positive.any():
        return out
    m, p = mean[positive], u[positive]
    means, which = np.unique(m, return_inverse=True)
    if len(means) <= POISSON_TABLES:
        out[positive] = grouped_poisson(p, which, means)
        return out
    # start near the answer with the normal approximation, then walk, each
    # step looking only at the draws that moved in the last one (the others
    # have arrived)
    k = np.maximum(np.floor(m + np.sqrt(m) * special.ndtri(
        np.clip(p, 1e-12, 1 - 1e-12))), 0)
    walking = np.arange(len(k))
    for _ in range(200):
        kw, mw, pw = k[walking], m[walking], p[walking]
        below = special.pdtr(kw - 1, mw) > pw  # P(X <= k-1) > p: go down
        above = special.pdtr(kw, mw) <= pw     # P(X <= k) <= p: go up
        moved = below | above
        if not moved.any():
            break
        k[walking] = np.where(below, kw - 1, np.where(above, kw + 1, kw))
        walking = walking[moved]
    out[positive] = k.astype(np.int64)
    return out


def grouped_poisson(u: np.ndarray, group: np.ndarray,
                    means: np.ndarray) -> np.ndarray:
    """Like ``poisson(u, means[group])`` for a few positive means: each
    draw searched in its mean's table of P(X <= k)."""
    k = np.empty(len(u), dtype=np.int64)
    for index, value in enumerate(means):
        cdf = special.pdtr(np.arange(_poisson_support(value)), value)
        chosen = group == index
        k[chosen] = np.searchsorted(cdf, u[chosen], side="right")
    return k


def _poisson_support(mean: float) -> int:
    """Terms of the table: up to where P(X <= k) reaches 1 in floating
    point (far beyond any uniform draw below 1)."""
    size = int(mean + 12 * np.sqrt(mean) + 40)
    while special.pdtr(size - 1, mean) < 1.0:
        size *= 2
    return size


def exponential(u: np.ndarray, mean) -> np.ndarray:
    return -np.log1p(-u) * mean


def lognormal_factor(u: np.ndarray, sigma: float) -> np.ndarray:
    """Log-normal multiplier with mean 1."""
    z = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    return np.exp(sigma * z - sigma ** 2 / 2)
