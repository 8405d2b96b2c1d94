"""Probabilistic customer lifetime value: the BG/NBD model of repeat
purchases and the Gamma-Gamma model of spend.

- ``summarise``: a customer's purchases as the models read them, the
  definitions of Fader, Hardie & Lee (2005): frequency, recency, T and the
  purchases of a holdout period, in weeks unless told otherwise;
- ``fit_bgnbd``: the BG/NBD parameters ``r, alpha, a, b`` by maximum
  likelihood (FHL 2005, eq. 6, its logarithm in closed form with its
  gradient, both vectorised); purchase rates are Gamma(r, alpha) across
  customers, the probability of dropping out after each repeat purchase is
  Beta(a, b);
- ``p_alive`` (Fader, Hardie & Lee's note "Computing P(alive) Using the
  BG/NBD Model"), ``expected_purchases`` (the conditional
  expectation over the next ``t`` periods, eq. 10) and
  ``expected_purchases_unconditional`` (eq. 7, a new customer's repeat
  purchases in their first ``t`` periods: the cumulative curve) and
  ``expected_rate`` (a customer's purchase rate while active, given
  their history);
- ``fit_gamma_gamma``: the Gamma-Gamma parameters ``p, q, gamma`` on the
  customers with a repeat purchase (Fader & Hardie, "The Gamma-Gamma Model
  of Monetary Value", 2013), ``expected_avg_value`` and ``predicted_clv``.

Every fit works on the distinct rows of its data with their counts as
weights (customers who bought on the same days share a row), so a fit of
200,000 customers takes well under a second. A fit that cannot run raises
``ModelError`` with one line naming what is wrong.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special

from ..errors import DatagenError

#: days in the models' unit of time: weeks, as in the paper
WEEK = 7.0
#: the fewest customers a fit accepts (for the Gamma-Gamma model: the
#: fewest with a repeat purchase): four or three parameters drawn from
#: fewer say nothing worth printing
MIN_CUSTOMERS = 20
#: the optimiser works on the logarithms of the parameters, inside these
#: bounds (a parameter of e^-20 or e^20 is a boundary the data pushed it to)
LOG_BOUNDS = (-20.0, 20.0)


class ModelError(DatagenError, ValueError):
    """A model cannot be fitted to these data; the message says why."""


@dataclasses.dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters: purchase rates Gamma(shape ``r``, rate
    ``alpha``, in the time unit of the data), the probability of dropping
    out after a repeat purchase Beta(``a``, ``b``); with the number of
    customers fitted and the log-likelihood reached."""

    r: float
    alpha: float
    a: float
    b: float
    customers: int
    log_likelihood: float


@dataclasses.dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters: a transaction's value is Gamma(``p``,
    rate ``nu``) for a customer, ``nu`` is Gamma(``q``, rate ``gamma``)
    across customers; the mean spend is ``p * gamma / (q - 1)``."""

    p: float
    q: float
    gamma: float
    customers: int
    log_likelihood: float

    @property
    def mean_value(self) -> float:
        """The population's mean transaction value (infinite if q <= 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else np.inf


# --- the summary -----------------------------------------------------------------


