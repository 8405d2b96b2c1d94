"""The book's statistical methods, shared by the chapters that use them.

Owns the methods that more than one chapter applies (the chapter that
checks them against the truth must apply exactly the same ones): the
seasonal index and the stated measure of a seasonal category, K-Means on
log RFM features with clusters named by their centroids, the Holt-Winters
forecast with its holdout backtest (scored by MASE against the
seasonal-naive forecast, and by how many held-out months its prediction
intervals hold), and the yearly growth of a monthly count. Functions take
data frames of query results and return plain values or frames; none reads
the database.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

# --- seasonality -----------------------------------------------------------------

#: a category is seasonal when, in its best run of this many consecutive
#: calendar months, its share of the units the shop sells is at least
#: SEASONAL_THRESHOLD times its average share
SEASON_MONTHS = 3
SEASONAL_THRESHOLD = 1.2
#: months of data needed before a category is called seasonal (two years:
#: with less, a season cannot be told from a trend or a one-off)
MIN_MONTHS_FOR_SEASONS = 24


def months_of_data(monthly: pd.DataFrame) -> int:
    """How many distinct months ``monthly`` covers."""
    return int(pd.to_datetime(monthly["month"]).nunique())


def seasonal_index(monthly: pd.DataFrame, value: str = "units"
                   ) -> pd.DataFrame:
    """Category x calendar month seasonal index (1 = the category's normal).

    ``monthly``: month, category and ``value`` (units sold by default), one
    row per month and category. For each month, a category's share of the
    shop's total is divided by the category's average share over all
    months; the index of a calendar month is the mean over the years.
    Dividing by the shop's total removes the shop-wide growth and peaks, so
    the index shows a category's own season; units rather than revenue, so
    that a few expensive items sold in a month do not pass for a season.
    Range [0, inf), mean about 1 per category. (A category's peak lowers the
    others' shares a little: with eight categories of similar size, by a
    few percent.)
    """
    frame = monthly.assign(
        month=pd.to_datetime(monthly["month"]),
        **{value: monthly[value].astype(float)})
    pivot = frame.pivot_table(index="month", columns="category",
                              values=value, aggfunc="sum", fill_value=0.0)
    share = pivot.div(pivot.sum(axis=1).replace(0, np.nan), axis=0)
    relative = share / share.mean()
    by_month = relative.groupby(relative.index.month).mean()
    by_month.index.name = "calendar_month"
    return by_month.T.reindex(columns=range(1, 13))


def peak_seasons(index: pd.DataFrame, months: int = SEASON_MONTHS,
                 threshold: float = SEASONAL_THRESHOLD) -> pd.DataFrame:
    """Each category's best run of ``months`` consecutive calendar months.

    Returns one row per category: peak_months (list of month numbers, the
    run wraps around the year end), peak_index (mean index over the run),
    peak_month (the single month with the highest index) and seasonal
    (peak_index >= threshold), sorted by peak_index, highest first.
    """
    rows = []
    for category, values in index.iterrows():
        values = values.fillna(1.0).to_numpy()
        best_start, best = 0, -math.inf
        for start in range(12):
            window = [(start + k) % 12 for k in range(months)]
            mean = float(np.mean(values[window]))
            if mean > best:
                best_start, best = start, mean
        rows.append({
            "category": category,
            "peak_months": [(best_start + k) % 12 + 1 for k in range(months)],
            "peak_index": best,
            "peak_month": int(np.argmax(values)) + 1,
            "seasonal": best >= threshold,
        })
    return (pd.DataFrame(rows).sort_values("peak_index", ascending=False)
            .reset_index(drop=True))


# --- segmentation ------------------------------------------------------------------

CLUSTER_NAMES = ("VIP", "Loyal", "At risk", "Low value")
RFM_FEATURES = ("recency_days", "frequency", "monetary")


def rfm_features(rfm: pd.DataFrame) -> np.ndarray:
    """log(1 + x) of recency, frequency and monetary, standardized.

    The logarithm tames the heavy right tails (a few customers order and
    spend far more than the rest); standardizing gives each feature the
    same weight in the Euclidean distance of K-Means.
    """
    from sklearn.preprocessing import StandardScaler
    logged = np.log1p(rfm[list(RFM_FEATURES)].astype(float).to_numpy())
    return StandardScaler().fit_transform(logged)


#: the most customers the choice of k fits K-Means to: a default book's
#: (seed 42, scale 1: 9,025 customers who bought) are all of them; at scale
#: 20 (about 100,000) the seven fits took 7.1 s on 20,000, the chapter
#: 10.6 s (issue 26: no chapter over 10 s, growing with what it shows);
#: the truth check reads as many (needs.TRUTH_CUSTOMERS)
K_CHOICE_CUSTOMERS = 10_000


def k_choice(features: np.ndarray, ks=range(2, 9), seed: int = 0,
             sample: int = 3000, fit_sample: int = K_CHOICE_CUSTOMERS
             ) -> pd.DataFrame:
    """Inertia (elbow) and silhouette score for each k.

    K-Means is fitted on a fixed random sample of at most ``fit_sample``
    customers (the curve's shape does not need them all), the silhouette
    computed on ``sample`` of those (it is quadratic in the number of
    points); inertia is per customer, so that it reads the same at any
    scale.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    rng = np.random.default_rng(seed)
    if len(features) > fit_sample:
        features = features[rng.choice(len(features), fit_sample,
                                       replace=False)]
    pick = (rng.choice(len(features), sample, replace=False)
            if len(features) > sample else np.arange(len(features)))
    rows = []
    for k in ks:
        if k >= len(features):
            break
        model = KMeans(n_clusters=k, n_init=4, random_state=seed)
        labels = model.fit_predict(features)
        silhouette = (silhouette_score(features[pick], labels[pick])
                      if len(set(labels[pick])) > 1 else float("nan"))
        rows.append({"k": k, "inertia": float(model.inertia_) / len(features),
                     "silhouette": float(silhouette)})
    return pd.DataFrame(rows)


@dataclasses.dataclass
class Clusters:
    labels: np.ndarray          # cluster name of each customer (row order)
    centroids: pd.DataFrame     # per name: mean recency, frequency, monetary
    fitted: int                 # the customers K-Means was fitted to


def rfm_clusters(rfm: pd.DataFrame, seed: int = 0,
                 fit_sample: int = K_CHOICE_CUSTOMERS) -> Clusters:
    """K-Means with 4 clusters on log RFM, clusters named by their centroids.

    K-Means is fitted to a fixed random sample of at most ``fit_sample``
    customers (all of a default book's), and every customer is given the
    cluster of the nearest centre: the centres of a larger shop come out
    the same within sampling error, and the fit's time stays that of the
    sample (issue 26).

    Names, from the centroids on the original scale: VIP = the cluster with
    the highest value (mean of the standardized log frequency and log
    monetary); Low value = the lowest value; of the two others, Loyal = the
    more recent (smaller recency) and At risk = the less recent.
    """
    from sklearn.cluster import KMeans
    features = rfm_features(rfm)
    model = KMeans(n_clusters=4, n_init=10, random_state=seed)
    if len(features) > fit_sample:
        rng = np.random.default_rng(seed)
        model.fit(features[rng.choice(len(features), fit_sample,
                                      replace=False)])
        numbers, fitted = model.predict(features), fit_sample
    else:
        numbers, fitted = model.fit_predict(features), len(features)
    centres = pd.DataFrame(model.cluster_centers_, columns=list(RFM_FEATURES))
    value = (centres["frequency"] + centres["monetary"]) / 2
    order = list(value.sort_values(ascending=False).index)
    vip, low = order[0], order[-1]
    middle = sorted(order[1:3], key=lambda c: centres.loc[c, "recency_days"])
    names = {vip: "VIP", middle[0]: "Loyal", middle[1]: "At risk",
             low: "Low value"}
    labels = np.array([names[n] for n in numbers], dtype=object)
    centroids = (rfm[list(RFM_FEATURES)].astype(float)
                 .assign(cluster=labels).groupby("cluster").mean()
                 .reindex(list(CLUSTER_NAMES)))
    return Clusters(labels, centroids, fitted)


# --- forecasting -----------------------------------------------------------------

#: months held out for the backtest and forecast ahead
HOLDOUT_MONTHS = 6
HORIZON_MONTHS = 6
SEASON_LENGTH = 12
#: the prediction intervals are central 1 - INTERVAL_ALPHA intervals (80%),
#: in the backtest as in the forecast
INTERVAL_ALPHA = 0.2
#: the least months a model is fitted on: a year and a month, so that a
#: trend is not a season's slope (the backtest fits on the months before
#: its holdout, so a forecast needs HOLDOUT_MONTHS + MIN_FIT_MONTHS)
MIN_FIT_MONTHS = 13


def moving_average_forecast(history: pd.Series, steps: int,
                            window: int = 3) -> np.ndarray:
    """The baseline: the mean of the last ``window`` months, held flat."""
    return np.repeat(float(history.iloc[-window:].mean()), steps)


def _ets(history: pd.Series):
    """Holt-Winters as a state-space model, on the log scale.

    log(revenue) = level + trend + seasonal (additive errors): on the
    original scale the trend and the seasonal peaks are multiplicative,
    and the prediction intervals come analytically (no simulation, so the
    book is reproducible). Without two full seasonal cycles the seasonal
    term is left out (Holt's linear trend).
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    logged = np.log(history.astype(float).clip(lower=1.0))
    seasonal = len(history) >= 2 * SEASON_LENGTH + 2
    model = ETSModel(logged, error="add", trend="add", damped_trend=True,
                     seasonal="add" if seasonal else None,
                     seasonal_periods=SEASON_LENGTH if seasonal else None)
    return model.fit(disp=False), seasonal


def holt_winters_forecast(history: pd.Series, steps: int,
                          alpha: float = INTERVAL_ALPHA
                          ) -> tuple[pd.DataFrame, bool]:
    """Forecast ``steps`` months after ``history`` (a monthly series).

    Returns (frame with month, forecast, lower, upper: the central
    ``1 - alpha`` prediction interval, and whether the seasonal term was
    used).
    """
    import warnings
    history = history.asfreq("MS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        fit, seasonal = _ets(history)
        frame = fit.get_prediction(start=len(history),
                                   end=len(history) + steps - 1
                                   ).summary_frame(alpha=alpha)
    months = pd.date_range(history.index[-1] + pd.offsets.MonthBegin(1),
                           periods=steps, freq="MS")
    return pd.DataFrame({
        "month": months,
        "forecast": np.exp(frame["mean"].to_numpy()),
        "lower": np.exp(frame["pi_lower"].to_numpy()),
        "upper": np.exp(frame["pi_upper"].to_numpy()),
    }), seasonal


def mape(actual, predicted) -> float:
    """Mean absolute percentage error, as a fraction; range [0, inf)."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    return float(np.mean(np.abs(predicted - actual) / np.abs(actual)))


def naive_season(training_months: int, season: int = SEASON_LENGTH) -> int:
    """The season of the seasonal-naive benchmark for so many training months.

    ``season`` when the training months reach ``season + 1`` (so that at
    least one month has a month a season before it), else 1: the naive
    forecast (last month, held flat).
    """
    return season if training_months >= season + 1 else 1


def seasonal_naive(training, steps: int, season: int = SEASON_LENGTH
                   ) -> np.ndarray:
    """The seasonal-naive forecast: each month is the month a season earlier.

    yhat(n + h) = y(n + h - season * (floor((h - 1) / season) + 1)): the
    last ``season`` values of ``training``, repeated; with ``season`` = 1
    the naive forecast, the last value held flat.
    """
    values = np.asarray(training, float)
    if len(values) < season:
        raise ValueError(f"a season of {season} needs at least {season} "
                         f"values, not {len(values)}")
    last = values[len(values) - season:]
    return np.array([last[h % season] for h in range(steps)])


def mase(actual, forecast, training, season: int = SEASON_LENGTH) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006).

    mean |actual - forecast| over the forecast months divided by the
    in-sample mean absolute error of the seasonal-naive forecast on the
    training months, (1 / (n - m)) * sum_{t = m+1..n} |y(t) - y(t - m)|.
    Range [0, inf): below 1, the forecast missed by less than the
    seasonal-naive forecast did, on average, a season ahead within the
    training months. inf when the training months do not vary (nan when
    the forecast is exact too).
    """
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    training = np.asarray(training, float)
    if len(training) < season + 1:
        raise ValueError(f"a season of {season} needs at least {season + 1} "
                         f"training values, not {len(training)}")
    scale = float(np.mean(np.abs(training[season:] - training[:-season])))
    error = float(np.mean(np.abs(actual - forecast)))
    if scale == 0:
        return math.nan if error == 0 else math.inf
    return error / scale


def interval_coverage(actual, lower, upper) -> float:
    """Share of ``actual`` values inside [lower, upper], endpoints included.

    Range [0, 1]; an 80% prediction interval that is right holds about 0.8
    of the months in the long run.
    """
    actual = np.asarray(actual, float)
    inside = (np.asarray(lower, float) <= actual) & (
        actual <= np.asarray(upper, float))
    return float(np.mean(inside))


def backtest(history: pd.Series, holdout: int = HOLDOUT_MONTHS
             ) -> pd.DataFrame:
    """Fit on all but the last ``holdout`` months, forecast them, compare.

    Returns month, actual, holt_winters with its lower and upper
    prediction interval (central 1 - INTERVAL_ALPHA, as the forecast's),
    seasonal_naive (season ``naive_season`` of the training months) and
    moving_average (one row per held-out month).
    """
    history = history.asfreq("MS")
    train, test = history.iloc[:-holdout], history.iloc[-holdout:]
    forecast, _ = holt_winters_forecast(train, holdout, alpha=INTERVAL_ALPHA)
    return pd.DataFrame({
        "month": test.index,
        "actual": test.to_numpy(dtype=float),
        "holt_winters": forecast["forecast"].to_numpy(),
        "lower": forecast["lower"].to_numpy(),
        "upper": forecast["upper"].to_numpy(),
        "seasonal_naive": seasonal_naive(train, holdout,
                                         naive_season(len(train))),
        "moving_average": moving_average_forecast(train, holdout),
    })


@dataclasses.dataclass
class BacktestScores:
    """The backtest and its scores on the held-out months."""
    months: pd.DataFrame       # backtest(): one row per held-out month
    training_months: int
    season: int                # of the seasonal-naive benchmark and scale
    holt_winters_mase: float
    seasonal_naive_mase: float
    coverage: float            # share of held-out months in the interval
    inside: int                # held-out months in the interval
    holt_winters_mape: float
    moving_average_mape: float


def score_backtest(history: pd.Series, holdout: int = HOLDOUT_MONTHS
                   ) -> BacktestScores:
    """``backtest`` and its scores: MASE of Holt-Winters and of the
    seasonal-naive forecast (both scaled by the same in-sample error of
    the training months), interval coverage and MAPE."""
    history = history.asfreq("MS")
    train = history.iloc[:-holdout].to_numpy(dtype=float)
    season = naive_season(len(train))
    months = backtest(history, holdout)
    actual = months["actual"]
    inside = (months["lower"] <= actual) & (actual <= months["upper"])
    return BacktestScores(
        months=months, training_months=len(train), season=season,
        holt_winters_mase=mase(actual, months["holt_winters"], train, season),
        seasonal_naive_mase=mase(actual, months["seasonal_naive"], train,
                                 season),
        coverage=interval_coverage(actual, months["lower"], months["upper"]),
        inside=int(inside.sum()),
        holt_winters_mape=mape(actual, months["holt_winters"]),
        moving_average_mape=mape(actual, months["moving_average"]))


# --- growth ------------------------------------------------------------------------

def yearly_growth(monthly: pd.DataFrame, value: str = "count") -> float | None:
    """Yearly growth of a monthly series, fitted as an exponential trend.

    ``monthly``: month, ``value``. Fits log(value) = a + b * t (t in
    months) with one dummy per calendar month (so that a season does not
    pass for a trend) by least squares; the yearly growth is
    exp(12 b) - 1. None with fewer than 13 months or a non-positive count.
    """
    frame = monthly.assign(month=pd.to_datetime(monthly["month"]))
    frame = frame[frame[value].astype(float) > 0]
    if len(frame) < 13:
        return None
    t = ((frame["month"].dt.year - frame["month"].dt.year.min()) * 12
         + frame["month"].dt.month).to_numpy(float)
    dummies = pd.get_dummies(frame["month"].dt.month).to_numpy(float)
    design = np.column_stack([t, dummies])
    coefficients, *_ = np.linalg.lstsq(
        design, np.log(frame[value].to_numpy(float)), rcond=None)
    return float(math.exp(12 * coefficients[0]) - 1)
