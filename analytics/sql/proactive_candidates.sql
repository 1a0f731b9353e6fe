-- marts.proactive_candidates: customers whose contacts about one reason recur at a regular pace,
-- so a light outbound message can pre-empt the next one (docs/metrics.md "Proactive service").
WITH gaps AS (
    SELECT customer_id, reason, occurred_at, channel,
           (epoch(occurred_at) - epoch(lag(occurred_at) OVER (
               PARTITION BY customer_id, reason ORDER BY occurred_at))) / 86400.0 AS gap_days
    FROM marts.interactions
    WHERE in_sequence
),
per_pair AS (
    SELECT customer_id, reason,
           count(*) AS contacts,
           count(DISTINCT date_trunc('month', occurred_at)) AS months_active,
           avg(gap_days) AS mean_gap_days,
           stddev_samp(gap_days) / nullif(avg(gap_days), 0) AS gap_cv,
           max(occurred_at) AS last_contact_at,
           mode(channel) FILTER (WHERE channel <> 'call') AS digital_channel
    FROM gaps
    GROUP BY customer_id, reason
),
final AS (
    SELECT p.customer_id, v.segment, v.clv, p.reason, p.contacts, p.months_active,
           p.mean_gap_days, p.gap_cv, p.last_contact_at,
           p.last_contact_at + to_seconds(CAST(p.mean_gap_days * 86400 AS BIGINT)) AS next_expected_at,
           -- light channels first: the customer's own digital channel, else email
           coalesce(p.digital_channel, 'email') AS suggested_channel,
           coalesce(v.clv, 0) * p.contacts AS priority
    FROM per_pair AS p
    LEFT JOIN marts.customer_value AS v USING (customer_id)
    WHERE p.contacts >= $proactive_min_contacts
      AND p.mean_gap_days >= 7            -- a monthly-ish pattern, not a burst of repeats
      AND p.gap_cv <= $proactive_max_gap_cv
)
SELECT *, row_number() OVER (ORDER BY priority DESC, customer_id, reason) AS rank
FROM final ORDER BY rank
