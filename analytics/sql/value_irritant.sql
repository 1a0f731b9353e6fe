-- marts.value_irritant: each reason placed by customer irritation and company cost, with the
-- action of its quadrant (Price & Jaffe 2008, docs/metrics.md "Value-irritant matrix").
WITH per_reason AS (
    SELECT reason,
           count(*) AS volume,
           avg(CAST(is_negative AS DOUBLE)) AS negative_share,
           coalesce(avg(CAST(has_same_issue_recontact AS DOUBLE)), 0) AS repeat_rate,
           avg(nev_text) AS mean_nev,
           sum(handle_time_s) AS cost_to_serve_s,
           -- "Other" and unassigned contacts are no reason to act on: ranked apart, no action
           bool_and(issue_key IS NULL) AS is_unknown
    FROM marts.interactions
    GROUP BY reason
),
ranked AS (
    SELECT *,
           cost_to_serve_s / sum(cost_to_serve_s) OVER () AS cost_share,
           (percent_rank() OVER u + percent_rank() OVER (PARTITION BY is_unknown ORDER BY repeat_rate)) / 2
               AS irritation,
           percent_rank() OVER (PARTITION BY is_unknown ORDER BY cost_to_serve_s) AS company_cost,
           count(*) FILTER (WHERE NOT is_unknown) OVER () AS n_reasons
    FROM per_reason
    WINDOW u AS (PARTITION BY is_unknown ORDER BY negative_share)
),
final AS (
    SELECT reason, volume, negative_share, repeat_rate, mean_nev, irritation,
           cost_to_serve_s, cost_share, company_cost,
           CASE WHEN is_unknown THEN 'unknown_reason'
                WHEN irritation >= 0.5 AND company_cost >= 0.5 THEN 'irritant_both'
                WHEN irritation >= 0.5 THEN 'irritant_customer'
                WHEN company_cost >= 0.5 THEN 'irritant_company'
                ELSE 'valuable_both' END AS quadrant,
           CASE WHEN is_unknown THEN 'Review: no reason found'
                WHEN irritation >= 0.5 AND company_cost >= 0.5 THEN 'Eliminate'
                WHEN irritation >= 0.5 THEN 'Simplify'
                WHEN company_cost >= 0.5 THEN 'Automate'
                ELSE 'Leverage' END AS action,
           CASE WHEN n_reasons < 10 THEN 'taxonomy too coarse: ' || n_reasons || ' reasons (Price & Jaffe: ~10-60)'
                WHEN n_reasons > 60 THEN 'taxonomy too fine: ' || n_reasons || ' reasons (Price & Jaffe: ~10-60)'
           END AS taxonomy_note
    FROM ranked
)
SELECT * FROM final ORDER BY quadrant = 'unknown_reason', irritation DESC, company_cost DESC
