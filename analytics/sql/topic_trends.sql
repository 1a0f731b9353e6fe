-- marts.topic_trends: weekly series per reason on a dense week grid, with each week's distance
-- from the reason's normal range (mean and sd of the previous weeks).
WITH weekly AS (
    SELECT reason, week,
           count(*) AS volume,
           count(*) FILTER (WHERE is_negative) AS negative,
           avg(sentiment_score) AS mean_sentiment,
           avg(nev_text) AS mean_nev,
           avg(CAST(has_same_issue_recontact AS DOUBLE)) AS repeat_rate
    FROM marts.interactions
    GROUP BY reason, week
),
weeks AS (
    SELECT CAST(unnest(generate_series(min(week), max(week), INTERVAL 7 DAY)) AS DATE) AS week
    FROM weekly
),
reasons AS (
    SELECT reason, any_value(parent_reason) AS parent_reason FROM marts.interactions GROUP BY reason
),
grid AS (
    SELECT r.reason, r.parent_reason, w.week,
           coalesce(x.volume, 0) AS volume,
           CASE WHEN x.volume > 0 THEN x.negative / x.volume END AS negative_share,
           x.mean_sentiment, x.mean_nev, x.repeat_rate
    FROM reasons AS r
    CROSS JOIN weeks AS w
    LEFT JOIN weekly AS x USING (reason, week)
),
baseline AS (
    SELECT *,
           avg(volume) OVER prev AS baseline_mean,
           stddev_samp(volume) OVER prev AS baseline_sd,
           count(*) OVER prev AS baseline_weeks,
           avg(negative_share) OVER prev AS baseline_negative_share,
           stddev_samp(negative_share) OVER prev AS baseline_negative_sd
    FROM grid
    WINDOW prev AS (PARTITION BY reason ORDER BY week
                    ROWS BETWEEN $emerging_baseline_weeks PRECEDING AND 1 PRECEDING)
),
scored AS (
    SELECT *,
           -- a Poisson / binomial floor keeps a flat history from turning tiny changes into alarms
           (volume - baseline_mean) / greatest(coalesce(baseline_sd, 0), sqrt(greatest(baseline_mean, 1.0)))
               AS z_volume,
           (negative_share - baseline_negative_share) / greatest(
               coalesce(baseline_negative_sd, 0),
               sqrt(greatest(baseline_negative_share * (1 - baseline_negative_share), 0.01) / greatest(volume, 1)))
               AS z_negative_share
    FROM baseline
),
final AS (
    SELECT reason, parent_reason, week, volume, negative_share, mean_sentiment, mean_nev, repeat_rate,
           baseline_mean, baseline_sd, baseline_negative_share, baseline_negative_sd,
           z_volume, z_negative_share,
           coalesce(baseline_weeks >= $emerging_baseline_weeks / 2 AND volume >= $emerging_min_volume
                    AND z_volume > $emerging_z, false) AS is_flagged_volume,
           coalesce(baseline_weeks >= $emerging_baseline_weeks / 2 AND volume >= $emerging_min_volume
                    AND z_negative_share > $emerging_z, false) AS is_flagged_negative,
           coalesce(baseline_weeks >= $emerging_baseline_weeks / 2 AND volume >= $emerging_min_volume
                    AND (z_volume > $emerging_z OR z_negative_share > $emerging_z), false) AS is_flagged
    FROM scored
)
SELECT * FROM final ORDER BY reason, week
