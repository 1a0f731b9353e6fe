-- marts.callback_list: customers to call back (docs/metrics.md "Closed loop"): a contact not
-- answered within the service level, or an issue that repeated. Unanswered customers come first,
-- then CLV x severity; a customer whose CLV is unknown shows NULL (ranked after the known ones by
-- severity), never a stand-in value.
WITH flagged AS (
    SELECT *,
           1 + greatest(-coalesce(sentiment_score, -0.5), 0) AS contact_severity,
           coalesce(NOT is_answered, false) AS unanswered,
           is_same_issue_repeat OR coalesce(has_same_issue_recontact, false) AS repeated
    FROM marts.interactions
    WHERE customer_id IS NOT NULL
      AND (NOT coalesce(is_answered, true) OR is_same_issue_repeat OR coalesce(has_same_issue_recontact, false))
),
per_customer AS (
    SELECT customer_id,
           sum(contact_severity) AS severity,
           arg_max(reason, occurred_at) AS reason,
           max(occurred_at) AS last_contact_at,
           arg_max(channel, occurred_at) AS last_channel,
           left(arg_max(text, occurred_at), 500) AS last_verbatim,
           count(*) FILTER (WHERE unanswered) AS unanswered_contacts,
           count(*) FILTER (WHERE repeated) AS unresolved_contacts,
           count(*) FILTER (WHERE is_same_issue_repeat) AS repeat_contacts
    FROM flagged
    GROUP BY customer_id
),
final AS (
    -- crm_id: the clear CRM id to call back, only with [ingest] keep_crm_ids = true (else NULL)
    SELECT p.customer_id, c.crm_id, v.segment, v.clv, v.clv_method, p.severity,
           v.clv * p.severity AS priority,
           CASE WHEN p.unanswered_contacts > 0 THEN 'unanswered' ELSE 'repeated' END AS callback_reason,
           p.reason, p.last_contact_at, p.last_channel, p.last_verbatim,
           v.negative_contacts, p.unanswered_contacts, p.unresolved_contacts, p.repeat_contacts, v.churned
    FROM per_customer AS p
    LEFT JOIN marts.customer_value AS v USING (customer_id)
    LEFT JOIN staging.customers AS c USING (customer_id)
)
SELECT row_number() OVER (ORDER BY unanswered_contacts > 0 DESC, priority DESC NULLS LAST, severity DESC,
                                   customer_id) AS rank, *
FROM final
ORDER BY rank
LIMIT $callback_limit
