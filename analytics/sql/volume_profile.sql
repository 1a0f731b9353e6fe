-- marts.volume_profile: customer contacts by channel and hour of the week, local time of the
-- [operations] timezone (docs/metrics.md "Volume and staffing"): the shape the forecast learns.
WITH local AS (
    SELECT channel, CAST(timezone($timezone, occurred_at AT TIME ZONE 'UTC') AS TIMESTAMP) AS local_at
    FROM marts.interactions
),
span AS (
    SELECT greatest((epoch(max(local_at)) - epoch(min(local_at))) / (7 * 86400.0), 1) AS weeks FROM local
),
final AS (
    SELECT channel, isodow(local_at) AS dow, hour(local_at) AS hour, count(*) AS contacts,
           count(*) / any_value(s.weeks) AS contacts_per_week
    FROM local CROSS JOIN span AS s
    GROUP BY channel, isodow(local_at), hour(local_at)
)
SELECT * FROM final ORDER BY channel, dow, hour