def summarise(transactions: pd.DataFrame, calibration_end, holdout_end, *,
              customer: str = "customer_id", date: str = "date",
              value: str | None = None, unit_days: float = WEEK
              ) -> pd.DataFrame:
    """One row per customer as the models read them (FHL 2005).

    ``transactions``: one row per purchase (``customer``, ``date``, and
    ``value`` if given); a date's time of day is dropped. All the rows of a
    customer on one day are one purchase occasion (their values summed).
    The calibration period runs to ``calibration_end`` *included*; the
    holdout period from the next day to ``holdout_end`` included; rows
    after ``holdout_end`` are left out. Only customers whose first occasion
    is on or before ``calibration_end`` are summarised.

    Columns, times in units of ``unit_days`` days (weeks by default):

    - ``frequency``: repeat occasions in the calibration period (its
      occasions less the first);
    - ``recency`` (t_x): from the first to the last occasion in it;
    - ``T``: from the first occasion to ``calibration_end``, that end day
      excluded: ``(calibration_end - first day).days / unit_days`` (a
      customer who first bought on the end day has T = 0; an occasion on
      the end day has t_x = T). With a calibration of 39 weeks that starts
      on 1997-01-01 and ends on 1997-09-30, a first purchase on 1997-01-01
      has T = 272 / 7 = 38.86, as in the paper;
    - ``holdout_purchases``: occasions after ``calibration_end`` up to
      ``holdout_end``;
    - ``first_purchase``: the day of the first occasion;
    - ``avg_value`` (with ``value``): the mean value of the repeat
      occasions in the calibration period (the first occasion left out, as
      the Gamma-Gamma model reads it); 0 for a customer without one.
    """
    calibration = _day(calibration_end, "calibration_end")
    holdout = _day(holdout_end, "holdout_end")
    if holdout < calibration:
        raise ModelError(f"holdout_end {holdout:%Y-%m-%d} is before "
                         f"calibration_end {calibration:%Y-%m-%d}")
    if not unit_days > 0:
        raise ModelError(f"unit_days must be positive, not {unit_days}")
    missing = [c for c in (customer, date, value)
               if c is not None and c not in transactions.columns]
    if missing:
        raise ModelError("the transactions have no column "
                         + ", ".join(map(repr, missing)))
    days = pd.DatetimeIndex(pd.to_datetime(transactions[date].to_numpy()))
    if days.tz is not None:  # the day where the purchase was made
        days = days.tz_localize(None)
    frame = pd.DataFrame({"customer": transactions[customer].to_numpy(),
                          "day": days.normalize()})
    if value is not None:
        frame["value"] = pd.to_numeric(transactions[value]).to_numpy(float)
    unknown = int(frame["day"].isna().sum() + frame["customer"].isna().sum())
    if unknown:
        raise ModelError(f"{unknown} purchases have no customer or no date")
    frame = frame[frame["day"] <= holdout]
    grouped = frame.groupby(["customer", "day"], sort=True)
    occasions = (grouped["value"].sum() if value is not None
                 else grouped.size()).rename("value").reset_index()
    first = occasions.groupby("customer")["day"].transform("min")
    occasions = occasions[first <= calibration]
    first = first[first <= calibration]
    in_calibration = occasions["day"] <= calibration
    calibrated = occasions[in_calibration].groupby("customer")["day"]
    start, last = calibrated.min(), calibrated.max()
    out = pd.DataFrame({
        "frequency": calibrated.size() - 1,
        "recency": (last - start).dt.days / unit_days,
        "T": (calibration - start).dt.days / unit_days,
    })
    out["holdout_purchases"] = occasions[~in_calibration].groupby(
        "customer").size().reindex(out.index, fill_value=0).astype(int)
    out["first_purchase"] = start
    if value is not None:
        repeat = occasions[in_calibration & (occasions["day"] > first)]
        out["avg_value"] = repeat.groupby("customer")["value"].mean(
        ).reindex(out.index, fill_value=0.0)
    out.index.name = customer
    return out


