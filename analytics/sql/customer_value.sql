-- marts.customer_value: one row per customer: CLV and its method, experience and churn
-- (contacts are customer contacts: docs/metrics.md "Contacts").
WITH contacts AS (
    SELECT customer_id,
           count(*) AS contacts,
           count(*) FILTER (WHERE is_negative) AS negative_contacts,
           count(*) FILTER (WHERE is_repeat) AS repeat_contacts,
           -- repeats are blamed on the reason of the contact that triggered them
           mode(trigger_reason) FILTER (WHERE is_repeat) AS repeat_trigger_reason,
           count(*) FILTER (WHERE NOT is_answered) AS unanswered_contacts,
           avg(sentiment_score) AS mean_sentiment,
           avg(nev_text) AS mean_nev,
           min(occurred_at) AS first_contact_at,
           max(occurred_at) AS last_contact_at,
           mode(reason) AS top_reason
    FROM marts.interactions
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
people AS (
    SELECT customer_id FROM staging.customers
    UNION
    SELECT customer_id FROM contacts
),
final AS (
    SELECT p.customer_id, c.segment, c.plan, c.revenue, c.margin, c.tenure_months, c.churned,
           v.clv, coalesce(v.clv_method, 'unknown') AS clv_method,
           coalesce(x.contacts, 0) AS contacts,
           coalesce(x.negative_contacts, 0) AS negative_contacts,
           coalesce(x.repeat_contacts, 0) AS repeat_contacts, x.repeat_trigger_reason,
           coalesce(x.unanswered_contacts, 0) AS unanswered_contacts,
           x.mean_sentiment, x.mean_nev, x.first_contact_at, x.last_contact_at, x.top_reason
    FROM people AS p
    LEFT JOIN staging.customers AS c USING (customer_id)
    LEFT JOIN marts.customer_clv AS v USING (customer_id)
    LEFT JOIN contacts AS x USING (customer_id)
)
SELECT * FROM final
