"""Contact-reason labels (`teach reason`, dashboard corrections) as pinned topic assignments.

A labelled contact keeps its label as its reason whatever the topic model says
(`topic_source = 'label'`, confidence 1). A label that names an existing topic of the current model
(case-insensitive) takes that topic's id and parent; any other label seeds a new topic, with a
stable id >= `LABEL_ID_MIN` derived from its name, so the taxonomy grows with what analysts name.
The topics stage calls `apply` after each assignment; everything here is bulk SQL.
"""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from pipelines.models import taught
from pipelines.warehouse import registered

LABEL_ID_MIN = 20_000  # above the topics stage's rule ids (10,000+) and every fitted id


def label_topic_id(label: str) -> int:
    """The stable id of a reason that no topic carries (same name, same id, on every run)."""
    return LABEL_ID_MIN + int(hashlib.md5(label.strip().lower().encode()).hexdigest()[:5], 16)


def apply(con: duckdb.DuckDBPyConnection, version: str) -> int:
    """Pin the stored reason labels onto `version`'s assignments; returns how many contacts were pinned."""
    db = taught.warehouse_file(con)
    labels = taught.current_labels(db, "reason") if db is not None else pd.DataFrame()
    if labels.empty:
        return 0
    labels = labels[["interaction_id", "label"]].copy()
    labels["label"] = labels["label"].str.strip()
    labels["new_id"] = [label_topic_id(x) for x in labels["label"]]
    with registered(con, reason_labels=labels):
        con.execute("""
            CREATE OR REPLACE TEMP TABLE reason_pins AS
            WITH known AS (
                SELECT lower(topic_label) AS key, min(topic_id) AS topic_id
                FROM enriched.topics WHERE topic_model_version = ? AND topic_id < ? GROUP BY ALL
            ), final AS (
                SELECT r.interaction_id, coalesce(k.topic_id, r.new_id) AS topic_id,
                       coalesce(t.topic_label, r.label) AS topic_label,
                       coalesce(t.parent_topic_id, r.new_id) AS parent_topic_id,
                       coalesce(t.parent_topic_label, r.label) AS parent_topic_label
                FROM reason_labels r
                LEFT JOIN known k ON k.key = lower(r.label)
                LEFT JOIN enriched.topics t ON t.topic_model_version = ? AND t.topic_id = k.topic_id
            )
            SELECT * FROM final""", [version, LABEL_ID_MIN, version])
    n = con.execute("""
        UPDATE enriched.topic_assignments a
        SET topic_id = p.topic_id, topic_label = p.topic_label, parent_topic_id = p.parent_topic_id,
            parent_topic_label = p.parent_topic_label, topic_confidence = 1.0, topic_source = 'label'
        FROM reason_pins p
        WHERE a.interaction_id = p.interaction_id AND a.topic_model_version = ?
        RETURNING a.interaction_id""", [version]).fetchall()
    con.execute("""
        INSERT INTO enriched.topics
        SELECT ?, p.topic_id, min(p.topic_label), min(p.parent_topic_id), min(p.parent_topic_label),
               []::VARCHAR[], []::VARCHAR[], 0
        FROM reason_pins p
        WHERE p.topic_id >= ? AND NOT EXISTS (SELECT 1 FROM enriched.topics t
                                              WHERE t.topic_model_version = ? AND t.topic_id = p.topic_id)
        GROUP BY p.topic_id""",
                [version, LABEL_ID_MIN, version])
    con.execute("""
        UPDATE enriched.topics t SET size = coalesce(a.n, 0)
        FROM (SELECT tt.topic_id, count(a.interaction_id) AS n
              FROM enriched.topics tt
              LEFT JOIN enriched.topic_assignments a
                ON a.topic_model_version = tt.topic_model_version AND a.topic_id = tt.topic_id
              WHERE tt.topic_model_version = ? GROUP BY tt.topic_id) a
        WHERE t.topic_model_version = ? AND t.topic_id = a.topic_id""", [version, version])
    con.execute("DROP TABLE IF EXISTS temp.reason_pins")
    return len(n)
