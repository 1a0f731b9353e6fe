-- marts.emerging_issues: runs of consecutive weeks where a reason's volume or negative share is
-- beyond its normal range, with the week the run started.
WITH flagged AS (
    SELECT reason, 'volume' AS metric, week, CAST(volume AS DOUBLE) AS value, z_volume AS z,
           baseline_mean, baseline_sd
    FROM marts.topic_trends WHERE is_flagged_volume
    UNION ALL
    SELECT reason, 'negative_share', week, negative_share, z_negative_share,
           baseline_negative_share, baseline_negative_sd
    FROM marts.topic_trends WHERE is_flagged_negative
),
runs AS (
    -- consecutive weeks share the same (week - n * 7 days) anchor
    SELECT *,
           week - INTERVAL 7 DAY * row_number() OVER (PARTITION BY reason, metric ORDER BY week) AS run_anchor
    FROM flagged
),
final AS (
    SELECT reason, metric,
           min(week) AS start_week, max(week) AS last_week,
           arg_max(week, z) AS peak_week, max(value) AS peak_value,
           arg_min(baseline_mean, week) AS baseline_mean,
           arg_min(baseline_sd, week) AS baseline_sd,
           max(z) AS z_max, count(*) AS weeks_flagged,
           CAST($emerging_z AS DOUBLE) AS threshold_z
    FROM runs
    GROUP BY reason, metric, run_anchor
)
SELECT * FROM final ORDER BY z_max DESC
