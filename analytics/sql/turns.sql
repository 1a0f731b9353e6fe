-- marts.turns: staging.turns with the turn scores of the model version that scored the
-- interaction last (the version marts.interactions shows), so a call and its turns always agree
-- after a re-score in another mode (fast -> full) whatever the versions' names sort as.
WITH current_version AS (
    SELECT interaction_id, model_version
    FROM enriched.interaction_scores
    QUALIFY row_number() OVER (PARTITION BY interaction_id ORDER BY scored_at DESC, model_version DESC) = 1
),
latest AS (
    SELECT s.*
    FROM enriched.turn_scores AS s
    JOIN current_version USING (interaction_id, model_version)
),
final AS (
    SELECT t.interaction_id, t.turn_no, t.speaker, t.text, t.begin_s, t.end_s,
           s.model_version, s.sentiment_label, s.sentiment_score, s.top_emotion
    FROM staging.turns AS t
    LEFT JOIN latest AS s USING (interaction_id, turn_no)
)
SELECT * FROM final
