"""Volume forecast and staffing (docs/metrics.md "Volume and staffing"): Erlang C against its closed
form, agents needed, email workload, the ETS forecast against seasonal-naive on a known shape."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics import staffing


def erlang_c_closed_form(a: float, n: int) -> float:
    top = a ** n / math.factorial(n) * n / (n - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize("a, n", [(2.0, 3), (10.0, 11), (10.0, 14), (25.5, 30)])
def test_erlang_c_matches_the_closed_form(a, n):
    assert staffing.erlang_c(a, n) == pytest.approx(erlang_c_closed_form(a, n), rel=1e-9)


def test_agents_needed_is_the_fewest_that_reach_the_service_level():
    # 100 calls in 30 min at 180 s handle time = 10 Erlangs; 80% within 20 s
    n = staffing.agents_needed(100, 180, 1800, 20, 0.8)
    assert staffing.service_level(10.0, n, 180, 20) >= 0.8 > staffing.service_level(10.0, n - 1, 180, 20)
    # the published worked example (Call Centre Helper, "Erlang C formula made simple"): 14 agents,
    # probability of waiting 17.41%, service level 88.83%
    assert n == 14
    assert staffing.erlang_c(10.0, 14) == pytest.approx(0.1741, abs=1e-4)
    assert staffing.service_level(10.0, 14, 180, 20) == pytest.approx(0.8883, abs=1e-4)
    assert staffing.agents_needed(200, 180, 1800, 20, 0.8) > n  # more calls, more agents
    assert staffing.agents_needed(100, 180, 1800, 20, 0.9) >= n
    assert staffing.agents_needed(0, 180, 1800, 20, 0.8) == 0


def test_email_workload():
    # 60 emails an hour at 8 minutes each, agents busy 80% of the time: 10 agents
    assert staffing.workload_agents(60, 480, 3600, 0.8) == pytest.approx(10.0)


def weekly_series(weeks: int, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-01-06", periods=weeks * 168, freq="h")
    hour, dow = index.hour.to_numpy(), index.dayofweek.to_numpy()
    shape = (5 + 20 * np.exp(-((hour - 13) ** 2) / 12)) * np.where(dow < 5, 1.0, 0.4)
    return pd.Series(rng.poisson(shape).astype(float), index=index)


def test_ets_beats_seasonal_naive_on_a_weekly_shape():
    m = staffing.backtest(weekly_series(12), staffing.HOURLY_SEASON, holdout_weeks=4)
    assert m["ets_mase"] < m["seasonal_naive_mase"]
    assert m["ets_mape"] < 0.1  # daily totals within 10%
    assert m["days_test"] == 28


def test_forecast_needs_a_week_of_history():
    assert staffing.forecast(weekly_series(12).iloc[:100], 168, 168) is None
    values, method = staffing.forecast(weekly_series(2), 168, 168)
    assert method == "seasonal_naive" and len(values) == 168
    values, method = staffing.forecast(weekly_series(4), 168, 168)
    assert method == "ets" and (values >= 0).all()
    with pytest.raises(ValueError, match="backtest needs"):
        staffing.backtest(weekly_series(5), 168, holdout_weeks=4)
