-- marts.callback_list: customers with an unresolved or repeated negative experience, ranked for a
-- closed-loop callback by CLV x severity (domain.md "Closed loop").
WITH flagged AS (
    SELECT *,
           1 + greatest(-coalesce(sentiment_score, -0.5), 0) AS contact_severity
    FROM marts.interactions
    WHERE in_sequence AND is_negative
      AND (is_same_issue_repeat OR coalesce(has_same_issue_recontact, false))
),
per_customer AS (
    SELECT customer_id,
           sum(contact_severity) AS severity,
           arg_max(reason, occurred_at) AS reason,
           max(occurred_at) AS last_contact_at,
           arg_max(channel, occurred_at) AS last_channel,
           left(arg_max(text, occurred_at), 500) AS last_verbatim,
           count(*) AS unresolved_contacts,
           count(*) FILTER (WHERE is_same_issue_repeat) AS repeat_contacts
    FROM flagged
    GROUP BY customer_id
),
median_clv AS (
    SELECT median(clv) AS m FROM marts.customer_value
),
final AS (
    SELECT p.customer_id, v.segment, v.clv, v.clv_method, p.severity,
           -- unknown CLV counts as the median customer so severity still ranks them
           coalesce(v.clv, m.m, 1) * p.severity AS priority,
           p.reason, p.last_contact_at, p.last_channel, p.last_verbatim,
           v.negative_contacts, p.unresolved_contacts, p.repeat_contacts, v.churned
    FROM per_customer AS p
    CROSS JOIN median_clv AS m
    LEFT JOIN marts.customer_value AS v USING (customer_id)
)
SELECT row_number() OVER (ORDER BY priority DESC, customer_id) AS rank, *
FROM final
ORDER BY rank
LIMIT $callback_limit
