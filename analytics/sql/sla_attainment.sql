-- marts.sla_attainment: service-level attainment by channel, queue, reason and week (docs/marts.md
-- "sla_attainment"): of the contacts judged (sla_met known), the share answered within the target;
-- unanswered and pending counts beside it; median and 90th percentile first response, elapsed and
-- business. One row per (dimension, dim_value, channel); dimension 'channel' repeats the channel.
WITH rows AS (
    SELECT channel, coalesce(queue, '(none)') AS queue, reason, CAST(week AS VARCHAR) AS week,
           sla_met, answered, first_response_s, first_response_business_s, sla_target_s
    FROM marts.response_times
),
dims AS (
    SELECT 'channel' AS dimension, channel AS dim_value, * FROM rows
    UNION ALL SELECT 'queue', queue, * FROM rows
    UNION ALL SELECT 'reason', reason, * FROM rows
    UNION ALL SELECT 'week', week, * FROM rows
),
final AS (
    SELECT dimension, dim_value, channel,
           count(*) AS contacts,
           count(sla_met) AS judged,
           count(*) FILTER (WHERE sla_met) AS met,
           count(*) FILTER (WHERE sla_met) / nullif(count(sla_met), 0) AS attainment,
           count(*) FILTER (WHERE answered = false) AS unanswered,
           count(*) FILTER (WHERE answered IS NULL) AS unknown_or_pending,
           any_value(sla_target_s) AS sla_target_s,
           median(first_response_s) AS median_first_response_s,
           quantile_cont(first_response_s, 0.9) AS p90_first_response_s,
           median(first_response_business_s) AS median_first_response_business_s,
           count(sla_met) >= $min_volume AS meets_min_volume
    FROM dims
    GROUP BY dimension, dim_value, channel
)
SELECT * FROM final ORDER BY dimension, dim_value, channel
