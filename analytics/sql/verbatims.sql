-- marts.verbatims: one narrow row per customer contact (the rows of marts.interactions), holding only
-- what the dashboard's row-level reads show or narrow on: the verbatim tables (their columns, the
-- shared filters and the drill-downs), the Repeat page's chains and one customer's timeline.
-- Newest first, so a page of the newest rows and a date range read few row groups; a page never
-- scans the wide marts.interactions (docs/marts.md).
WITH final AS (
    SELECT interaction_id, occurred_at, day, week, channel, language, customer_id, segment,
           parent_reason, reason, sentiment_label, nev_text, is_negative, top_emotions, ekman,
           is_repeat, chain_id, hours_since_prev, text
    FROM marts.interactions
)
SELECT * FROM final ORDER BY occurred_at DESC, interaction_id
