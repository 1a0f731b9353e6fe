"""Volume forecast and staffing: statsmodels' Holt-Winters ETS on contact counts, backtested against
seasonal-naive, and the agents each interval needs (Erlang C for calls and chats, workload for email
and social). `marts.staffing_forecast` holds the next `[operations] forecast_weeks` of hours.
"""

from __future__ import annotations

import math
import warnings

import duckdb
import numpy as np
import pandas as pd

from analytics import operations
from analytics.settings import AnalyticsSettings

HOURLY_SEASON = 168  # hours in a week
DAILY_SEASON = 7


def counts(timestamps: pd.Series, freq: str) -> pd.Series:
    """Contacts per period ('h' or 'D'), every period between the first and last present (zeros too)."""
    stamps = pd.to_datetime(pd.Series(timestamps)).dt.floor(freq)
    out = stamps.value_counts().sort_index()
    full = pd.date_range(out.index.min(), out.index.max(), freq=freq)
    return out.reindex(full, fill_value=0).astype(float)


def seasonal_naive(y: pd.Series, horizon: int, season: int) -> np.ndarray:
    """Each period as the same period of the last observed season."""
    last = y.to_numpy()[-season:]
    return np.resize(last, horizon).astype(float)


def ets(y: pd.Series, horizon: int, season: int) -> np.ndarray:
    """Holt-Winters ETS (additive error and season, damped additive trend), clipped at zero."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # 1.4 s to import: only when forecasting

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short series
        model = ExponentialSmoothing(y.to_numpy(), trend="add", damped_trend=True, seasonal="add",
                                     seasonal_periods=season, initialization_method="heuristic")
        fit = model.fit(optimized=True)
    return np.clip(fit.forecast(horizon), 0, None)


def forecast(y: pd.Series, horizon: int, season: int) -> tuple[np.ndarray, str] | None:
    """ETS when the history holds at least 3 seasons (heuristic initialisation needs 2 + one to learn),
    seasonal-naive with at least one, else None: less than a week of history forecasts nothing."""
    if len(y) >= 3 * season:
        return ets(y, horizon, season), "ets"
    if len(y) >= season:
        return seasonal_naive(y, horizon, season), "seasonal_naive"
    return None


def to_daily(values: np.ndarray, index: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(values, index=index).resample("D").sum()


def backtest(y: pd.Series, season: int, holdout_weeks: int = 4) -> dict[str, float]:
    """Hold the last `holdout_weeks` out, forecast them with ETS and seasonal-naive; errors on daily
    totals: MAPE over days with contacts, MASE = MAE / in-sample MAE of the daily seasonal-naive (m=7)."""
    horizon = holdout_weeks * season  # season = one week of periods (168 hours or 7 days)
    if len(y) < horizon + 3 * season:
        raise ValueError(f"{len(y)} periods: a backtest needs {horizon + 3 * season} "
                         f"({holdout_weeks} weeks held out + 3 seasons to fit)")
    train, test = y.iloc[:-horizon], y.iloc[-horizon:]
    actual = to_daily(test.to_numpy(), test.index)
    train_daily = to_daily(train.to_numpy(), train.index)
    history = train_daily.to_numpy()
    scale = np.mean(np.abs(history[DAILY_SEASON:] - history[:-DAILY_SEASON]))
    out: dict[str, float] = {"periods_train": float(len(train)), "days_test": float(len(actual))}
    for name, predicted in (("ets", ets(train, horizon, season)),
                            ("seasonal_naive", seasonal_naive(train, horizon, season))):
        daily = to_daily(predicted, test.index)
        err = np.abs(daily.to_numpy() - actual.to_numpy())
        nonzero = actual.to_numpy() > 0
        out[f"{name}_mape"] = float(np.mean(err[nonzero] / actual.to_numpy()[nonzero])) if nonzero.any() else math.nan
        out[f"{name}_mase"] = float(np.mean(err) / scale) if scale > 0 else math.nan
    return out


# Erlang C ----------------------------------------------------------------------------------------

def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a contact waits (Erlang C), via the stable Erlang B recursion."""
    if agents <= traffic:
        return 1.0
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(traffic: float, agents: int, aht_s: float, target_s: float) -> float:
    """Share of contacts answered within `target_s` with `agents` on `traffic` Erlangs."""
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * target_s / aht_s)


def agents_needed(contacts: float, aht_s: float, interval_s: float, target_s: float, level: float) -> int:
    """The fewest agents whose Erlang C service level reaches `level` (e.g. 80% within 20 s)."""
    if contacts <= 0:
        return 0
    traffic = contacts * aht_s / interval_s
    agents = max(1, math.floor(traffic) + 1)
    while service_level(traffic, agents, aht_s, target_s) < level:
        agents += 1
    return agents


def workload_agents(contacts: float, aht_s: float, interval_s: float, occupancy: float) -> float:
    """Email and social: the work of the interval spread over agents busy `occupancy` of the time."""
    return contacts * aht_s / (interval_s * occupancy)


def build(
    con: duckdb.DuckDBPyConnection,
    settings: AnalyticsSettings,
    ops: operations.OperationsSettings | None = None,
) -> str:
    """`marts.staffing_forecast`: per channel and hour of the next `forecast_weeks`, the forecast
    contacts, the method, the mean handle time and the agents needed."""
    ops = ops or operations.load()
    # hourly counts per channel in DuckDB (hundreds of rows per channel, never one per contact)
    frame = con.execute("""
        SELECT channel,
               date_trunc('hour', CAST(timezone(?, occurred_at AT TIME ZONE 'UTC') AS TIMESTAMP)) AS hour_at,
               count(*) AS n, sum(handle_time_s) AS handle_s
        FROM marts.interactions GROUP BY ALL ORDER BY channel, hour_at""", [ops.timezone]).df()
    rows = []
    horizon = ops.forecast_weeks * HOURLY_SEASON
    targets = {"call": ops.sla_target_s_call, "chat": ops.sla_target_s_chat}
    for channel, part in frame.groupby("channel"):  # four channels
        hours = pd.DatetimeIndex(part["hour_at"])
        full = pd.date_range(hours.min(), hours.max(), freq="h")
        y = pd.Series(part["n"].to_numpy(dtype=float), index=hours).reindex(full, fill_value=0.0)
        result = forecast(y, horizon, HOURLY_SEASON)
        if result is None:
            continue
        predicted, method = result
        aht = float(part["handle_s"].sum() / part["n"].sum())
        start = y.index.max() + pd.Timedelta(hours=1)
        for k, value in enumerate(predicted):
            if channel in targets:
                agents = float(agents_needed(value, aht, 3600.0, targets[channel], ops.service_level))
            else:
                agents = workload_agents(value, aht, 3600.0, ops.occupancy)
            rows.append((channel, start + pd.Timedelta(hours=k), float(value), method, aht, agents))
    out = pd.DataFrame(rows, columns=["channel", "interval_start", "forecast_contacts", "method", "aht_s",
                                      "agents_needed"]).astype({"channel": str, "method": str,
                                                                "interval_start": "datetime64[us]",
                                                                "forecast_contacts": float, "aht_s": float,
                                                                "agents_needed": float})
    con.register("_staffing", out)
    con.execute("""CREATE OR REPLACE TABLE marts.staffing_forecast AS
                   SELECT channel, CAST(interval_start AS TIMESTAMP) AS interval_start,
                          isodow(interval_start) AS dow, hour(interval_start) AS hour,
                          forecast_contacts, method, aht_s, agents_needed
                   FROM _staffing ORDER BY channel, interval_start""")
    con.unregister("_staffing")
    return f"{len(out)} intervals"
