-- marts.executive_summary: headline metrics for the last period versus the one before it.
WITH bounds AS (
    SELECT max(occurred_at) AS period_end,
           max(occurred_at) - to_days(CAST($summary_period_days AS INTEGER)) AS period_start,
           max(occurred_at) - to_days(CAST(2 * $summary_period_days AS INTEGER)) AS previous_start
    FROM staging.interactions
),
tagged AS (
    SELECT i.*,
           CASE WHEN i.occurred_at > b.period_start THEN 'current'
                WHEN i.occurred_at > b.previous_start THEN 'previous' END AS period
    FROM marts.interactions AS i
    CROSS JOIN bounds AS b
),
per_period AS (
    SELECT period,
           count(*) AS contact_volume,
           avg(CAST(has_recontact AS DOUBLE)) AS repeat_rate_any,
           avg(CAST(has_same_issue_recontact AS DOUBLE)) AS repeat_rate_same,
           1 - avg(CAST(has_same_issue_recontact AS DOUBLE)) AS fcr_proxy,
           avg(nev_text) AS mean_nev,
           avg(sentiment_score) AS mean_sentiment,
           avg(CAST(is_negative AS DOUBLE)) AS negative_share
    FROM tagged
    WHERE period IS NOT NULL
    GROUP BY period
),
long AS (
    UNPIVOT per_period
    ON contact_volume::DOUBLE AS contact_volume, repeat_rate_any, repeat_rate_same, fcr_proxy,
       mean_nev, mean_sentiment, negative_share
    INTO NAME metric VALUE value
),
labels(metric, label, unit, definition) AS (
    VALUES
    ('contact_volume', 'Contacts', 'contacts', 'all interactions in the period'),
    ('repeat_rate_any', 'Repeat rate (any issue)', 'share',
     'judged contacts followed by any recontact within the default window / judged contacts'),
    ('repeat_rate_same', 'Repeat rate (same issue)', 'share',
     'judged contacts followed by a same-reason recontact within the default window / judged contacts'),
    ('fcr_proxy', 'FCR (proxy)', 'share', '1 - same-issue repeat rate (internal proxy, SQM benchmarks 70-79% good)'),
    ('mean_nev', 'NEV (text proxy)', 'points -100..100', 'mean NEV text proxy over contacts with emotional content'),
    ('mean_sentiment', 'Mean sentiment', 'score -1..1', 'mean interaction sentiment score'),
    ('negative_share', 'Negative share', 'share', 'contacts with negative sentiment or NEV < 0 / contacts'),
    ('revenue_at_risk', 'Revenue at risk', 'currency', 'sum over exposed customers of CLV x churn uplift (all data, no trend)')
),
paired AS (
    SELECT c.metric, c.value, p.value AS previous_value
    FROM long AS c
    LEFT JOIN long AS p ON p.metric = c.metric AND p.period = 'previous'
    WHERE c.period = 'current'
    UNION ALL
    SELECT 'revenue_at_risk', revenue_at_risk, NULL
    FROM marts.revenue_at_risk WHERE scope = 'total'
),
final AS (
    SELECT x.metric, l.label, x.value, x.previous_value,
           x.value - x.previous_value AS change,
           (x.value - x.previous_value) / nullif(abs(x.previous_value), 0) AS change_pct,
           l.unit,
           CAST(b.period_start AS TIMESTAMP) AS period_start, b.period_end,
           b.previous_start, b.period_start AS previous_end,
           CAST($window_hours AS INTEGER) AS window_hours,
           l.definition
    FROM paired AS x
    JOIN labels AS l USING (metric)
    CROSS JOIN bounds AS b
)
SELECT * FROM final
