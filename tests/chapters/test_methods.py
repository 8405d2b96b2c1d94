"""datagen.analysis: the book's methods on data with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datagen.chapters import methods


def _monthly_categories(seasonal: dict[str, dict[int, float]], years=3,
                        growth=0.3, seed=0) -> pd.DataFrame:
    """Eight categories of equal size, a shop-wide trend and year-end peak,
    and the given categories' own seasons (month: multiplier)."""
    rng = np.random.default_rng(seed)
    rows = []
    months = pd.date_range("2023-01-01", periods=12 * years, freq="MS")
    for i, month in enumerate(months):
        shop = (1 + growth) ** (i / 12) * (1.5 if month.month >= 11 else 1)
        for category in "ABCDEFGH":
            boost = seasonal.get(category, {}).get(month.month, 1.0)
            rows.append({"month": month, "category": category,
                         "units": 1000 * shop * boost
                         * rng.uniform(0.95, 1.05)})
    return pd.DataFrame(rows)


def test_seasonal_index_finds_the_planted_seasons_only():
    monthly = _monthly_categories({"A": {6: 2.0, 7: 2.0, 8: 1.5},
                                   "B": {12: 2.5, 1: 1.8}})
    index = methods.seasonal_index(monthly)
    assert list(index.columns) == list(range(1, 13))
    # the shop-wide trend and peak are divided out: flat categories stay ~1
    assert index.loc["C":].stack().between(0.8, 1.15).all()
    peaks = methods.peak_seasons(index).set_index("category")
    assert set(peaks.index[peaks.seasonal]) == {"A", "B"}
    assert peaks.loc["A", "peak_months"] == [6, 7, 8]
    assert peaks.loc["B", "peak_months"] in ([11, 12, 1], [12, 1, 2])
    assert peaks.loc["B", "peak_month"] == 12


def test_yearly_growth_recovers_a_known_rate_despite_a_season():
    months = pd.date_range("2023-01-01", periods=36, freq="MS")
    counts = [100 * 1.35 ** (i / 12) * (1.8 if m.month == 12 else 1)
              for i, m in enumerate(months)]
    estimate = methods.yearly_growth(pd.DataFrame({"month": months,
                                                    "count": counts}))
    assert estimate == pytest.approx(0.35, abs=1e-9)
    assert methods.yearly_growth(pd.DataFrame(
        {"month": months[:12], "count": counts[:12]})) is None


def test_mape_and_the_moving_average_baseline():
    assert methods.mape([100, 200], [110, 180]) == pytest.approx(0.1)
    history = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0])
    assert list(methods.moving_average_forecast(history, 2)) == [4.0, 4.0]


def test_holt_winters_beats_the_baseline_on_a_seasonal_trend():
    months = pd.date_range("2022-01-01", periods=48, freq="MS")
    rng = np.random.default_rng(1)
    values = [1000 * 1.02 ** i * (1.6 if m.month in (11, 12) else 1)
              * rng.uniform(0.97, 1.03) for i, m in enumerate(months)]
    series = pd.Series(values, index=months)
    test = methods.backtest(series, 6)
    assert len(test) == 6
    assert methods.mape(test.actual, test.holt_winters) < methods.mape(
        test.actual, test.moving_average)
    forecast, seasonal = methods.holt_winters_forecast(series, 6)
    assert seasonal and len(forecast) == 6
    assert (forecast.lower < forecast.forecast).all()
    assert (forecast.forecast < forecast.upper).all()
    again, _ = methods.holt_winters_forecast(series, 6)
    pd.testing.assert_frame_equal(forecast, again)  # no simulation


def test_mase_of_a_small_example_by_hand():
    # 13 training months: one seasonal difference, |130 - 120| = 10
    training = [120.0] + [50.0] * 11 + [130.0]
    assert methods.mase([110, 120], [100, 100], training, 12) == pytest.approx(
        (10 + 20) / 2 / 10)
    # 26 months: 20 training, 6 held out; the scale written out as a loop
    rng = np.random.default_rng(7)
    series = 100 + 30 * np.sin(np.arange(26) * 2 * np.pi / 12) \
        + rng.normal(0, 5, 26)
    training, actual = series[:20], series[20:]
    forecast = actual + np.array([3.0, -4.0, 1.0, 0.0, -2.0, 6.0])
    differences = [abs(training[t] - training[t - 12]) for t in range(12, 20)]
    expected = np.mean([3.0, 4.0, 1.0, 0.0, 2.0, 6.0]) / (
        sum(differences) / len(differences))
    assert methods.mase(actual, forecast, training, 12) == pytest.approx(
        expected)
    # season 1: the scale is the mean month-to-month change
    assert methods.mase([5.0], [4.0], [1.0, 3.0, 2.0], 1) == pytest.approx(
        1 / ((2 + 1) / 2))
    with pytest.raises(ValueError):
        methods.mase(actual, forecast, training[:12], 12)


def test_seasonal_naive_repeats_last_years_values():
    training = np.arange(1.0, 25.0)  # two years: 1 ... 24
    forecast = methods.seasonal_naive(training, 15, 12)
    assert list(forecast[:12]) == list(range(13, 25))
    assert list(forecast[12:]) == [13.0, 14.0, 15.0]
    assert list(methods.seasonal_naive(training, 3, 1)) == [24.0] * 3
    with pytest.raises(ValueError):
        methods.seasonal_naive(training[:11], 3, 12)


