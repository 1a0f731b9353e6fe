-- marts.emotion_daily: how many contacts have each emotion among their top emotions, per day x
-- channel x reason x segment x language (the dimensions of marts.daily_volume), for the emotion mix.
WITH exploded AS (
    SELECT day, channel, reason, parent_reason,
           coalesce(segment, '(none)') AS segment, coalesce(language, '(none)') AS language,
           unnest(top_emotions) AS emotion
    FROM marts.interactions
    WHERE top_emotions IS NOT NULL
),
final AS (
    SELECT day, channel, reason, parent_reason, segment, language, emotion, count(*) AS contacts
    FROM exploded
    WHERE emotion IS NOT NULL
    GROUP BY ALL
)
SELECT * FROM final ORDER BY day, channel, reason, segment, language, emotion
