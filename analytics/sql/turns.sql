-- marts.turns: staging.turns with the latest turn scores.
WITH latest AS (
    SELECT *
    FROM enriched.turn_scores
    QUALIFY model_version = max(model_version) OVER (PARTITION BY interaction_id)
),
final AS (
    SELECT t.interaction_id, t.turn_no, t.speaker, t.text, t.begin_s, t.end_s,
           s.model_version, s.sentiment_label, s.sentiment_score, s.top_emotion
    FROM staging.turns AS t
    LEFT JOIN latest AS s USING (interaction_id, turn_no)
)
SELECT * FROM final
