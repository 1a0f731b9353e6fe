"""CLV formula, revenue at risk, Pareto shares and impact CIs on hand-computed fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from analytics_fixtures import add_customers, add_interactions

from analytics import build
from analytics.clv import margin_retention_clv
from analytics.impact import counterfactual, relative_weights
from analytics.settings import AnalyticsSettings
from pipelines.settings import SettingsError
from pipelines.warehouse import connect


def test_clv_formula_with_fractions():
    assert margin_retention_clv(100.0, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    assert margin_retention_clv(np.array([30.0]), 0.8, 0.1)[0] == pytest.approx(80.0)


def test_clv_rejects_percentages_as_whole_numbers():
    with pytest.raises(ValueError, match="fraction"):
        margin_retention_clv(100.0, 80, 0.1)
    with pytest.raises(ValueError, match="not 80"):
        margin_retention_clv(100.0, 80, 0.1)
    with pytest.raises(SettingsError, match="0.1 for 10%"):
        AnalyticsSettings(discount_rate=10)


def test_counterfactual_recovers_planted_effect():
    rng = np.random.default_rng(1)
    # reason 0 drags the mean down: mean -0.5 on 200 contacts vs 0.2 on 800
    out = counterfactual(np.array([200.0, 800.0]), np.array([-0.5, 0.2]), np.array([0.04, 0.04]), 500, 0.95, rng)
    overall = (200 * -0.5 + 800 * 0.2) / 1000
    assert out.impact[0] == pytest.approx(overall - 0.2)
    assert out.ci_low[0] < out.impact[0] < out.ci_high[0] < 0       # significant, negative
    assert out.ci_low[1] > 0


def test_relative_weights_find_the_driver():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, size=(2000, 3)).astype(float)
    y = 2.0 * x[:, 0] + rng.normal(0, 0.5, 2000)
    coef, weights, r2 = relative_weights(x, y)
    assert coef[0] == pytest.approx(2.0, abs=0.1) and weights[0] > 0.95 and weights.sum() == pytest.approx(1)
    assert 0.7 < r2 < 1


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("money") / "voc.duckdb")
    rows, customers = [], []
    for c in range(40):
        # even customers hit a negative billing problem; half of them churn; odd ones never churn
        reason = "billing" if c % 2 == 0 else "delivery"
        rows.append(dict(id=f"x{c}", customer=f"C{c}", hours=c, reason=reason,
                         sentiment=-0.8 if c % 2 == 0 else 0.6, duration=600 if reason == "billing" else 100))
        customers.append(dict(customer_id=f"C{c}", segment="Premium" if c < 20 else "Basic",
                              margin=30.0, churned=c % 4 == 0))
    rows.append(dict(id="late", customer="C1", hours=5000, reason="delivery", sentiment=0.6, duration=100))
    add_interactions(con, rows)
    add_customers(con, customers)
    build.run(con, AnalyticsSettings())
    yield con
    con.close()


def test_revenue_at_risk_measured(con):
    got = con.execute("SELECT exposed_customers, exposed_churn_rate, baseline_churn_rate, revenue_at_risk, "
                      "revenue_lost, method FROM marts.revenue_at_risk WHERE scope = 'reason' AND key = 'billing'"
                      ).fetchall()[0]
    # retention from the churn flags: 10 of 40 churned, r = 0.75; CLV = 30 x 0.75 / (1.1 - 0.75)
    clv = 30 * 0.75 / 0.35
    # 20 exposed, churn 10/20 vs 0/20 unexposed: uplift 0.5 on the 10 still active; the 10 churned are lost
    assert got[:5] == (20, 0.5, 0.0, pytest.approx(10 * clv * 0.5), pytest.approx(10 * clv))
    assert got[5].startswith("measured")
    # no parent reasons in this fixture: each reason is its own parent, with the same figures
    parent = con.execute("SELECT exposed_customers, revenue_at_risk FROM marts.revenue_at_risk "
                         "WHERE scope = 'parent_reason' AND key = 'billing'").fetchall()[0]
    assert parent == (20, pytest.approx(10 * clv * 0.5))
    values = con.execute("SELECT DISTINCT clv, clv_method FROM marts.customer_value").fetchall()
    assert values == [(pytest.approx(clv), "margin_retention")]


def test_pareto_cumulative_share(con):
    got = con.execute("SELECT reason, volume, cum_volume_share, cost_to_serve_s, cum_cost_share, clv_at_risk "
                      "FROM marts.reason_pareto ORDER BY rank_volume").fetchall()
    assert got[0][:3] == ("delivery", 21, pytest.approx(21 / 41))
    assert got[1][:3] == ("billing", 20, pytest.approx(1.0))
    assert got[1][3] == 12000 and got[0][3] == 2100
    assert got[1][5] == pytest.approx(10 * 30 * 0.75 / 0.35 * 0.5)


def test_impact_and_irritant_place_billing(con):
    impact = con.execute("SELECT impact, significant FROM marts.reason_impact "
                         "WHERE reason = 'billing' AND outcome = 'sentiment'").fetchall()[0]
    assert impact[0] < 0 and impact[1]
    action = con.execute("SELECT action FROM marts.value_irritant WHERE reason = 'billing'").fetchall()[0][0]
    assert action == "Eliminate"
    top = con.execute("SELECT customer_id FROM marts.callback_list").fetchall()
    assert top == []  # no repeats: negative but not unresolved
