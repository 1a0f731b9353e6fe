-- marts.revenue_at_risk: CLV x churn uplift of customers with a negative or repeated experience,
-- per reason, per parent reason, per segment and in total (docs/metrics.md "Revenue at risk").
-- Measured from churn flags whenever customers carry them (nobody churned: measured, 0); the
-- labelled Promoter.io heuristic only when no customer has a churn flag. No baseline (every flagged
-- customer had the experience) or no CLV: NULL, with `note` saying why; never an invented figure.
-- Customers who already churned are revenue lost, not at risk.
WITH exposure AS (
    -- a negative contact about the reason, or a same-issue repeat blamed on the triggering reason
    SELECT customer_id, reason, bool_or(is_negative OR coalesce(has_same_issue_recontact, false)) AS exposed
    FROM marts.interactions
    WHERE in_sequence
    GROUP BY customer_id, reason
    UNION ALL
    SELECT customer_id, prev_same_reason, true
    FROM marts.interactions
    WHERE in_sequence AND is_same_issue_repeat AND prev_same_reason IS NOT NULL
),
per_pair AS (
    SELECT customer_id, reason, bool_or(exposed) AS exposed FROM exposure GROUP BY customer_id, reason
),
customers AS (
    SELECT e.customer_id, bool_or(e.exposed) AS exposed_any,
           any_value(v.segment) AS segment, any_value(v.churned) AS churned,
           any_value(v.clv) AS clv, any_value(v.clv_method) AS clv_method, any_value(v.revenue) AS revenue
    FROM per_pair AS e
    JOIN marts.customer_value AS v USING (customer_id)
    GROUP BY e.customer_id
),
method AS (
    SELECT count(churned) > 0 AS measured FROM customers
),
pools AS (
    -- churn sums of every contacting customer per pool: all, and per segment
    SELECT coalesce(segment, '(none)') AS segment, count(churned) AS n, sum(CAST(churned AS DOUBLE)) AS churned_sum
    FROM customers GROUP BY 1
),
exposed_sets AS (
    SELECT 'total' AS scope, 'all' AS key, customer_id FROM customers WHERE exposed_any
    UNION ALL
    SELECT 'reason', e.reason, e.customer_id FROM per_pair AS e WHERE e.exposed
    UNION ALL
    -- the parent reason a CX leader sees (the level same-issue repeats are judged at by default)
    SELECT DISTINCT 'parent_reason', r.parent_reason, e.customer_id
    FROM per_pair AS e
    JOIN (SELECT DISTINCT reason, parent_reason FROM marts.interactions) AS r USING (reason)
    WHERE e.exposed
    UNION ALL
    SELECT 'segment', coalesce(segment, '(none)'), customer_id FROM customers WHERE exposed_any
),
grouped AS (
    SELECT s.scope, s.key,
           count(*) AS exposed_customers,
           count(c.churned) AS customers_with_churn_flag,
           avg(CAST(c.churned AS DOUBLE)) AS exposed_churn_rate,
           coalesce(sum(CAST(c.churned AS DOUBLE)), 0) AS exposed_churned,
           sum(c.clv) FILTER (WHERE NOT coalesce(c.churned, false)) AS clv_exposed,
           sum(c.clv) FILTER (WHERE c.churned) AS revenue_lost,
           count(c.clv) AS customers_with_clv,
           string_agg(DISTINCT c.clv_method, ', ' ORDER BY c.clv_method) FILTER (WHERE c.clv IS NOT NULL)
               AS clv_basis,
           sum(c.revenue) FILTER (WHERE NOT coalesce(c.churned, false)) AS revenue_exposed
    FROM exposed_sets AS s
    JOIN customers AS c USING (customer_id)
    GROUP BY s.scope, s.key
),
uplifted AS (
    -- baseline: contacting customers without that experience (in the segment, for a segment)
    SELECT g.*,
           (p.churned_sum - g.exposed_churned) / nullif(p.n - g.customers_with_churn_flag, 0) AS baseline_churn_rate,
           p.n - g.customers_with_churn_flag AS baseline_customers,
           m.measured
    FROM grouped AS g
    CROSS JOIN method AS m
    JOIN (SELECT 'all' AS pool, sum(n) AS n, sum(churned_sum) AS churned_sum FROM pools
          UNION ALL SELECT segment, n, churned_sum FROM pools) AS p
      ON p.pool = CASE WHEN g.scope = 'segment' THEN g.key ELSE 'all' END
),
valued AS (
    SELECT *,
           exposed_churn_rate - baseline_churn_rate AS raw_uplift,
           CASE WHEN NOT measured THEN NULL
                WHEN exposed_churn_rate IS NULL THEN 'no churn flag on the exposed customers'
                WHEN baseline_churn_rate IS NULL THEN 'no baseline: no contacting customer without this experience has a churn flag'
                WHEN customers_with_clv = 0 THEN 'no CLV known for the exposed customers'
                WHEN clv_exposed IS NULL THEN 'every exposed customer has already churned (revenue lost)'
           END AS measured_gap,
           CASE WHEN measured THEN NULL
                WHEN revenue_exposed IS NULL THEN 'no annual revenue known for the exposed customers'
           END AS heuristic_gap
    FROM uplifted
),
final AS (
    SELECT scope, key, exposed_customers, customers_with_churn_flag, exposed_churn_rate,
           baseline_churn_rate, baseline_customers,
           CASE WHEN raw_uplift IS NOT NULL THEN greatest(raw_uplift, 0) END AS churn_uplift,
           raw_uplift - 1.96 * sqrt(
               exposed_churn_rate * (1 - exposed_churn_rate) / greatest(customers_with_churn_flag, 1)
               + baseline_churn_rate * (1 - baseline_churn_rate) / greatest(baseline_customers, 1)) AS uplift_ci_low,
           raw_uplift + 1.96 * sqrt(
               exposed_churn_rate * (1 - exposed_churn_rate) / greatest(customers_with_churn_flag, 1)
               + baseline_churn_rate * (1 - baseline_churn_rate) / greatest(baseline_customers, 1)) AS uplift_ci_high,
           clv_exposed, customers_with_clv, clv_basis, revenue_exposed,
           CASE WHEN measured AND measured_gap IS NULL THEN clv_exposed * greatest(raw_uplift, 0)
                WHEN NOT measured AND heuristic_gap IS NULL THEN $churn_heuristic_share * revenue_exposed
           END AS revenue_at_risk,
           CASE WHEN measured THEN revenue_lost END AS revenue_lost,
           CASE WHEN measured THEN 'measured churn flags: CLV of exposed active customers x (churn of exposed - churn of unexposed contacting customers)'
                ELSE 'heuristic: ' || CAST($churn_heuristic_share AS VARCHAR)
                     || ' x annual revenue of customers with a negative/repeated experience (Promoter.io detractors; no churn flags in the data)'
           END AS method,
           coalesce(measured_gap, heuristic_gap) AS note
    FROM valued
)
SELECT *, row_number() OVER (PARTITION BY scope ORDER BY revenue_at_risk DESC NULLS LAST, key) AS rank
FROM final ORDER BY scope, rank
