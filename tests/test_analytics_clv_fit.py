"""BG/NBD + Gamma-Gamma CLV: fitted on real purchase histories, retried with stronger penalties
before it falls back to margin-retention, and the method is stored with every value."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics import clv
from analytics.settings import AnalyticsSettings
from pipelines.warehouse import connect


@pytest.fixture()
def con(tmp_path):
    """60 customers with a margin; 50 of them bought repeatedly over a year (Poisson-ish gaps)."""
    con = connect(tmp_path / "voc.duckdb")
    rng = np.random.default_rng(5)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(60)], "margin": 30.0, "file_id": "c"})
    rows = []
    for i in range(50):
        day, rate, spend = rng.integers(0, 60), rng.uniform(0.02, 0.15), rng.uniform(10, 80)
        while day < 365:
            rows.append((f"C{i}", datetime(2024, 1, 1) + timedelta(days=int(day)), round(spend * rng.uniform(0.7, 1.3), 2)))
            day += max(1, int(rng.exponential(1 / rate)))
    tx = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "amount"]).assign(file_id="t", record_no=0)
    con.register("_c", customers)
    con.register("_t", tx)
    con.execute("INSERT INTO staging.customers (customer_id, margin, file_id) SELECT * FROM _c")
    con.execute("INSERT INTO staging.transactions (customer_id, occurred_at, amount, file_id, record_no) "
                "SELECT customer_id, occurred_at, amount, file_id, record_no FROM _t")
    yield con
    con.close()


def methods(con) -> dict[str, int]:
    return dict(con.execute("SELECT clv_method, count(*) FROM marts.customer_clv GROUP BY ALL").fetchall())


def test_purchase_histories_get_bgnbd_clv(con):
    clv.build(con, AnalyticsSettings())
    assert methods(con) == {"bgnbd_gg": 50, "margin_retention": 10}
    values = np.array([v for (v,) in con.execute(
        "SELECT clv FROM marts.customer_clv WHERE clv_method = 'bgnbd_gg'").fetchall()])
    assert np.isfinite(values).all() and (values > 0).all()


def test_a_failed_fit_is_retried_with_a_stronger_penalty(con, monkeypatch):
    real, tried = clv.bgnbd_gamma_gamma, []

    def flaky(rfm, settings, penalizer=0.01):
        tried.append(penalizer)
        if penalizer < 0.1:
            raise RuntimeError("ConvergenceError: the model did not converge")
        return real(rfm, settings, penalizer)

    monkeypatch.setattr(clv, "bgnbd_gamma_gamma", flaky)
    clv.build(con, AnalyticsSettings())
    assert tried == [0.01, 0.1]
    assert methods(con)["bgnbd_gg"] == 50


def test_margin_retention_when_no_penalty_converges(con, monkeypatch):
    def broken(rfm, settings, penalizer=0.01):
        raise RuntimeError("ConvergenceError")

    monkeypatch.setattr(clv, "bgnbd_gamma_gamma", broken)
    clv.build(con, AnalyticsSettings(clv_penalizers=(0.01, 1.0)))
    assert methods(con) == {"margin_retention": 60}


def test_clv_is_refitted_only_when_its_inputs_change(con, monkeypatch):
    """A day of new contacts leaves CLV as it was (the fit is skipped); new purchases refit it."""
    settings = AnalyticsSettings()
    clv.build(con, settings)
    before = con.execute("SELECT * FROM marts.customer_clv ORDER BY customer_id").fetchall()
    fits = []
    real_fit = clv._fit_with_penalties
    monkeypatch.setattr(clv, "_fit_with_penalties", lambda *a: fits.append(1) or real_fit(*a))

    assert clv.build(con, settings).startswith("reused")
    assert fits == [] and con.execute("SELECT * FROM marts.customer_clv ORDER BY customer_id").fetchall() == before

    con.execute("INSERT INTO staging.transactions (customer_id, occurred_at, amount, file_id, record_no) "
                "VALUES ('C55', TIMESTAMP '2024-06-01', 40, 't2', 1), ('C55', TIMESTAMP '2024-09-01', 45, 't2', 2)")
    clv.build(con, settings)
    assert fits == [1] and methods(con)["bgnbd_gg"] == 51

    clv.build(con, AnalyticsSettings(discount_rate=0.2))  # a CLV setting changed: refit
    assert fits == [1, 1]