def _day(when, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(when)
    except (TypeError, ValueError) as error:
        raise ModelError(f"{name} is not a date: {when!r}") from error
    if pd.isna(day):
        raise ModelError(f"{name} is not a date: {when!r}")
    return day.normalize()


# --- BG/NBD ----------------------------------------------------------------------


def _customers(frequency, recency, T) -> tuple[np.ndarray, ...]:
    """The three columns as float arrays, checked."""
    x, tx, t = (np.asarray(v, dtype=float).ravel()
                for v in (frequency, recency, T))
    if not len(x) == len(tx) == len(t):
        raise ModelError(f"frequency, recency and T differ in length: "
                         f"{len(x)}, {len(tx)}, {len(t)}")
    checks = (
        (~np.isfinite(x) | ~np.isfinite(tx) | ~np.isfinite(t),
         "a missing or infinite frequency, recency or T"),
        ((x < 0) | (x != np.round(x)), "a frequency that is not a count"),
        ((tx < 0) | (tx > t), "a recency outside 0..T"),
        ((x == 0) & (tx != 0), "a recency without a repeat purchase"),
    )
    for bad, what in checks:
        if n := int(bad.sum()):
            raise ModelError(f"{n} of {len(x)} customers have {what}")
    return x, tx, t


def _distinct(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the columns and how many times each occurs
    (one sort of the rows, then where any column changes)."""
    order = np.lexsort(columns[::-1])
    ordered = [c[order] for c in columns]
    change = np.ones(len(order), dtype=bool)
    change[1:] = np.any([c[1:] != c[:-1] for c in ordered], axis=0)
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, len(order))).astype(float)
    return [c[starts] for c in ordered], counts


@dataclasses.dataclass(frozen=True)
class _BgNbdRows:
    """A BG/NBD fit's data, each distinct row once with its customers
    (``w``): the distinct frequencies ``xu`` and their customers ``wx``
    (the likelihood's gamma functions depend on x alone); the distinct T
    of the customers without a repeat purchase (``t0``, ``w0``: their
    likelihood's last term is theirs alone); the distinct (x, t_x, T) of
    the others."""

    xu: np.ndarray
    wx: np.ndarray
    t0: np.ndarray
    w0: np.ndarray
    x: np.ndarray
    tx: np.ndarray
    t: np.ndarray
    w: np.ndarray

    @classmethod
    def of(cls, x, tx, t) -> _BgNbdRows:
        xu, wx = np.unique(x, return_counts=True)
        repeat = x > 0
        (t0,), w0 = _distinct(t[~repeat])
        (xr, txr, tr), w = _distinct(x[repeat], tx[repeat], t[repeat])
        return cls(xu, wx.astype(float), t0, w0, xr, txr, tr, w)


def _bgnbd_objective(theta, rows: _BgNbdRows):
    """Minus the mean log-likelihood (FHL 2005, eq. 6) and its gradient in
    the log-parameters."""
    r, alpha, a, b = np.exp(theta)
    xu, wx, x, tx, t = rows.xu, rows.wx, rows.x, rows.tx, rows.t
    total = wx.sum()
    ln_alpha = np.log(alpha)
    # the terms of x alone, once per distinct frequency
    per_x = (special.gammaln(r + xu) - special.gammaln(r) + r * ln_alpha
             + special.gammaln(a + b) + special.gammaln(b + xu)
             - special.gammaln(b) - special.gammaln(a + b + xu))
    psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + xu)
    d_r = special.digamma(r + xu) - special.digamma(r) + ln_alpha
    d_a = psi_ab - psi_abx
    d_b = psi_ab + special.digamma(b + xu) - special.digamma(b) - psi_abx
    # no repeat purchase: the last term is -r ln(alpha + T)
    ln_t0 = np.log(alpha + rows.t0)
    none = (ln_t0 * rows.w0).sum()
    # a repeat purchase: alive at T, or dropped out just after t_x
    rx = r + x
    ln_t, ln_tx = np.log(alpha + t), np.log(alpha + tx)
    b_x = b + x - 1
    a3 = -rx * ln_t
    a4 = np.log(a) - np.log(b_x) - rx * ln_tx
    tail = np.logaddexp(a3, a4)
    # each row's customers split between the two terms; sums of products
    # rather than dot products, which BLAS spreads over threads that cost
    # more than they save on a busy machine
    w3 = np.exp(a3 - tail) * rows.w
    w4 = rows.w - w3
    log_likelihood = (per_x * wx).sum() - r * none + (tail * rows.w).sum()
    grad = np.array([
        r * ((d_r * wx).sum() - none
             - (w3 * ln_t + w4 * ln_tx).sum()),
        r * total - alpha * (r * (rows.w0 / (alpha + rows.t0)).sum()
                             + (rx * (w3 / (alpha + t) + w4 / (alpha + tx))
                                ).sum()),
        a * (d_a * wx).sum() + w4.sum(),
        b * ((d_b * wx).sum() - (w4 / b_x).sum()),
    ])
    return -log_likelihood / total, -grad / total


def _maximise(objective, start, args, what: str) -> optimize.OptimizeResult:
    """L-BFGS-B on the log-parameters with the analytic gradient and tight
    tolerances, then once more from where it stopped (the polish: a fresh
    start of its curvature estimate, which costs a few evaluations and
    moves the result only where the first run stopped early)."""
    bounds = [LOG_BOUNDS] * len(start)
    options = {"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9}
    result = optimize.minimize(objective, start, args=args, jac=True,
                               method="L-BFGS-B", bounds=bounds,
                               options=options)
    result = optimize.minimize(objective, result.x, args=args, jac=True,
                               method="L-BFGS-B", bounds=bounds,
                               options=options)
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ModelError(f"the {what} fit did not converge: {result.message}")
    return result


def fit_bgnbd(frequency, recency, T) -> BgNbd:
    """The BG/NBD parameters of these customers by maximum likelihood.

    ``frequency`` (repeat purchases), ``recency`` and ``T`` as
    ``summarise`` gives them, one value per customer. The likelihood is
    maximised over the logarithms of r, alpha, a, b (so they stay
    positive), from a start that scales alpha to the data's time unit: r =
    1 and alpha = T's sum over the repeat purchases' (a mean rate of
    purchase), a = b = 1. Raises ``ModelError`` with fewer than
    ``MIN_CUSTOMERS`` customers or without a repeat purchase, where the
    parameters are not identified.
    """
    x, tx, t = _customers(frequency, recency, T)
    if len(x) < MIN_CUSTOMERS:
        raise ModelError(f"the BG/NBD fit needs at least {MIN_CUSTOMERS} "
                         f"customers; it was given {len(x)}")
    if not (x > 0).any():
        raise ModelError(f"the BG/NBD fit needs a customer with a repeat "
                         f"purchase; none of the {len(x)} has one")
    alpha = max(t.sum(), 1e-9) / x.sum()
    start = np.log([1.0, alpha, 1.0, 1.0])
    result = _maximise(_bgnbd_objective, start, (_BgNbdRows.of(x, tx, t),),
                       "BG/NBD")
    r, alpha, a, b = np.exp(result.x)
    return BgNbd(r=float(r), alpha=float(alpha), a=float(a), b=float(b),
                 customers=len(x),
                 log_likelihood=float(-result.fun * len(x)))


def _arrays(*values):
    return np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))


def p_alive(params: BgNbd, frequency, recency, T) -> np.ndarray:
    """P(a customer is still active at T | x, t_x, T) (the note "Computing
    P(alive) Using the BG/NBD Model"): 1 for a customer without a repeat
    purchase (in the BG/NBD, a customer drops out only just after a repeat
    purchase)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, tx, t = _arrays(frequency, recency, T)
    xs = np.maximum(x, 1.0)
    log_odds = (np.log(a) - np.log(b + xs - 1)
                + (r + x) * (np.log(alpha + t) - np.log(alpha + tx)))
    return np.where(x > 0, special.expit(-log_odds), 1.0)


def expected_purchases(t, params: BgNbd, frequency, recency, T
                       ) -> np.ndarray:
    """E[purchases in the next ``t`` periods | x, t_x, T] (FHL 2005,
    eq. 10): P(alive) times what an active customer buys (``_bracket``
    with k = r + x, Beta(a, b + x) and tau = t / (alpha + T))."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t, x, tx, big_t = _arrays(t, frequency, recency, T)
    return (_bracket(r + x, a, b + x, t / (alpha + big_t))
            * p_alive(params, x, tx, big_t))


def expected_rate(params: BgNbd, frequency, recency, T) -> np.ndarray:
    """E[lambda | x, t_x, T]: a customer's purchase rate while active, per
    period, given their history. Alive at T, lambda's posterior is
    Gamma(r + x, alpha + T); gone since their last purchase, Gamma(r + x,
    alpha + t_x); the mean of each weighted by ``p_alive``."""
    r, alpha = params.r, params.alpha
    x, tx, t = _arrays(frequency, recency, T)
    alive = p_alive(params, x, tx, t)
    return (r + x) * (alive / (alpha + t) + (1 - alive) / (alpha + tx))


def expected_purchases_unconditional(t, params: BgNbd) -> np.ndarray:
    """E[X(t)]: a new customer's expected repeat purchases in their first
    ``t`` periods (FHL 2005, eq. 7; ``_bracket`` with k = r, Beta(a, b)
    and tau = t / alpha). The cohort's cumulative repeat purchases at a
    date are its sum over the customers, each at the time since their
    first purchase."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    (t,) = _arrays(t)
    return _bracket(r, a, b, t / alpha)


#: Gauss nodes of the quadrature ``_bracket`` falls back on: exact for
#: polynomials of degree 127; the integrand's pole at p = -1/tau keeps the
#: error below 1e-7 (relative, against mpmath) up to tau = 100 for a
#: customer of tens of purchases, where a shop's customers are; one of
#: hundreds of purchases looking ahead tens of times alpha + T is off by up
#: to 1 %
QUADRATURE_NODES = 64
#: how closely the two closed forms of ``_bracket`` must agree to be taken
AGREE = 1e-8


def _bracket(k, a: float, beta, tau) -> np.ndarray:
    """E over p ~ Beta(a, beta) of (1 - (1 + p tau)^-k) / p: the purchases
    an active customer makes in the coming period (k = r + x, beta = b + x,
    tau = the period over alpha + T; k = r, beta = b, tau = the period
    over alpha for a new customer).

    In closed form, c = a + beta - 1, it is (FHL 2005, eqs. 7 and 10)

        c / (a-1) * (1 - (1+tau)^-k 2F1(k, beta; c; tau / (1+tau)))

    and, by Pfaff's transformation, c / (a-1) * (1 - 2F1(a-1, k; c;
    -tau)). Both go through ``scipy.special.hyp2f1``, and both fail in
    places: the first overflows for a customer of hundreds of purchases
    over a period longer than alpha + T; the second loses its digits when
    a runs to millions (a fit that finds every customer's drop-out
    probability the same) or x to hundreds; both divide 0 by 0 at a = 1.
    Where the two agree to ``AGREE`` and lie between the integrand's
    bounds, 1 - (1 + tau)^-k (at p = 1) and k tau (at p = 0), the value
    is theirs (every CDNOW customer); elsewhere the integral is taken by
    Gauss-Jacobi quadrature over the Beta density, which has none of these
    failures (tests/models/test_clv.py checks both against each other and
    against mpmath's values).
    """
    k, beta, tau = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                         for v in (k, beta, tau)))
    c = a + beta - 1
    with np.errstate(all="ignore"):
        scale = c / (a - 1)
        paper = scale * (1 - np.exp(-k * np.log1p(tau))
                         * special.hyp2f1(k, beta, c, tau / (1 + tau)))
        pfaff = scale * (1 - special.hyp2f1(a - 1, k, c, -tau))
        low = -np.expm1(-k * np.log1p(tau))
        good = (np.isfinite(pfaff) & (np.abs(pfaff - paper)
                                      <= AGREE * np.abs(pfaff))
                & (pfaff >= low * (1 - AGREE))
                & (pfaff <= k * tau * (1 + AGREE)))
    out = np.where(good, pfaff, 0.0)
    if not good.all():
        out[~good] = _bracket_by_quadrature(k[~good], a, beta[~good],
                                            tau[~good])
    return out


def _bracket_by_quadrature(k, a: float, beta, tau) -> np.ndarray:
    """``_bracket`` by Gauss quadrature: the nodes and weights of Beta(a,
    beta) for each distinct ``beta`` (Golub-Welsch on the Jacobi matrix of
    the Jacobi polynomials, weights normalised to sum to 1)."""
    out = np.empty(len(k))
    for value in np.unique(beta):
        rows = np.flatnonzero(beta == value)
        p, weight = _beta_nodes(a, value, QUADRATURE_NODES)
        for chunk in np.array_split(rows, max(1, len(rows) // 8192)):
            h = -np.expm1(-k[chunk, None] * np.log1p(tau[chunk, None] * p))
            out[chunk] = (h / p * weight).sum(axis=1)
    return out


def _beta_nodes(a: float, beta: float, n: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Gauss quadrature of Beta(a, beta) on [0, 1]: n nodes and weights
    that sum to 1 (the Jacobi weight (1-u)^(beta-1) (1+u)^(a-1) on
    [-1, 1], p = (1 + u) / 2; valid for any a, beta > 0, however large)."""
    up, down = beta - 1.0, a - 1.0
    j = np.arange(n, dtype=float)
    s = 2 * j + up + down
    with np.errstate(divide="ignore", invalid="ignore"):
        diagonal = (down ** 2 - up ** 2) / (s * (s + 2))
    diagonal[0] = (down - up) / (up + down + 2)
    j = j[1:]
    s = s[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.sqrt(4 * j * (j + up) * (j + down) * (j + up + down)
                      / (s ** 2 * (s + 1) * (s - 1)))
    # the first, with its factor (1 + up + down) cancelled (it may be 0)
    off[0] = np.sqrt(4 * (1 + up) * (1 + down)
                     / ((2 + up + down) ** 2 * (3 + up + down)))
    u, vectors = linalg.eigh_tridiagonal(diagonal, off)
    # a node may round to 0 for a tiny a; the integrand's limit there is
    # k tau, which the smallest positive number gives
    return np.maximum((1 + u) / 2, np.finfo(float).tiny), vectors[0] ** 2


# --- Gamma-Gamma -----------------------------------------------------------------


def _gamma_gamma_objective(theta, x, m, weight, xu, xi, wx):
    """Minus the mean log-likelihood of the Gamma-Gamma model (Fader &
    Hardie 2013) and its gradient in the log-parameters, over the distinct
    (x, m) rows with their ``weight``; the gamma functions depend on x
    alone and are taken once per distinct frequency ``xu`` (``xi`` a row's
    index into it, ``wx`` its customers)."""
    p, q, gamma = np.exp(theta)
    pxu = p * xu
    per_x = (special.gammaln(pxu + q) - special.gammaln(pxu)
             - special.gammaln(q) + q * np.log(gamma) + pxu * np.log(xu))
    psi_u = special.digamma(pxu + q)
    d_p = xu * (psi_u - special.digamma(pxu) + np.log(xu))
    d_q = psi_u - special.digamma(q) + np.log(gamma)
    px = pxu[xi]
    log_m = np.log(m)
    spent = gamma + x * m
    log_spent = np.log(spent)
    rows = (px - 1) * log_m - (px + q) * log_spent
    total = weight.sum()
    grad = np.array([
        p * ((d_p * wx).sum() + (x * (log_m - log_spent) * weight).sum()),
        q * ((d_q * wx).sum() - (log_spent * weight).sum()),
        gamma * (q * total / gamma - ((px + q) / spent * weight).sum()),
    ])
    return -((per_x * wx).sum() + (rows * weight).sum()) / total, \
        -grad / total


def fit_gamma_gamma(frequency, avg_value) -> GammaGamma:
    """The Gamma-Gamma parameters by maximum likelihood, on the customers
    with at least one repeat purchase: ``avg_value`` is the mean value of
    their ``frequency`` repeat purchases (``summarise``'s ``avg_value``);
    the others are left out. Raises ``ModelError`` with fewer than
    ``MIN_CUSTOMERS`` of them or a mean value that is not positive."""
    x = np.asarray(frequency, dtype=float).ravel()
    m = np.asarray(avg_value, dtype=float).ravel()
    if len(x) != len(m):
        raise ModelError(f"frequency and avg_value differ in length: "
                         f"{len(x)}, {len(m)}")
    repeat = np.isfinite(x) & (x >= 1)
    x, m = x[repeat], m[repeat]
    if len(x) < MIN_CUSTOMERS:
        raise ModelError(f"the Gamma-Gamma fit needs at least "
                         f"{MIN_CUSTOMERS} customers with a repeat purchase; "
                         f"it was given {len(x)}")
    if n := int((~np.isfinite(m) | (m <= 0)).sum()):
        raise ModelError(f"{n} of the {len(x)} repeat customers have an "
                         f"average value that is not positive")
    columns, weight = _distinct(x, m)
    xu, xi = np.unique(columns[0], return_inverse=True)
    wx = np.bincount(xi, weights=weight)
    start = np.log([1.0, 2.0, float(np.mean(m))])
    result = _maximise(_gamma_gamma_objective, start,
                       (*columns, weight, xu, xi, wx), "Gamma-Gamma")
    p, q, gamma = np.exp(result.x)
    return GammaGamma(p=float(p), q=float(q), gamma=float(gamma),
                      customers=len(x),
                      log_likelihood=float(-result.fun * weight.sum()))


def expected_avg_value(params: GammaGamma, frequency, avg_value
                       ) -> np.ndarray:
    """E[a customer's mean transaction value | x, m_x] (Fader & Hardie
    2013): a weighted mean of the population's mean and the
    customer's own; the population's mean for a customer without a repeat
    purchase. Raises ``ModelError`` when q <= 1 (no finite mean)."""
    p, q, gamma = params.p, params.q, params.gamma
    if q <= 1:
        raise ModelError(f"the Gamma-Gamma mean spend is infinite: "
                         f"q = {q:.3f} <= 1")
    x, m = _arrays(frequency, avg_value)
    own = p * (gamma + x * np.where(x > 0, m, 0.0)) / (p * x + q - 1)
    return np.where(x > 0, own, params.mean_value)


def predicted_clv(bgnbd: BgNbd, gamma_gamma: GammaGamma, horizon,
                  frequency, recency, T, avg_value) -> np.ndarray:
    """A customer's predicted value over the next ``horizon`` periods:
    expected purchases times expected mean value, *undiscounted* (over a
    horizon of months a discount changes it by a few percent at most; a
    caller who wants one applies it)."""
    return (expected_purchases(horizon, bgnbd, frequency, recency, T)
            * expected_avg_value(gamma_gamma, frequency, avg_value))
