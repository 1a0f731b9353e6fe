"""The contact schedule: who contacts us, when, on which channel, about what, and how it ends.

Base volume is a Poisson process per customer (heavier for active customers and higher segments)
with a weekday/office-hours profile; the planted patterns (see `pipelines.demo.generate`) are added
on top as extra contacts, each tagged with its `origin` so the tests can measure them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.demo.reasons import CATALOGUE

DAY = 86_400
CALL, CHAT, EMAIL, SOCIAL = range(4)   # indices into reasons.CHANNELS
# Why a contact exists; kept as a column so tests can check each planted pattern on its own.
ORIGINS = ("base", "billing_defect", "delivery_spike", "login_switch", "repeat", "transfer", "monthly")
ORIGIN = {name: i for i, name in enumerate(ORIGINS)}
R = {r.key: i for i, r in enumerate(CATALOGUE)}
HOUR_PROFILE = np.array([1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 3, 7, 10, 10, 9, 8, 9, 9, 8, 7, 6, 5, 4, 3, 2.5, 2, 1.5])
WEEKDAY_PROFILE = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.55, 0.4])   # Monday first
N_AGENTS = 60
WEAK_AGENTS = (7, 23, 41)   # agents whose contacts are resolved less often


@dataclass(frozen=True)
class Plan:
    """The knobs of the planted patterns (their ground truth is `pipelines.demo.generate.planted_truth`)."""

    base_rate: float = 0.025            # contacts per customer per day (x segment activity)
    anonymous_share: float = 0.04       # calls/chats with no customer id
    defect_share: float = 0.05          # customers hit by the double charge
    spike_factor: float = 4.0           # late-delivery volume in the spike week vs a normal week
    login_switch_share: float = 0.5     # login-failure chats followed by a call within 48 h
    repeat_share: float = 0.3           # unresolved contacts followed by a repeat
    transfer_share: float = 0.06        # calls with a transfer leg just before
    irregular_share: float = 0.03       # customers who contact us about payment every month


def _times(rng: np.random.Generator, n: int, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
    """`n` timestamps in [lo, hi) following the weekday and office-hour profile (thinning)."""
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (n,))
    hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), (n,))
    out = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    while len(todo):
        ts = lo[todo] + (rng.random(len(todo)) * (hi[todo] - lo[todo])).astype(np.int64)
        hour = (ts % DAY) // 3600
        weekday = (ts // DAY + 3) % 7          # 1970-01-01 was a Thursday
        accept = rng.random(len(todo)) < HOUR_PROFILE[hour] / 10 * WEEKDAY_PROFILE[weekday] / 1.15
        out[todo[accept]] = ts[accept]
        todo = todo[~accept]
    return out


def _channels(rng: np.random.Generator, reason: np.ndarray) -> np.ndarray:
    cum = np.cumsum(np.array([r.channels for r in CATALOGUE]), axis=1)
    cum /= cum[:, -1:]
    return (rng.random(len(reason))[:, None] > cum[reason]).sum(axis=1)


def _block(rng: np.random.Generator, ts: np.ndarray, customer: np.ndarray, reason: np.ndarray,
           channel: np.ndarray | None, origin: str, *, repeat: bool = False, resolved: np.ndarray | None = None,
           negative: np.ndarray | None = None) -> dict[str, np.ndarray]:
    n = len(ts)
    p_res = np.array([r.p_resolved for r in CATALOGUE])[reason]
    p_neg = np.array([r.p_negative for r in CATALOGUE])[reason]
    return {
        "ts": ts.astype(np.int64), "customer": customer.astype(np.int64), "reason": reason.astype(np.int64),
        "channel": (channel if channel is not None else _channels(rng, reason)).astype(np.int64),
        "resolved": resolved if resolved is not None else rng.random(n) < p_res,
        "negative": negative if negative is not None else rng.random(n) < (0.9 if repeat else p_neg),
        "repeat": np.full(n, repeat), "origin": np.full(n, ORIGIN[origin], dtype=np.int64),
    }


def _concat(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


def _pick_customers(rng: np.random.Generator, weight: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weight), size=n, p=weight / weight.sum())


def schedule(rng: np.random.Generator, customers: pd.DataFrame, start_ts: int, end_ts: int, spike_start_ts: int,
             scale: float = 1.0, plan: Plan = Plan()) -> dict[str, np.ndarray]:
    """Every inbound contact, sorted by time, as numpy columns.

    ts (epoch s), customer (row of `customers`, -1 = anonymous), reason (index into CATALOGUE), channel
    (CALL..SOCIAL), resolved, negative (starts upset), repeat, origin (index into ORIGINS), kind
    (1 = transfer leg), agent, extra (follow-up turn pairs), unknown_ref (email/social from an
    identity not in the CRM), is_cancel. Adds `dc_affected` and `irregular_payer` to `customers`.
    """
    n_cust = len(customers)
    days = (end_ts - start_ts) / DAY
    activity = customers["activity"].to_numpy()
    seg = customers["seg"].to_numpy()
    weights = np.array([r.weight for r in CATALOGUE])
    weights /= weights.sum()

    n_base = rng.poisson(plan.base_rate * scale * activity.sum() * days)
    reason = rng.choice(len(CATALOGUE), size=n_base, p=weights)
    base = _block(rng, _times(rng, n_base, start_ts, end_ts), _pick_customers(rng, activity, n_base), reason, None, "base")
    blocks = [base]

    # (1) Billing defect: affected customers (Premium over-represented) contact us again and again.
    defect_w = np.asarray((1.0, 1.5, 6.0))[seg]
    n_aff = max(1, int(plan.defect_share * n_cust))
    affected = rng.choice(n_cust, size=n_aff, replace=False, p=defect_w / defect_w.sum())
    chain_len = np.minimum(2 + rng.poisson(1.5, n_aff), 5)
    first = _times(rng, n_aff, start_ts, end_ts - 3 * DAY)
    cust = np.repeat(affected, chain_len)
    step = np.concatenate([np.arange(k) for k in chain_len])
    gaps = np.where(step == 0, 0, rng.uniform(0.4, 5.5, len(cust)) * DAY).astype(np.int64)
    group_start = np.repeat(first, chain_len)
    offsets = np.concatenate([np.cumsum(g) for g in np.split(gaps, np.cumsum(chain_len)[:-1])])
    ts = group_start + offsets
    last = step == np.repeat(chain_len - 1, chain_len)
    dc = np.full(len(cust), R["billing_double_charge"])
    defect_channel = rng.choice(4, size=len(cust), p=(0.6, 0.15, 0.2, 0.05))
    blocks.append(_block(rng, ts, cust, dc, defect_channel, "billing_defect", repeat=False,
                         resolved=last & (rng.random(len(cust)) < 0.4), negative=rng.random(len(cust)) < 0.9))
    blocks[-1]["repeat"] = step > 0
    customers["dc_affected"] = np.isin(np.arange(n_cust), affected)

    # (2) Delivery-delay spike: the week from spike_start_ts gets (factor - 1) x a normal week's extra.
    weekly = (reason == R["delivery_late"]).sum() * 7 / days
    n_spike = rng.poisson(max(plan.spike_factor - 1, 0) * weekly)
    ts = _times(rng, n_spike, spike_start_ts, spike_start_ts + 7 * DAY)
    blocks.append(_block(rng, ts, _pick_customers(rng, activity, n_spike), np.full(n_spike, R["delivery_late"]), None,
                         "delivery_spike", negative=rng.random(n_spike) < 0.9))

    # Anonymous calls and chats (never chained into repeats, so only on base contacts).
    anon = np.isin(base["channel"], (CALL, CHAT)) & (rng.random(n_base) < plan.anonymous_share)
    base["customer"][anon] = -1

    # (3) Web-login failure: chat first, then a call on the same reason within 48 h.
    login_chat = np.flatnonzero((base["reason"] == R["account_login_failure"]) & (base["channel"] == CHAT)
                                & (base["customer"] >= 0))
    base["resolved"][login_chat] = rng.random(len(login_chat)) < 0.15   # the chat cannot fix the web login
    switch = login_chat[rng.random(len(login_chat)) < plan.login_switch_share]
    ts = base["ts"][switch] + rng.integers(3600, 40 * 3600, size=len(switch))
    blocks.append(_block(rng, ts, base["customer"][switch], base["reason"][switch], np.full(len(switch), CALL),
                         "login_switch", repeat=True))

    # Ordinary failure demand: some unresolved base contacts come back within days, any channel.
    cand = np.flatnonzero(~base["resolved"] & (base["customer"] >= 0)
                          & (base["reason"] != R["account_login_failure"]))
    rep = cand[rng.random(len(cand)) < plan.repeat_share]
    ts = base["ts"][rep] + (rng.uniform(0.3, 12, len(rep)) * DAY).astype(np.int64)
    blocks.append(_block(rng, ts, base["customer"][rep], base["reason"][rep], None, "repeat", repeat=True))

    # Monthly payment contacts from irregular payers (candidates for a proactive reminder).
    n_irr = max(1, int(plan.irregular_share * n_cust))
    irregular = rng.choice(n_cust, size=n_irr, replace=False)
    customers["irregular_payer"] = np.isin(np.arange(n_cust), irregular)
    months = int(days // 30) + 1
    day_of_month = rng.integers(1, 29, size=n_irr)
    cust = np.repeat(irregular, months)
    m = np.tile(np.arange(months), n_irr)
    ts = start_ts + (m * 30 + np.repeat(day_of_month, months) - 1 + rng.integers(-1, 2, len(cust))) * DAY \
        + rng.integers(9 * 3600, 18 * 3600, len(cust))
    keep = (ts >= start_ts) & (rng.random(len(cust)) < 0.85)
    blocks.append(_block(rng, ts[keep], cust[keep], np.full(keep.sum(), R["payment_arrangement"]),
                         rng.choice(4, size=keep.sum(), p=(0.3, 0.35, 0.35, 0.0)), "monthly"))

    contacts = _concat(blocks)
    keep = (contacts["ts"] >= start_ts) & (contacts["ts"] < end_ts)
    contacts = {k: v[keep] for k, v in contacts.items()}

    # Transfers: a short first leg 2-9 minutes before some calls, same customer and reason.
    calls = np.flatnonzero(contacts["channel"] == CALL)
    legs = calls[rng.random(len(calls)) < plan.transfer_share]
    leg = {k: v[legs].copy() for k, v in contacts.items()}
    leg["ts"] -= rng.integers(120, 540, size=len(legs))
    leg["origin"][:] = ORIGIN["transfer"]
    leg["resolved"][:] = False
    contacts = _concat([contacts, leg])
    n = len(contacts["ts"])
    contacts["kind"] = (contacts["origin"] == ORIGIN["transfer"]).astype(np.int64)   # 1 = transfer leg
    contacts["agent"] = rng.integers(N_AGENTS, size=n)
    weak = np.isin(contacts["agent"], WEAK_AGENTS) & (rng.random(n) < 0.5)
    contacts["resolved"] &= ~weak
    contacts["extra"] = rng.integers(0, 6, size=n) + (~contacts["resolved"]).astype(np.int64)
    contacts["unknown_ref"] = np.isin(contacts["channel"], (EMAIL, SOCIAL)) & (rng.random(n) < 0.06) \
        & (contacts["origin"] == ORIGIN["base"])
    contacts["is_cancel"] = contacts["reason"] == R["cancellation"]
    # A known customer without a social handle in the CRM writes an email instead of posting.
    has_handle = customers["handle"].notna().to_numpy()
    no_handle = (contacts["channel"] == SOCIAL) & (contacts["customer"] >= 0) & ~has_handle[contacts["customer"]]
    contacts["channel"][no_handle] = EMAIL
    order = np.argsort(contacts["ts"], kind="stable")
    return {k: v[order] for k, v in contacts.items()}

