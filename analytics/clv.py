"""Customer lifetime value: the source's own CLV, BG/NBD + Gamma-Gamma, or margin-retention.

Writes `marts.customer_clv(customer_id, clv, clv_method)`; the method is stored with each value
(docs/metrics.md "Customer lifetime value"). Priority: `source` (the CRM gave a CLV) >
`bgnbd_gg` (transactions loaded and the models converge) > `margin_retention` (margin or revenue
known) > no row (unknown).

Why `lifetimes` and not `pymc-marketing` (measured, docs/metrics.md "Customer lifetime value"): the
same figures, pymc-marketing's MAP fit at best 1.2x faster warm at 1M customers, for ~156 MB more
install and a cold PyTensor compile of minutes; every lifetimes fit is checked here instead.
"""

from __future__ import annotations

import hashlib
import logging
import warnings

import duckdb
import numpy as np
import pandas as pd

from analytics.settings import AnalyticsSettings

log = logging.getLogger(__name__)


def margin_retention_clv(margin: np.ndarray | float, retention: float, discount: float) -> np.ndarray:
    """CLV = m r / (1 + d - r), with m the margin per period and r, d fractions per period.

    >>> round(float(margin_retention_clv(100.0, 0.8, 0.1)), 2)
    266.67
    """
    for name, value in (("retention", retention), ("discount", discount)):
        if not 0 <= value < 1:
            raise ValueError(
                f"{name} = {value} is not a fraction in [0, 1): write 0.8 for 80%, not 80 "
                "(percentages as whole numbers make the formula meaningless)"
            )
    return np.asarray(margin, dtype=float) * retention / (1 + discount - retention)


_RFM_SQL = """
WITH per_day AS (
    SELECT customer_id, CAST(occurred_at AS DATE) AS day, sum(amount) AS amount
    FROM staging.transactions GROUP BY customer_id, day
),
purchases AS (
    SELECT customer_id, day, amount FROM per_day WHERE amount > 0
),
refunds AS (
    SELECT customer_id, day, amount FROM per_day WHERE amount < 0
),
netted AS (
    -- a refund is not a purchase occasion: it is netted against the customer's latest purchase at
    -- or before it (the first purchase when it predates them all)
    SELECT p.customer_id, p.day, p.amount + coalesce(r.refunded, 0) AS amount
    FROM purchases AS p
    LEFT JOIN (
        SELECT r.customer_id, coalesce(a.day, f.first_day) AS day, sum(r.amount) AS refunded
        FROM refunds AS r
        ASOF LEFT JOIN purchases AS a ON a.customer_id = r.customer_id AND a.day <= r.day
        LEFT JOIN (SELECT customer_id, min(day) AS first_day FROM purchases GROUP BY 1) AS f
               ON f.customer_id = r.customer_id
        GROUP BY ALL
    ) AS r USING (customer_id, day)
),
kept AS (
    SELECT * FROM netted WHERE amount > 0  -- a purchase refunded in full did not happen
),
bounds AS (SELECT max(day) AS end_day FROM per_day),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS n FROM kept
)
SELECT customer_id,
       count(*) - 1 AS frequency,
       date_diff('day', min(day), max(day)) AS recency,
       date_diff('day', min(day), any_value(b.end_day)) AS t_age,
       coalesce(avg(amount) FILTER (WHERE n > 1), 0) AS monetary
FROM ranked CROSS JOIN bounds AS b
GROUP BY customer_id
"""

# The Gamma-Gamma fit's implied population mean spend must be within this factor of the observed
# mean spend of repeat customers, or the fit is refused (a q <= 1 fit has no finite mean at all).
SPEND_TOLERANCE = 2.0
# Gamma-Gamma penalties, lightest first: stronger ones bias q down until the mean spend is undefined.
GG_PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2)


class ImplausibleFit(ValueError):
    """The fitted models imply figures the data contradicts (negative or far-off mean spend)."""


