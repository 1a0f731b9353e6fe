-- marts.label_candidates: per reason, the 20 scored contacts the sentiment model is least sure of,
-- for the Explore page's "what to label next" (dashboard/corrections.py): a score whose |value| is
-- near 0.33 (where the argmax flips between neutral and a polar class), then a low topic confidence.
-- The page drops the contacts labelled since the build and keeps the first PER_REASON of each reason;
-- when labels have used up a reason's candidates it ranks marts.interactions itself, with the same
-- order, so the suggestions are the same either way. `reason_contacts`: the reason's scored contacts.
WITH ranked AS (
    SELECT interaction_id, coalesce(topic_label, 'other') AS reason, sentiment_label, sentiment_score, text,
           abs(abs(sentiment_score) - 0.33) + 0.25 * coalesce(topic_confidence, 0) AS sureness
    FROM marts.interactions
    WHERE sentiment_score IS NOT NULL
),
final AS (
    SELECT *, row_number() OVER (PARTITION BY reason ORDER BY sureness, interaction_id) AS candidate_rank,
           count(*) OVER (PARTITION BY reason) AS reason_contacts
    FROM ranked
    QUALIFY candidate_rank <= 20
)
SELECT * FROM final ORDER BY reason, candidate_rank
