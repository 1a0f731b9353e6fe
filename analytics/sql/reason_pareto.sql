-- marts.reason_pareto: contact reasons by volume, cost to serve and CLV at risk, with cumulative
-- shares (docs/metrics.md "Pareto"); volumes count customer contacts only.
WITH per_reason AS (
    SELECT reason, any_value(parent_reason) AS parent_reason,
           count(*) AS volume,
           sum(handle_time_s) AS handle_time_s,
           count(*) FILTER (WHERE has_same_issue_recontact) AS repeat_contacts,
           avg(CAST(is_negative AS DOUBLE)) AS negative_share
    FROM marts.interactions
    GROUP BY reason
),
with_risk AS (
    SELECT p.*, p.handle_time_s AS cost_to_serve_s, r.revenue_at_risk AS clv_at_risk  -- NULL: unknown (see marts.revenue_at_risk.note)
    FROM per_reason AS p
    LEFT JOIN marts.revenue_at_risk AS r ON r.scope = 'reason' AND r.key = p.reason
),
final AS (
    SELECT reason, parent_reason, volume,
           volume / sum(volume) OVER () AS volume_share,
           sum(volume) OVER (ORDER BY volume DESC, reason ROWS UNBOUNDED PRECEDING) / sum(volume) OVER ()
               AS cum_volume_share,
           row_number() OVER (ORDER BY volume DESC, reason) AS rank_volume,
           handle_time_s, cost_to_serve_s,
           cost_to_serve_s / nullif(sum(cost_to_serve_s) OVER (), 0) AS cost_share,
           sum(cost_to_serve_s) OVER (ORDER BY cost_to_serve_s DESC, reason ROWS UNBOUNDED PRECEDING)
               / nullif(sum(cost_to_serve_s) OVER (), 0) AS cum_cost_share,
           row_number() OVER (ORDER BY cost_to_serve_s DESC, reason) AS rank_cost,
           clv_at_risk,
           clv_at_risk / nullif(sum(clv_at_risk) OVER (), 0) AS clv_at_risk_share,
           sum(clv_at_risk) OVER (ORDER BY clv_at_risk DESC NULLS LAST, reason ROWS UNBOUNDED PRECEDING)
               / nullif(sum(clv_at_risk) OVER (), 0) AS cum_clv_at_risk_share,
           row_number() OVER (ORDER BY clv_at_risk DESC NULLS LAST, reason) AS rank_clv_at_risk,
           repeat_contacts, negative_share
    FROM with_risk
)
SELECT *,
       -- the reasons needed to reach 80% of volume, the one that crosses the line included
       cum_volume_share - volume_share < 0.8 AS in_top_80_volume
FROM final ORDER BY rank_volume
