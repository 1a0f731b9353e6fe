"""The demo's customer base (segments, revenue, identities), its churn and its transactions.

Everything is vectorised numpy so that a million-interaction benchmark set builds in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = ("Consumer", "SMB", "Premium")
SEGMENT_SHARE = (0.70, 0.20, 0.10)
# Annual revenue (currency units): lognormal median per segment, and the margin rate.
REVENUE_MEDIAN = (420.0, 1900.0, 3600.0)
MARGIN_RATE = (0.22, 0.30, 0.38)
ACTIVITY = (1.0, 1.15, 1.3)            # how often each segment contacts us, relative
PLANS = {
    "Consumer": ("Basic 10GB", "SIM-only 30GB", "Unlimited Plus", "Fibre 100"),
    "SMB": ("Business Pro", "Business Fibre", "Multi-line 5"),
    "Premium": ("Unlimited Plus", "Fibre 500", "Family Share Max"),
}
FIRST = ("sam", "alex", "maria", "tom", "priya", "jo", "chris", "kate", "li", "omar", "anna", "dan", "fatima",
         "james", "sophie", "raj", "emma", "lukas", "nina", "paul", "zoe", "mo", "grace", "ian", "eva", "ben")
LAST = ("jones", "patel", "smith", "lopez", "nowak", "chen", "brown", "khan", "wilson", "taylor", "evans",
        "murphy", "kowalski", "singh", "walker", "green", "hall", "wood", "clarke", "ali")
MAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")


def make_customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """`n` customers: id, segment, plan, revenue, margin, tenure and email/phone/handle identities."""
    seg = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARE)
    revenue = np.round(np.asarray(REVENUE_MEDIAN)[seg] * rng.lognormal(0.0, 0.45, n), 2)
    margin = np.round(revenue * np.asarray(MARGIN_RATE)[seg] * rng.uniform(0.8, 1.2, n), 2)
    segment = np.asarray(SEGMENTS, dtype=object)[seg]
    plan = np.empty(n, dtype=object)
    for s, name in enumerate(SEGMENTS):
        mask = seg == s
        plan[mask] = np.asarray(PLANS[name], dtype=object)[rng.integers(len(PLANS[name]), size=mask.sum())]
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6)).astype(object)
    first = np.asarray(FIRST, dtype=object)[rng.integers(len(FIRST), size=n)]
    last = np.asarray(LAST, dtype=object)[rng.integers(len(LAST), size=n)]
    serial = np.arange(1, n + 1).astype(str).astype(object)
    domain = np.asarray(MAIL_DOMAINS, dtype=object)[rng.integers(len(MAIL_DOMAINS), size=n)]
    email = first + "." + last + serial + "@" + domain
    phone = ("+4477009" + np.char.zfill(rng.integers(0, 100_000, size=n).astype(str), 5).astype(object))
    handle = first + "_" + last + serial
    # Not every customer has every identifier: CRM data is incomplete in real life.
    phone[rng.random(n) < 0.1] = None
    handle[rng.random(n) < 0.4] = None
    return pd.DataFrame({
        "customer_id": ids, "segment": segment, "plan": plan, "annual_revenue": revenue, "margin": margin,
        "tenure_months": rng.integers(1, 121, size=n), "first": first, "last": last,
        "email": email, "phone": phone, "handle": handle,
        "activity": np.asarray(ACTIVITY)[seg] * rng.lognormal(0.0, 0.6, n),
        "seg": seg,
    })


def assign_churn(customers: pd.DataFrame, contacts: dict[str, np.ndarray], rng: np.random.Generator,
                 start_ts: int, end_ts: int) -> pd.DataFrame:
    """Churn flags correlated with negative experience: unresolved contacts, the billing defect, cancellations.

    `churned_at` falls 1-21 days after the customer's last contact (never after the end of the data).
    """
    n = len(customers)
    cust = contacts["customer"]
    known = cust >= 0
    unresolved = np.bincount(cust[known & ~contacts["resolved"]], minlength=n)
    dc = customers["dc_affected"].to_numpy(dtype=bool)
    cancel = np.bincount(cust[known & contacts["is_cancel"]], minlength=n) > 0
    seg = customers["seg"].to_numpy()
    p = 0.03 + 0.05 * np.minimum(unresolved, 5) + 0.25 * cancel
    p += dc * np.asarray((0.15, 0.20, 0.45))[seg]   # the defect hurts Premium most (planted pattern 1)
    churned = rng.random(n) < np.minimum(p, 0.9)
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, cust[known], contacts["ts"][known])
    no_contact = last < 0
    last[no_contact] = rng.integers(start_ts, end_ts, size=no_contact.sum())
    churned_at = np.minimum(last + rng.integers(86_400, 21 * 86_400, size=n), end_ts)
    out = customers.copy()
    out["churned"] = churned
    out["churned_at"] = np.where(churned, churned_at, -1)
    return out


def make_transactions(customers: pd.DataFrame, rng: np.random.Generator, start_ts: int, end_ts: int) -> pd.DataFrame:
    """Monthly bill payments (late or missed for irregular payers) plus occasional shop purchases.

    History starts a year before the end so that BG/NBD has repeat purchases to fit.
    """
    n = len(customers)
    hist_start = end_ts - 365 * 86_400
    months = 12
    cid = np.repeat(np.arange(n), months)
    month = np.tile(np.arange(months), n)
    bill_day = rng.integers(1, 28, size=n)[cid]
    ts = hist_start + (month * 30 + bill_day) * 86_400 + rng.integers(0, 86_400, size=n * months)
    irregular = customers["irregular_payer"].to_numpy()[cid]
    ts = ts + irregular * rng.integers(3, 20, size=n * months) * 86_400   # irregular payers pay late
    keep = ~(irregular & (rng.random(n * months) < 0.3))                     # ...or skip a month
    amount = customers["annual_revenue"].to_numpy()[cid] / 12 * rng.uniform(0.9, 1.1, n * months)
    n_shop = rng.poisson(np.asarray((1.5, 2.5, 4.0))[customers["seg"].to_numpy()])
    scid = np.repeat(np.arange(n), n_shop)
    sts = rng.integers(hist_start, end_ts, size=len(scid))
    samount = rng.gamma(2.0, 40.0, size=len(scid)) * np.asarray((1.0, 1.6, 2.5))[customers["seg"].to_numpy()[scid]]
    cid = np.concatenate([cid[keep], scid])
    ts = np.concatenate([ts[keep], sts])
    amount = np.concatenate([amount[keep], samount])
    churned_at = customers["churned_at"].to_numpy()[cid]
    keep = (ts < end_ts) & ((churned_at < 0) | (ts < churned_at))
    order = np.lexsort((ts[keep], cid[keep]))
    return pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[cid[keep]][order],
        "ts": ts[keep][order],
        "amount": np.round(amount[keep][order], 2),
    })