def fit_gamma_gamma(freq: np.ndarray, money: np.ndarray, penalizers: tuple[float, ...]):
    """The first Gamma-Gamma fit (penalties tried in order, unpenalised first) whose implied population
    mean spend p v / (q - 1) is within SPEND_TOLERANCE of the observed mean spend; else ImplausibleFit.

    An L2 penalty pulls q towards 0: at 0.01 it gave q = 0.9 on 50 repeat buyers (no finite mean, so
    one-time buyers got a negative expected spend), where the unpenalised fit gives q = 6.1 and an
    implied mean of 40.4 against 39.6 observed.
    """
    from lifetimes import GammaGammaFitter

    observed = float(money.mean())
    tried = []
    for penalizer in penalizers:
        try:
            ggf = GammaGammaFitter(penalizer_coef=penalizer).fit(freq, money)
        except Exception as exc:  # ConvergenceError and linear-algebra errors
            tried.append(f"{penalizer}: {type(exc).__name__}")
            continue
        p, q, v = (float(ggf.params_[k]) for k in ("p", "q", "v"))
        implied = p * v / (q - 1) if q > 1 else float("nan")
        if q > 1 and observed / SPEND_TOLERANCE <= implied <= observed * SPEND_TOLERANCE:
            return ggf
        tried.append(f"{penalizer}: q = {q:.2f}, implied mean spend "
                     f"{'undefined' if q <= 1 else f'{implied:.2f}'} vs observed {observed:.2f}")
    raise ImplausibleFit("Gamma-Gamma: no plausible fit (" + "; ".join(tried) + ")")


def bgnbd_gamma_gamma(rfm: pd.DataFrame, settings: AnalyticsSettings, penalizer: float = 0.01) -> pd.Series:
    """Expected CLV over `clv_horizon_months` per customer (index: customer_id).

    `penalizer` is BG/NBD's L2 penalty. Gamma-Gamma is fitted on repeat customers only (Fader, Hardie
    & Lee 2005) by `fit_gamma_gamma`; customers without a repeat purchase get the population mean
    spend. Raises on non-convergence or an implausible fit (the caller falls back); never returns a
    negative CLV.
    """
    from lifetimes import BetaGeoFitter

    freq = rfm["frequency"].to_numpy(dtype=float)
    rec = rfm["recency"].to_numpy(dtype=float)
    age = rfm["t_age"].to_numpy(dtype=float)
    money = rfm["monetary"].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bgf = BetaGeoFitter(penalizer_coef=penalizer).fit(freq, rec, age)
        repeat = (freq > 0) & (money > 0)
        ggf = fit_gamma_gamma(freq[repeat], money[repeat], GG_PENALIZERS)
        spend = np.where(repeat, ggf.conditional_expected_average_profit(freq, np.where(money > 0, money, 1.0)),
                         ggf.conditional_expected_average_profit(np.array([0.0]), np.array([1.0]))[0])
        monthly = (1 + settings.discount_rate) ** (1 / 12) - 1
        # discounted expected purchases month by month (what lifetimes' customer_lifetime_value does)
        value = np.zeros_like(freq)
        for month in range(1, settings.clv_horizon_months + 1):
            bought = (bgf.predict(month * 30.0, freq, rec, age) - bgf.predict((month - 1) * 30.0, freq, rec, age))
            value += bought * spend / (1 + monthly) ** month
    if not np.isfinite(value).all() or (value < 0).any():
        raise ImplausibleFit(f"BG/NBD + Gamma-Gamma with penalizer {penalizer} gave negative or non-finite CLV")
    return pd.Series(value, index=rfm["customer_id"].to_numpy(), name="clv")


def _fit_with_penalties(rfm: pd.DataFrame, settings: AnalyticsSettings) -> pd.Series | None:
    """BG/NBD + Gamma-Gamma with the first penalty in `clv_penalizers` that converges, else None."""
    for penalizer in settings.clv_penalizers:
        try:
            fitted = bgnbd_gamma_gamma(rfm, settings, penalizer)
        except Exception as exc:  # ConvergenceError, linear-algebra errors, ImplausibleFit
            log.warning("BG/NBD + Gamma-Gamma did not converge with penalizer %s (%s)", penalizer, exc)
            continue
        if np.isfinite(fitted.to_numpy()).all():
            log.info("BG/NBD + Gamma-Gamma fitted with penalizer %s", penalizer)
            return fitted
        log.warning("BG/NBD + Gamma-Gamma gave non-finite CLV with penalizer %s", penalizer)
    log.warning("BG/NBD + Gamma-Gamma did not fit with any of %s; using margin-retention instead",
                settings.clv_penalizers)
    return None


# Bump when the CLV code changes what it computes: stored results of the old code are then refitted.
CLV_CODE_VERSION = 2  # 2: refunds netted, implied-spend check, retention from churn flags
# What a CLV value is worth in, per method: BG/NBD + Gamma-Gamma predicts revenue, margin-retention
# margin; a column mixing them says so (marts.revenue_at_risk.clv_basis).
BASIS = {"source": "source", "bgnbd_gg": "revenue", "margin_retention": "margin"}
# Measured retention is capped below 1: the formula m r / (1 + d - r) needs r < 1 + d.
MAX_RETENTION = 0.99


