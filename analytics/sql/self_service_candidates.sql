-- marts.self_service_candidates: reasons to automate or deflect to self-service (docs/metrics.md
-- "Self-service candidates"): at least median volume, low irritation (< 0.5 on the value-irritant
-- scale) and a handle time at most the median, with the agent hours a deflection of
-- [operations] deflection_share of their contacts would save per week.
WITH reasons AS (
    SELECT v.reason, v.volume, v.irritation, v.action, avg(i.handle_time_s) AS mean_handle_s,
           sum(i.handle_time_s) AS handle_s
    FROM marts.value_irritant AS v
    JOIN marts.interactions AS i USING (reason)
    WHERE v.quadrant <> 'unknown_reason'
    GROUP BY v.reason, v.volume, v.irritation, v.action
),
span AS (
    SELECT greatest((epoch(max(occurred_at)) - epoch(min(occurred_at))) / (7 * 86400.0), 1) AS weeks
    FROM marts.interactions
),
final AS (
    SELECT r.reason, r.volume, r.volume / s.weeks AS contacts_per_week, r.irritation, r.mean_handle_s, r.action,
           $deflection_share * r.handle_s / s.weeks / 3600.0 AS hours_saved_per_week,
           r.volume >= median(r.volume) OVER () AND r.irritation < 0.5
               AND r.mean_handle_s <= median(r.mean_handle_s) OVER () AS is_candidate
    FROM reasons AS r CROSS JOIN span AS s
)
SELECT *, row_number() OVER (ORDER BY is_candidate DESC, hours_saved_per_week DESC, reason) AS rank
FROM final ORDER BY rank
