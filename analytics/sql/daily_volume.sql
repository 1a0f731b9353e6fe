-- marts.daily_volume: contacts per day x channel x reason with sums for sentiment/NEV trends.
WITH final AS (
    SELECT day, channel, reason,
           count(*) AS contacts,
           count(*) FILTER (WHERE is_negative) AS negative,
           sum(sentiment_score) AS sentiment_sum, count(sentiment_score) AS sentiment_n,
           sum(nev_text) AS nev_sum, count(nev_text) AS nev_n,
           count(*) FILTER (WHERE is_repeat) AS repeats,
           sum(handle_time_s) AS handle_time_s
    FROM marts.interactions
    GROUP BY day, channel, reason
)
SELECT * FROM final ORDER BY day, channel, reason