def retention(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> tuple[float, str]:
    """Retention for margin-retention CLV: 1 - churn rate of the customers with a churn flag (at
    least `min_volume` of them), else the `retention_rate` setting; with where it came from."""
    flagged, churned = con.execute(
        "SELECT count(churned), count(*) FILTER (WHERE churned) FROM staging.customers").fetchall()[0]
    if flagged >= settings.min_volume:
        r = min(1 - churned / flagged, MAX_RETENTION)
        return r, f"churn flags: 1 - {churned}/{flagged}"
    return settings.retention_rate, "setting retention_rate"
_REUSED = "reused: customers, transactions and CLV settings unchanged since the last build"


def inputs_digest(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """What marts.customer_clv is a function of: the columns it reads from staging.customers and
    staging.transactions (count and summed row hashes, ~0.2 s at 4M transactions), the CLV
    settings and the code version. Interactions do not enter it."""
    data = con.execute(
        "SELECT (SELECT count(*) || ':' || coalesce(sum(hash(customer_id, clv, margin, revenue, churned)), 0) "
        "        FROM staging.customers), "
        "       (SELECT count(*) || ':' || coalesce(sum(hash(customer_id, occurred_at, amount)), 0) "
        "        FROM staging.transactions)"
    ).fetchall()[0]
    knobs = (settings.discount_rate, settings.retention_rate, settings.margin_share,
             settings.clv_horizon_months, tuple(settings.clv_penalizers), CLV_CODE_VERSION)
    return hashlib.sha256(f"{data!r}|{knobs!r}".encode()).hexdigest()[:16]


def _stored_digest(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'customer_clv'"
    ).fetchall()
    return rows[0][0].removeprefix("inputs:") if rows and rows[0][0] else None


def build(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """Write `marts.customer_clv`; returns a one-line summary of the methods used.

    The fit (15 s at 300k customers) is skipped when its inputs are those of the stored table
    (`inputs_digest`, kept as the table's comment): a day of new contacts does not change CLV.
    """
    digest = inputs_digest(con, settings)
    if _stored_digest(con) == digest:
        return _REUSED
    customers = con.execute(
        "SELECT customer_id, clv, margin, revenue FROM staging.customers"
    ).df()
    frames = []
    source = customers[customers["clv"].notna()]
    frames.append(pd.DataFrame({"customer_id": source["customer_id"], "clv": source["clv"], "clv_method": "source"}))
    done = set(source["customer_id"])

    rfm = con.execute(_RFM_SQL).df()
    rfm = rfm[~rfm["customer_id"].isin(done)]
    if len(rfm) >= 20 and (rfm["frequency"] > 0).sum() >= 10:
        fitted = _fit_with_penalties(rfm, settings)
        if fitted is not None:
            frames.append(pd.DataFrame({"customer_id": fitted.index, "clv": fitted.to_numpy(), "clv_method": "bgnbd_gg"}))
            done |= set(fitted.index)

    rest = customers[~customers["customer_id"].isin(done)]
    margin = rest["margin"].fillna(rest["revenue"] * settings.margin_share)
    known = margin.notna()
    r, r_source = retention(con, settings)
    frames.append(pd.DataFrame({
        "customer_id": rest.loc[known, "customer_id"],
        "clv": margin_retention_clv(margin[known].to_numpy(), r, settings.discount_rate),
        "clv_method": "margin_retention",
        "retention": r, "retention_source": r_source,
    }))
    result = pd.concat(frames, ignore_index=True)
    result["clv"] = result["clv"].astype(float)
    result["clv_basis"] = result["clv_method"].map(BASIS)
    for column in ("retention", "retention_source"):
        if column not in result:
            result[column] = None
    con.register("_clv_frame", result)
    con.execute("CREATE OR REPLACE TABLE marts.customer_clv AS SELECT customer_id::VARCHAR AS customer_id, "
                "clv::DOUBLE AS clv, clv_method::VARCHAR AS clv_method, clv_basis::VARCHAR AS clv_basis, "
                "retention::DOUBLE AS retention, retention_source::VARCHAR AS retention_source FROM _clv_frame")
    con.unregister("_clv_frame")
    con.execute(f"COMMENT ON TABLE marts.customer_clv IS 'inputs:{digest}'")  # digest: hex only
    counts = result["clv_method"].value_counts().to_dict()
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no customers"
