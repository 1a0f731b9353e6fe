-- marts.revenue_at_risk: CLV x churn uplift of customers with a negative or repeated experience,
-- per reason, per segment and in total (domain.md "Revenue at risk"). Measured from churn flags
-- when the customers carry them, else the labelled Promoter.io heuristic.
WITH exposure AS (
    SELECT customer_id, reason,
           bool_or(is_negative OR is_same_issue_repeat OR coalesce(has_same_issue_recontact, false)) AS exposed
    FROM marts.interactions
    WHERE in_sequence
    GROUP BY customer_id, reason
),
customers AS (
    SELECT e.customer_id, bool_or(e.exposed) AS exposed_any,
           any_value(v.segment) AS segment, any_value(v.churned) AS churned,
           any_value(v.clv) AS clv, any_value(v.revenue) AS revenue
    FROM exposure AS e
    JOIN marts.customer_value AS v USING (customer_id)
    GROUP BY e.customer_id
),
method AS (
    SELECT count(churned) > 0 AND bool_or(churned) AS measured FROM customers
),
pools AS (
    -- churn sums of every contacting customer per pool: all, and per segment
    SELECT coalesce(segment, '(none)') AS segment, count(churned) AS n, sum(CAST(churned AS DOUBLE)) AS churned_sum
    FROM customers GROUP BY 1
),
exposed_sets AS (
    SELECT 'total' AS scope, 'all' AS key, customer_id FROM customers WHERE exposed_any
    UNION ALL
    SELECT 'reason', e.reason, e.customer_id FROM exposure AS e WHERE e.exposed
    UNION ALL
    SELECT 'segment', coalesce(segment, '(none)'), customer_id FROM customers WHERE exposed_any
),
grouped AS (
    SELECT s.scope, s.key,
           count(*) AS exposed_customers,
           count(c.churned) AS customers_with_churn_flag,
           avg(CAST(c.churned AS DOUBLE)) AS exposed_churn_rate,
           sum(CAST(c.churned AS DOUBLE)) AS exposed_churned,
           sum(c.clv) AS clv_exposed,
           count(c.clv) AS customers_with_clv,
           sum(c.revenue) AS revenue_exposed
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
final AS (
    SELECT scope, key, exposed_customers, customers_with_churn_flag, exposed_churn_rate,
           baseline_churn_rate, baseline_customers,
           greatest(exposed_churn_rate - baseline_churn_rate, 0) AS churn_uplift,
           (exposed_churn_rate - baseline_churn_rate) - 1.96 * sqrt(
               exposed_churn_rate * (1 - exposed_churn_rate) / greatest(customers_with_churn_flag, 1)
               + baseline_churn_rate * (1 - baseline_churn_rate) / greatest(baseline_customers, 1)) AS uplift_ci_low,
           (exposed_churn_rate - baseline_churn_rate) + 1.96 * sqrt(
               exposed_churn_rate * (1 - exposed_churn_rate) / greatest(customers_with_churn_flag, 1)
               + baseline_churn_rate * (1 - baseline_churn_rate) / greatest(baseline_customers, 1)) AS uplift_ci_high,
           clv_exposed, customers_with_clv, revenue_exposed,
           CASE WHEN measured THEN coalesce(clv_exposed, 0) * greatest(exposed_churn_rate - baseline_churn_rate, 0)
                ELSE $churn_heuristic_share * coalesce(revenue_exposed, 0) END AS revenue_at_risk,
           CASE WHEN measured THEN 'measured churn flags: CLV x (churn of exposed - churn of unexposed contacting customers)'
                ELSE 'heuristic: ' || CAST($churn_heuristic_share AS VARCHAR)
                     || ' x annual revenue of customers with a negative/repeated experience (Promoter.io detractors)'
           END AS method
    FROM uplifted
)
SELECT *, row_number() OVER (PARTITION BY scope ORDER BY revenue_at_risk DESC, key) AS rank
FROM final ORDER BY scope, rank
