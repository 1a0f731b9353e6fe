"""A small, seeded warehouse for the dashboard's tests, built by the real `analytics.build`.

Only the layers below the marts are hand-made (staging rows, model scores and topic assignments,
inserted in bulk); every mart is then built by `analytics.build.run`, so a renamed mart column or a
changed definition fails the dashboard's tests instead of drifting past them. Email and social
contacts get company replies in their thread (the agent's side: not contacts). `build(path)` writes
the working file and publishes its serving copy the way the pipeline does. `open_page(at, page)`
switches an AppTest session (the `app` fixture in conftest.py) to a page and checks it ran cleanly.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import build as marts
from analytics.settings import AnalyticsSettings
from pipelines import warehouse

CHANNELS = ("call", "chat", "email", "social")
SEGMENTS = ("consumer", "small business", "enterprise")
REASONS = {  # parent reason -> sub-reasons
    "Billing": ("Double charge", "Refund request"),
    "Delivery": ("Late delivery", "Lost parcel"),
    "Account": ("Login failure", "Password reset"),
}
EMOTIONS = ("anger", "annoyance", "joy", "gratitude", "neutral", "confusion", "disappointment")
VERBATIMS = (
    "I was charged twice for the same order, please fix it",
    "Where is my parcel? It is a week late",
    "I cannot log in to the app since the update",
    "Thanks, the refund arrived quickly",
    "<b>bold</b> **not markdown** =1+1 as typed by a customer",
)
TOPIC_VERSION = "fixture-topics-1"


def contacts_frame(n: int = 400, days: int = 60, seed: int = 7) -> pd.DataFrame:
    """Seeded customer contacts with their scores and topic (one row per contact)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    subs = [(parent, sub) for parent, items in REASONS.items() for sub in items]
    pick = rng.integers(0, len(subs), n)
    customers = rng.integers(0, max(n // 4, 1), n)
    anonymous = rng.random(n) < 0.08
    sentiment = np.clip(rng.normal(-0.1, 0.5, n), -1, 1)
    channel = rng.choice(CHANNELS, n)
    return pd.DataFrame(
        {
            "interaction_id": [f"{i:016x}" for i in range(n)],
            "source_id": [f"src-{i}" for i in range(n)],
            "channel": channel,
            "direction": "inbound",
            "customer_id": [None if a else f"C{c:04d}" for a, c in zip(anonymous, customers, strict=True)],
            "customer_ref_type": "crm",
            "occurred_at": start + pd.to_timedelta(rng.uniform(0, days * 24, n), unit="h"),
            "text": [VERBATIMS[i % len(VERBATIMS)] for i in pick],
            "agent_text": np.where(np.isin(channel, ("call", "chat")), "Sorry about that, let me check.", None),
            "agent_id": rng.choice(["A1", "A2", "A3"], n),
            "duration_s": rng.uniform(60, 900, n).round(0),
            "thread_id": [f"thread-{i}" for i in range(n)],
            "brand": "Acme",
            "queue": "general",
            "file_id": "fixture",
            "record_no": np.arange(n),
            "language": rng.choice(["en", "en", "en", "es"], n),
            "sentiment_label": np.where(
                sentiment < -0.2, "negative", np.where(sentiment > 0.2, "positive", "neutral")
            ),
            "sentiment_score": sentiment,
            "top_emotions": [
                [EMOTIONS[int(x) % len(EMOTIONS)], EMOTIONS[(int(x) + 3) % len(EMOTIONS)]]
                for x in rng.integers(0, 100, n)
            ],
            "ekman": rng.choice(["anger", "joy", "neutral", "sadness"], n),
            "nev_text": np.where(
                rng.random(n) < 0.85, np.clip(sentiment * 100 + rng.normal(0, 15, n), -100, 100), np.nan
            ),
            "topic_id": pick,
            "topic_label": [subs[i][1] for i in pick],
            "parent_topic_id": [list(REASONS).index(subs[i][0]) for i in pick],
            "parent_topic_label": [subs[i][0] for i in pick],
            "topic_confidence": rng.uniform(0.4, 1.0, n),
            "reply_hours": rng.choice([0.5, 3.0, 30.0, np.nan], n),  # email/social reply delay
        }
    )


def _customers(frame: pd.DataFrame) -> pd.DataFrame:
    ids = sorted(frame["customer_id"].dropna().unique())
    k = np.array([int(c[1:]) for c in ids])
    return pd.DataFrame(
        {
            "customer_id": ids,
            "segment": [SEGMENTS[c % 3] for c in k],
            "plan": "basic",
            "revenue": (k % 17 + 1) * 480.0,
            "margin": (k % 17 + 1) * 120.0,
            "churned": k % 9 == 0,
            "file_id": "fixture",
        }
    )


_STAGE_SQL = (
    """INSERT INTO staging.interactions (interaction_id, source_id, channel, direction, customer_id,
           customer_ref_type, occurred_at, text, agent_text, agent_id, duration_s, thread_id, brand, queue,
           file_id, record_no)
       SELECT interaction_id, source_id, channel, direction, customer_id, customer_ref_type, occurred_at,
              text, agent_text, agent_id, duration_s, thread_id, brand, queue, file_id, record_no FROM _contacts""",
    # the company's side: a reply in the thread of most email and social contacts
    """INSERT INTO staging.interactions (interaction_id, source_id, channel, direction, customer_id,
           customer_ref_type, occurred_at, agent_text, agent_id, thread_id, brand, file_id, record_no)
       SELECT 'r' || substr(interaction_id, 2), 'reply-' || source_id, channel, 'outbound', customer_id,
              customer_ref_type, occurred_at + to_seconds(CAST(reply_hours * 3600 AS BIGINT)),
              'Sorry about that, we are on it.', agent_id, thread_id, brand, file_id, record_no
       FROM _contacts WHERE channel IN ('email', 'social') AND reply_hours IS NOT NULL""",
    """INSERT INTO staging.turns (interaction_id, turn_no, speaker, text, begin_s, end_s, file_id)
       SELECT interaction_id, t.turn_no, CASE WHEN t.turn_no % 2 = 0 THEN 'customer' ELSE 'agent' END,
              CASE WHEN t.turn_no % 2 = 0 THEN text ELSE agent_text END, t.turn_no * 10.0, t.turn_no * 10.0 + 9,
              file_id
       FROM _contacts, range(4) t(turn_no) WHERE channel IN ('call', 'chat')""",
    """INSERT INTO staging.customers (customer_id, segment, plan, revenue, margin, churned, file_id)
       SELECT customer_id, segment, plan, revenue, margin, churned, file_id FROM _customers""",
    """INSERT INTO enriched.interaction_scores (interaction_id, model_version, language, is_scored,
           sentiment_label, sentiment_score, top_emotions, ekman, nev_text, sentiment_start, sentiment_end,
           scored_at)
       SELECT interaction_id, 'fixture-1', language, true, sentiment_label, sentiment_score, top_emotions,
              ekman, nev_text,
              CASE WHEN channel IN ('call', 'chat') THEN greatest(sentiment_score - 0.2, -1) END,
              CASE WHEN channel IN ('call', 'chat') THEN least(sentiment_score + 0.1, 1) END,
              TIMESTAMP '2026-03-01'
       FROM _contacts""",
    f"""INSERT INTO enriched.topic_assignments (interaction_id, topic_model_version, topic_id, topic_label,
           parent_topic_id, parent_topic_label, topic_confidence, topic_source)
       SELECT interaction_id, '{TOPIC_VERSION}', topic_id, topic_label, parent_topic_id, parent_topic_label,
              topic_confidence, 'model'
       FROM _contacts""",
)


def build(path: Path, n: int = 400, days: int = 60, seed: int = 7) -> Path:
    """Write a fixture warehouse at `path` (marts built by analytics.build) and publish it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    frame = contacts_frame(n, days, seed)
    con = warehouse.connect(path)
    try:
        con.register("_contacts", frame)
        con.register("_customers", _customers(frame))
        for sql in _STAGE_SQL:
            con.execute(sql)
        con.unregister("_contacts")
        con.unregister("_customers")
        with contextlib.redirect_stderr(io.StringIO()):  # the build's progress bar
            marts.run(con, AnalyticsSettings(bootstrap_samples=50))
    finally:
        con.close()
    warehouse.publish(path)
    return path


def build_empty(path: Path) -> Path:
    """A warehouse whose marts were built from no data at all (the 'not built yet' case)."""
    path = Path(path)
    con = warehouse.connect(path)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            marts.run(con, AnalyticsSettings())
    finally:
        con.close()
    warehouse.publish(path)
    return path



def open_page(at, page: str):
    """Switch the AppTest session `at` to `page` (e.g. "dashboard/pages/agents.py"), run it, and
    check it raised nothing; returns `at`."""
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
