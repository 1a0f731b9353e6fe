"""Helpers for analytics tests: insert hand-made staging/enriched rows in bulk."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

T0 = datetime(2024, 1, 1, 9, 0, 0)


def add_interactions(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """rows: dicts with id, customer, hours (offset from T0), and optional channel, reason, parent
    (parent reason), other (True: the topic model's "Other", id -1), sentiment, direction, text,
    agent_text, thread, agent, duration, nev. Inserts staging + scores + topic assignments."""
    frame = pd.DataFrame([{
        "interaction_id": r["id"], "source_id": r["id"], "channel": r.get("channel", "call"),
        "direction": r.get("direction", "inbound"), "customer_id": r.get("customer"),
        "occurred_at": T0 + timedelta(hours=r["hours"]), "text": r.get("text", "hello"),
        "agent_id": r.get("agent"), "duration_s": r.get("duration"), "file_id": "f",
        "agent_text": r.get("agent_text"), "thread_id": r.get("thread"), "parent": r.get("parent"),
        "topic_id": -1 if r.get("other") else None, "topic_source": "other" if r.get("other") else "model",
        "reason": r.get("reason", "billing"), "sentiment": r.get("sentiment", 0.0),
        "nev": r.get("nev"),
    } for r in rows])
    con.register("_rows", frame)
    con.execute("""
        INSERT INTO staging.interactions (interaction_id, source_id, channel, direction, customer_id,
            occurred_at, text, agent_text, agent_id, duration_s, thread_id, file_id)
        SELECT interaction_id, source_id, channel, direction, customer_id, occurred_at, text, agent_text,
               agent_id, duration_s, thread_id, file_id FROM _rows""")
    con.execute("""
        INSERT INTO enriched.interaction_scores (interaction_id, model_version, is_scored, sentiment_label,
            sentiment_score, nev_text, scored_at)
        SELECT interaction_id, 'm1', true,
               CASE WHEN sentiment < -0.2 THEN 'negative' WHEN sentiment > 0.2 THEN 'positive' ELSE 'neutral' END,
               sentiment, nev, TIMESTAMP '2024-06-01' FROM _rows""")
    con.execute("""
        INSERT INTO enriched.topic_assignments (interaction_id, topic_model_version, topic_id, topic_label,
            parent_topic_id, parent_topic_label, topic_confidence, topic_source)
        SELECT interaction_id, 't1', coalesce(topic_id, hash(reason) % 1000), reason,
               CASE WHEN parent IS NOT NULL THEN hash(parent) % 1000 END, parent, 0.9, topic_source FROM _rows
        WHERE reason IS NOT NULL""")
    con.unregister("_rows")


def add_customers(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """rows: dicts with customer_id and optional segment, revenue, margin, churned, clv."""
    frame = pd.DataFrame([{
        "customer_id": r["customer_id"], "segment": r.get("segment"), "revenue": r.get("revenue"),
        "margin": r.get("margin"), "churned": r.get("churned"), "clv": r.get("clv"), "file_id": "c",
    } for r in rows])
    frame = frame.astype({"revenue": float, "margin": float, "clv": float, "churned": "boolean"})
    con.register("_cust", frame)
    con.execute("""INSERT INTO staging.customers (customer_id, segment, revenue, margin, churned, clv, file_id)
                   SELECT customer_id, segment, revenue, margin, churned, clv, file_id FROM _cust""")
    con.unregister("_cust")
