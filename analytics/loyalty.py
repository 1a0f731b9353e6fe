"""NEV and sentiment against churn and CLV: how strong is the link on this data?

Tests the seed claim (Temkin Group) that emotion tracks loyalty more closely than effort: each
customer-level predictor (mean NEV, mean sentiment, negative share, and contact count as an effort
proxy) against churn (AUC, Hanley-McNeil CI) and CLV (Spearman, Fisher-z CI).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics.settings import AnalyticsSettings

# predictor -> +1 when a higher value should mean more churn / less value
PREDICTORS = {"mean_nev": -1, "mean_sentiment": -1, "negative_share": 1, "contacts": 1}


def auc_with_ci(score: np.ndarray, positive: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """AUC of `score` for `positive` (Mann-Whitney) with the Hanley-McNeil (1982) interval."""
    from scipy.stats import norm, rankdata  # seconds to import: only when the mart is built

    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return np.nan, np.nan, np.nan
    ranks = rankdata(score)
    auc = (ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se = np.sqrt((auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0))
    zc = norm.ppf(0.5 + confidence / 2)
    return float(auc), float(max(auc - zc * se, 0)), float(min(auc + zc * se, 1))


def spearman_with_ci(x: np.ndarray, y: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Spearman's rho with a Fisher-z interval."""
    from scipy.stats import norm, rankdata

    if len(x) < 4 or np.std(x) == 0 or np.std(y) == 0:
        return np.nan, np.nan, np.nan
    rho = float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])
    zc = norm.ppf(0.5 + confidence / 2)
    z = np.arctanh(np.clip(rho, -0.999999, 0.999999))
    half = zc / np.sqrt(len(x) - 3)
    return rho, float(np.tanh(z - half)), float(np.tanh(z + half))


def strength(effect: float) -> str:
    """Words for |rho| or |AUC - 0.5| x 2 (Cohen-style cut-offs 0.1 / 0.3 / 0.5)."""
    if np.isnan(effect):
        return "n/a"
    size = abs(effect)
    return "strong" if size >= 0.5 else "moderate" if size >= 0.3 else "weak" if size >= 0.1 else "none"


def build(con: duckdb.DuckDBPyConnection, settings: AnalyticsSettings) -> str:
    """Write `marts.nev_vs_loyalty` (predictor x outcome)."""
    frame = con.execute(
        """
        SELECT mean_nev, mean_sentiment, negative_contacts / contacts AS negative_share,
               CAST(contacts AS DOUBLE) AS contacts, CAST(churned AS DOUBLE) AS churned, clv
        FROM marts.customer_value WHERE contacts > 0
        """
    ).df()
    rows = []
    for predictor, sign in PREDICTORS.items():
        for outcome in ("churned", "clv"):
            part = frame[[predictor, outcome]].dropna()
            x, y = part[predictor].to_numpy(float), part[outcome].to_numpy(float)
            if outcome == "churned":
                value, low, high = auc_with_ci(sign * x, y > 0.5, settings.confidence)
                rows.append((predictor, outcome, "auc", len(part), value, low, high, strength(2 * (value - 0.5))))
            else:
                value, low, high = spearman_with_ci(x, y, settings.confidence)
                rows.append((predictor, outcome, "spearman", len(part), value, low, high, strength(value)))
    table = pd.DataFrame(rows, columns=["predictor", "outcome", "statistic", "n", "value", "ci_low", "ci_high",
                                        "strength"])
    con.register("_loyalty", table)
    con.execute("CREATE OR REPLACE TABLE marts.nev_vs_loyalty AS SELECT predictor::VARCHAR AS predictor, "
                "outcome::VARCHAR AS outcome, statistic::VARCHAR AS statistic, n::BIGINT AS n, "
                "value::DOUBLE AS value, ci_low::DOUBLE AS ci_low, ci_high::DOUBLE AS ci_high, "
                "strength::VARCHAR AS strength FROM _loyalty")
    con.unregister("_loyalty")
    return f"{len(table)} loyalty links"
