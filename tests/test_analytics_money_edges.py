"""Money figures at their edges, each with a hand-computed expectation (docs/metrics.md "Revenue at
risk", "Customer lifetime value", "Closed loop"): measured or unknown, never invented."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from analytics_fixtures import add_customers, add_interactions

from analytics import build, clv
from analytics.settings import AnalyticsSettings
from pipelines.warehouse import connect


def _money(tmp_path, customers: list[dict], rows: list[dict]):
    con = connect(tmp_path / "voc.duckdb")
    add_interactions(con, rows)
    add_customers(con, customers)
    build.run(con, AnalyticsSettings())
    return con


def _total(con):
    return con.execute("SELECT revenue_at_risk, revenue_lost, method, note FROM marts.revenue_at_risk "
                       "WHERE scope = 'total'").fetchall()[0]


def _negative_half(n: int) -> list[dict]:
    return [dict(id=f"x{c}", customer=f"C{c}", hours=c, sentiment=-0.8 if c % 2 == 0 else 0.6) for c in range(n)]


def test_churn_flags_and_no_churner_is_measured_zero(tmp_path):
    # 30 customers with churn flags, nobody churned: measured, and nothing is at risk (was 1,500 by
    # the 50%-of-revenue heuristic: 15 exposed x 200 revenue x 0.5)
    customers = [dict(customer_id=f"C{c}", revenue=200.0, margin=30.0, churned=False) for c in range(30)]
    con = _money(tmp_path, customers, _negative_half(30))
    at_risk, lost, method, note = _total(con)
    assert (at_risk, lost, note) == (0.0, None, None) and method.startswith("measured")
    assert con.execute("SELECT value FROM marts.build_info WHERE key = 'churn_method'").fetchall()[0][0] == "measured"


def test_no_baseline_is_unknown_not_invented(tmp_path):
    # one customer, flagged, with a negative contact: nobody to compare with (was 500 = 0.5 x 1000)
    con = _money(tmp_path, [dict(customer_id="C0", revenue=1000.0, margin=100.0, churned=False)],
                 [dict(id="x0", customer="C0", hours=0, sentiment=-0.9)])
    at_risk, _, method, note = _total(con)
    assert at_risk is None and method.startswith("measured") and note.startswith("no baseline")
    summary = con.execute("SELECT value FROM marts.executive_summary WHERE metric = 'revenue_at_risk'").fetchall()
    assert summary == [(None,)]


def test_without_churn_flags_the_heuristic_is_labelled(tmp_path):
    # no churn flags: 0.5 x annual revenue of the 10 exposed customers (10 x 200 x 0.5 = 1,000)
    customers = [dict(customer_id=f"C{c}", revenue=200.0) for c in range(20)]
    con = _money(tmp_path, customers, _negative_half(20))
    at_risk, lost, method, note = _total(con)
    assert at_risk == pytest.approx(1000.0) and lost is None and note is None
    assert method.startswith("heuristic: 0.5 x annual revenue")


def test_unknown_clv_is_unknown(tmp_path):
    # churn flags but neither CLV, margin nor revenue: no CLV to put at risk
    customers = [dict(customer_id=f"C{c}", churned=c % 4 == 0) for c in range(20)]
    con = _money(tmp_path, customers, _negative_half(20))
    at_risk, _, _, note = _total(con)
    assert at_risk is None and note == "no CLV known for the exposed customers"
    pareto = con.execute("SELECT count(*) FILTER (WHERE clv_at_risk IS NOT NULL) FROM marts.reason_pareto").fetchall()
    assert pareto == [(0,)]  # not a 0 standing in for "unknown"


def test_churned_customers_are_revenue_lost_not_at_risk(tmp_path):
    # source CLV 100 each; 10 exposed (even), 5 of them churned; 10 unexposed, 1 churned
    customers = [dict(customer_id=f"C{c}", clv=100.0, churned=(c % 4 == 0) or c == 1) for c in range(20)]
    con = _money(tmp_path, customers, _negative_half(20))
    at_risk, lost, _, _ = _total(con)
    uplift = 5 / 10 - 1 / 10
    assert at_risk == pytest.approx(5 * 100 * uplift) and lost == pytest.approx(5 * 100)
    basis = con.execute("SELECT clv_basis FROM marts.revenue_at_risk WHERE scope = 'total'").fetchall()[0][0]
    assert basis == "source"


def test_callback_list_puts_unanswered_first_and_keeps_unknown_clv_unknown(tmp_path):
    rows = [
        # U: an email nobody answered (neutral); K: a same-issue repeat, CLV known; N: repeat, no CLV
        dict(id="u1", customer="U", hours=0, channel="email", thread="tu", sentiment=0.0),
        dict(id="k1", customer="K", hours=0, reason="billing", sentiment=-0.5),
        dict(id="k2", customer="K", hours=30, reason="billing", sentiment=-0.5),
        dict(id="n1", customer="N", hours=0, reason="billing", sentiment=-1.0),
        dict(id="n2", customer="N", hours=30, reason="billing", sentiment=-1.0),
        dict(id="z", customer="Z", hours=1000, reason="billing"),
    ]
    customers = [dict(customer_id="U", clv=10.0), dict(customer_id="K", clv=1000.0), dict(customer_id="N"),
                 dict(customer_id="Z", clv=5.0)]
    con = _money(tmp_path, customers, rows)
    got = con.execute("SELECT customer_id, callback_reason, clv, severity, priority FROM marts.callback_list "
                      "ORDER BY rank").fetchall()
    # severity = sum over flagged contacts of 1 + max(0, -sentiment): U 1, K 2 x 1.5 = 3, N 2 x 2 = 4
    assert got == [("U", "unanswered", 10.0, 1.0, 10.0), ("K", "repeated", 1000.0, 3.0, 3000.0),
                   ("N", "repeated", None, 4.0, None)]


# ------------------------------------------------------------------ CLV fits
def _transactions(con, rows: list[tuple[str, datetime, float]], customers: list[str]) -> None:
    con.register("_c", pd.DataFrame({"customer_id": customers, "margin": 30.0, "file_id": "c"}))
    con.register("_t", pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount"]).assign(file_id="t"))
    con.execute("INSERT INTO staging.customers (customer_id, margin, file_id) SELECT * FROM _c")
    con.execute("INSERT INTO staging.transactions (customer_id, occurred_at, amount, file_id) SELECT * FROM _t")


def test_refunds_are_netted_against_their_purchase(tmp_path):
    con = connect(tmp_path / "voc.duckdb")
    d = datetime(2024, 1, 1)
    _transactions(con, [
        ("A", d, 100.0), ("A", d + timedelta(days=10), 80.0), ("A", d + timedelta(days=20), -30.0),
        ("B", d, 100.0), ("B", d + timedelta(days=10), 50.0), ("B", d + timedelta(days=12), -50.0),
        ("C", d + timedelta(days=30), 20.0),
    ], ["A", "B", "C"])
    rfm = con.execute(clv._RFM_SQL).df().set_index("customer_id")
    # A: the refund of 30 nets the day-10 purchase to 50 (one repeat purchase, not two occasions)
    assert tuple(rfm.loc["A", ["frequency", "recency", "t_age", "monetary"]]) == (1, 10, 30, 50.0)
    # B: the day-10 purchase was refunded in full: it did not happen
    assert tuple(rfm.loc["B", ["frequency", "recency", "monetary"]]) == (0, 0, 0.0)


def test_one_time_buyers_never_get_a_negative_clv(tmp_path):
    """60 customers, 40 of them one-time buyers: the 0.01 penalty pulled Gamma-Gamma's q below 1 and
    gave them -131..-149; now an implausible fit is refused and no CLV is negative."""
    con = connect(tmp_path / "voc.duckdb")
    rng = np.random.default_rng(5)
    rows = []
    for i in range(60):
        day = int(rng.integers(0, 300))
        rows.append((f"C{i}", datetime(2024, 1, 1) + timedelta(days=day), 50.0))
        for _ in range(int(rng.integers(1, 5)) if i < 20 else 0):
            day += int(rng.integers(5, 30))
            rows.append((f"C{i}", datetime(2024, 1, 1) + timedelta(days=day), float(rng.uniform(20, 80))))
    _transactions(con, rows, [f"C{i}" for i in range(60)])
    clv.build(con, AnalyticsSettings())
    got = con.execute("SELECT min(clv), count(*) FROM marts.customer_clv").fetchall()[0]
    assert got[0] >= 0 and got[1] == 60


def test_gamma_gamma_implied_mean_matches_observed_spend():
    rng = np.random.default_rng(3)
    freq = rng.integers(1, 8, 200).astype(float)
    money = rng.gamma(6.0, 40 / 6.0, 200)  # mean spend 40
    ggf = clv.fit_gamma_gamma(freq, money, clv.GG_PENALIZERS)
    p, q, v = (float(ggf.params_[k]) for k in ("p", "q", "v"))
    assert q > 1 and p * v / (q - 1) == pytest.approx(money.mean(), rel=0.25)
    with pytest.raises(clv.ImplausibleFit, match="implied mean spend"):
        clv.fit_gamma_gamma(freq, money, (1.0,))  # the strong penalty drags q below 1
