-- marts.value_irritant: each reason placed by customer irritation and company cost, with the
-- action of its quadrant (Price & Jaffe 2008, docs/metrics.md "Value-irritant matrix").
WITH per_reason AS (
    SELECT reason,
           count(*) AS volume,
           avg(CAST(is_negative AS DOUBLE)) AS negative_share,
           coalesce(avg(CAST(has_same_issue_recontact AS DOUBLE)), 0) AS repeat_rate,
           avg(nev_text) AS mean_nev,
           sum(handle_time_s) AS cost_to_serve_s
    FROM marts.interactions
    GROUP BY reason
),
ranked AS (
    SELECT *,
           cost_to_serve_s / sum(cost_to_serve_s) OVER () AS cost_share,
           (percent_rank() OVER (ORDER BY negative_share) + percent_rank() OVER (ORDER BY repeat_rate)) / 2
               AS irritation,
           percent_rank() OVER (ORDER BY cost_to_serve_s) AS company_cost,
           count(*) OVER () AS n_reasons
    FROM per_reason
),
final AS (
    SELECT reason, volume, negative_share, repeat_rate, mean_nev, irritation,
           cost_to_serve_s, cost_share, company_cost,
           CASE WHEN irritation >= 0.5 AND company_cost >= 0.5 THEN 'irritant_both'
                WHEN irritation >= 0.5 THEN 'irritant_customer'
                WHEN company_cost >= 0.5 THEN 'irritant_company'
                ELSE 'valuable_both' END AS quadrant,
           CASE WHEN irritation >= 0.5 AND company_cost >= 0.5 THEN 'Eliminate'
                WHEN irritation >= 0.5 THEN 'Simplify'
                WHEN company_cost >= 0.5 THEN 'Automate'
                ELSE 'Leverage' END AS action,
           CASE WHEN n_reasons < 10 THEN 'taxonomy too coarse: ' || n_reasons || ' reasons (Price & Jaffe: ~10-60)'
                WHEN n_reasons > 60 THEN 'taxonomy too fine: ' || n_reasons || ' reasons (Price & Jaffe: ~10-60)'
           END AS taxonomy_note
    FROM ranked
)
SELECT * FROM final ORDER BY irritation DESC, company_cost DESC
