-- marts.executive_summary: headline metrics for the last period versus the one before it, summed
-- from marts.daily_volume with the one definition of each figure (analytics/definitions.py KPIS).
WITH bounds AS (
    SELECT max(day) AS last_day,
           max(day) - CAST($summary_period_days AS INTEGER) AS previous_end,
           max(day) - CAST(2 * $summary_period_days AS INTEGER) AS previous_before
    FROM marts.daily_volume
),
tagged AS (
    SELECT d.*,
           CASE WHEN d.day > b.previous_end THEN 'current'
                WHEN d.day > b.previous_before THEN 'previous' END AS period
    FROM marts.daily_volume AS d
    CROSS JOIN bounds AS b
),
per_period AS (
    SELECT period,
           /*kpis*/
    FROM tagged
    WHERE period IS NOT NULL
    GROUP BY period
),
long AS (
    -- a figure with no data (no NEV in the period) stays a row with a NULL value
    SELECT period,
           unnest(['contact_volume', 'repeat_rate_any', 'repeat_rate_same', 'fcr_proxy', 'mean_nev',
                   'mean_sentiment', 'negative_share']) AS metric,
           unnest([CAST(contact_volume AS DOUBLE), repeat_rate_any, repeat_rate_same, fcr_proxy, mean_nev,
                   mean_sentiment, negative_share]) AS value
    FROM per_period
),
paired AS (
    SELECT c.metric, c.value, p.value AS previous_value
    FROM long AS c
    LEFT JOIN long AS p ON p.metric = c.metric AND p.period = 'previous'
    WHERE c.period = 'current'
    UNION ALL
    SELECT 'revenue_at_risk', (SELECT revenue_at_risk FROM marts.revenue_at_risk WHERE scope = 'total'), NULL
),
final AS (
    SELECT x.metric, l.label, x.value, x.previous_value,
           x.value - x.previous_value AS change,
           (x.value - x.previous_value) / nullif(abs(x.previous_value), 0) AS change_pct,
           l.unit,
           CAST(b.previous_end + 1 AS DATE) AS period_start, b.last_day AS period_end,
           CAST(b.previous_before + 1 AS DATE) AS previous_start, b.previous_end AS previous_end,
           CAST($window_hours AS INTEGER) AS window_hours,
           l.definition
    FROM paired AS x
    JOIN marts.metric_definitions AS l USING (metric)
    CROSS JOIN bounds AS b
)
SELECT * FROM final ORDER BY metric