def test_a_short_training_span_falls_back_to_the_naive_forecast():
    assert methods.naive_season(13) == 12
    assert methods.naive_season(12) == 1
    months = pd.date_range("2024-01-01", periods=16, freq="MS")
    series = pd.Series(1000 + 10.0 * np.arange(16) + [0, 5] * 8,
                       index=months)
    scores = methods.score_backtest(series, 6)
    assert scores.training_months == 10 and scores.season == 1
    # the naive forecast: the last training month, held flat
    assert (scores.months.seasonal_naive == series.iloc[9]).all()
    training = series.iloc[:10].to_numpy()
    scale = np.mean(np.abs(np.diff(training)))
    assert scores.seasonal_naive_mase == pytest.approx(
        np.mean(np.abs(series.iloc[10:].to_numpy() - series.iloc[9])) / scale)


def test_interval_coverage_counts_the_endpoints_as_inside():
    actual = [1.0, 2.0, 3.0, 4.0, 5.0]
    lower = [1.0, 0.0, 3.5, 0.0, 4.0]
    upper = [2.0, 2.0, 4.0, 3.9, 6.0]
    # inside: 1 (on the lower end), 2 (on the upper end) and 5; not 3, 4
    assert methods.interval_coverage(actual, lower, upper) == pytest.approx(
        3 / 5)
    assert methods.interval_coverage([1.0], [1.0], [1.0]) == 1.0
    assert methods.interval_coverage([1.0], [1.1], [2.0]) == 0.0


def test_holt_winters_beats_the_seasonal_naive_forecast_on_mase():
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    rng = np.random.default_rng(5)
    season = 1 + 0.3 * np.sin(2 * np.pi * (months.month - 1) / 12)
    values = (1000 * 1.01 ** np.arange(48) * season
              * rng.normal(1, 0.05, 48))
    series = pd.Series(values, index=months)
    scores = methods.score_backtest(series, 6)
    assert scores.season == 12 and scores.training_months == 42
    assert scores.holt_winters_mase < 1
    assert scores.holt_winters_mase < scores.seasonal_naive_mase
    held = scores.months
    assert list(held.seasonal_naive) == list(values[30:36])
    # the backtest's intervals are the forecast's, fitted on the training
    forecast, _ = methods.holt_winters_forecast(series.iloc[:42], 6)
    np.testing.assert_allclose(held.lower, forecast.lower)
    np.testing.assert_allclose(held.upper, forecast.upper)
    inside = ((held.lower <= held.actual) & (held.actual <= held.upper))
    assert scores.inside == inside.sum()
    assert scores.coverage == pytest.approx(inside.mean())


def test_rfm_clusters_are_named_by_their_centres():
    rng = np.random.default_rng(3)
    groups = {  # recency days, orders, revenue
        "VIP": (10, 40, 8000), "Loyal": (20, 8, 900),
        "At risk": (400, 8, 900), "Low value": (300, 1, 30)}
    rows = []
    for name, (recency, frequency, monetary) in groups.items():
        for _ in range(150):
            rows.append({"truth": name,
                         "recency_days": recency * rng.uniform(0.8, 1.25),
                         "frequency": max(1, round(frequency
                                                   * rng.uniform(0.8, 1.25))),
                         "monetary": monetary * rng.uniform(0.8, 1.25)})
    rfm = pd.DataFrame(rows)
    clusters = methods.rfm_clusters(rfm, seed=0)
    assert (clusters.labels == rfm.truth.to_numpy()).mean() > 0.95
    assert list(clusters.centroids.index) == list(methods.CLUSTER_NAMES)
    assert clusters.fitted == len(rfm)
    # fitted to a sample of a larger shop's, every customer still labelled
    sampled = methods.rfm_clusters(rfm, seed=0, fit_sample=200)
    assert sampled.fitted == 200 and len(sampled.labels) == len(rfm)
    assert (sampled.labels == rfm.truth.to_numpy()).mean() > 0.95
    choice = methods.k_choice(methods.rfm_features(rfm), ks=range(2, 6))
    assert choice.loc[choice.silhouette.idxmax(), "k"] == 4
    assert choice.inertia.is_monotonic_decreasing


@pytest.mark.process
@pytest.mark.parametrize("first", ["sklearn", "one_thread"])
def test_a_chapter_computes_on_one_thread(first):
    """``one_thread`` (a chapter's set-up) puts the numeric libraries on
    one thread, those loaded before it and those loaded after (run in a
    process of its own: it changes the process for good)."""
    import json
    import os
    import subprocess
    import sys
    steps = ["import numpy, sklearn.cluster",
             "from datagen.chapters.page import one_thread; one_thread()"]
    if first == "one_thread":
        steps.reverse()
    env = {k: v for k, v in os.environ.items() if not k.endswith(
        "_NUM_THREADS")}
    pools = json.loads(subprocess.run(
        [sys.executable, "-c", "\n".join(steps + [
            "import json, threadpoolctl",
            "print(json.dumps(threadpoolctl.threadpool_info()))"])],
        capture_output=True, text=True, check=True, env=env).stdout)
    apis = {pool["user_api"] for pool in pools}
    assert {"blas", "openmp"} <= apis, apis
    assert all(pool["num_threads"] == 1 for pool in pools), pools
