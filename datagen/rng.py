"""Random numbers that do not depend on how the work is chunked.

Every random quantity of an entity (a customer, an order, a line) is derived
from ``k`` uniforms at a fixed position of one numpy ``default_rng`` stream:
entity ``i`` of stream ``s`` reads draws ``i*k .. i*k+k-1`` of
``default_rng([seed, s])``. A block of entities jumps straight to its position
with PCG64's ``advance``, so any split into blocks gives the same numbers.
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


def uniforms(seed: int, stream: int, start: int, n: int, k: int) -> np.ndarray:
    """Uniforms in [0, 1) for entities ``start .. start+n-1``: shape (n, k)."""
    rng = np.random.default_rng([seed, stream])
    rng.bit_generator.advance(start * k)
    return rng.random((n, k))


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


def poisson(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson draws by inverse CDF (exact, vectorised)."""
    mean = np.broadcast_to(np.asarray(mean, dtype=float), u.shape)
    out = np.zeros(u.shape, dtype=np.int64)
    positive = mean > 0
    if positive.any():
        m, p = mean[positive], u[positive]
        # start near the answer with the normal approximation, then walk
        k = np.maximum(np.floor(m + np.sqrt(m) * special.ndtri(
            np.clip(p, 1e-12, 1 - 1e-12))), 0)
        for _ in range(200):
            below = special.pdtr(k - 1, m) > p  # P(X <= k-1) > p: go down
            above = special.pdtr(k, m) <= p     # P(X <= k) <= p: go up
            if not (below.any() or above.any()):
                break
            k = np.where(below, k - 1, np.where(above, k + 1, k))
        out[positive] = k.astype(np.int64)
    return out


def exponential(u: np.ndarray, mean) -> np.ndarray:
    return -np.log1p(-u) * mean


def lognormal_factor(u: np.ndarray, sigma: float) -> np.ndarray:
    """Log-normal multiplier with mean 1."""
    z = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    return np.exp(sigma * z - sigma ** 2 / 2)
