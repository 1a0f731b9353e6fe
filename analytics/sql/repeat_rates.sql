-- marts.repeat_rates: repeat rates per window x scope x denominator x dimension, each stating its
-- denominator (docs/metrics.md: window forward from the trigger, censored contacts left out of rates,
-- attribution to the trigger's reason).
WITH windows AS (
    SELECT unnest($windows_hours::INTEGER[]) AS window_hours
),
data_end AS (
    SELECT max(occurred_at) AS t FROM staging.interactions
),
judged AS (
    SELECT
        w.window_hours, s.customer_id,
        s.reason, s.channel,
        coalesce(s.agent_id, '(none)') AS agent,
        coalesce(s.segment, '(none)') AS segment,
        strftime(s.week, '%Y-%m-%d') AS week,
        (epoch(d.t) - epoch(s.occurred_at)) / 3600.0 < w.window_hours AS provisional,
        coalesce(s.hours_to_next <= w.window_hours, false) AS any_recontact,
        coalesce(s.hours_to_next_same <= w.window_hours, false) AS same_recontact,
        coalesce(s.hours_since_prev <= w.window_hours, false) AS any_repeat,
        coalesce(s.hours_since_prev_same <= w.window_hours, false) AS same_repeat
    FROM marts.interactions AS s
    CROSS JOIN windows AS w
    CROSS JOIN data_end AS d
    WHERE s.in_sequence
),
long AS (
    -- one row per contact and dimension (both scopes as columns: half the rows of a scope union);
    -- a plain GROUP BY then counts distinct customers fast
    SELECT window_hours, customer_id, provisional, any_recontact, same_recontact, any_repeat, same_repeat,
           unnest(['overall', 'reason', 'channel', 'agent', 'segment', 'week']) AS dimension,
           unnest(['all', reason, channel, agent, segment, week]) AS dim_value
    FROM judged
),
per_customer AS (
    -- counting per customer first, then customers, avoids a slow count(DISTINCT) on millions of rows
    SELECT window_hours, dimension, dim_value, customer_id,
           count(*) FILTER (WHERE NOT provisional AND any_recontact) AS any_contacts_num,
           count(*) FILTER (WHERE NOT provisional AND same_recontact) AS same_contacts_num,
           count(*) FILTER (WHERE NOT provisional) AS contacts_den,
           count(*) FILTER (WHERE provisional) AS provisional_excluded,
           count(*) FILTER (WHERE any_repeat) AS any_all_num,
           count(*) FILTER (WHERE same_repeat) AS same_all_num,
           count(*) AS all_den
    FROM long
    GROUP BY window_hours, dimension, dim_value, customer_id
),
grouped_wide AS (
    SELECT
        window_hours, dimension, dim_value,
        sum(any_contacts_num) AS any_contacts_num,
        sum(same_contacts_num) AS same_contacts_num,
        sum(contacts_den) AS contacts_den,
        sum(provisional_excluded) AS provisional_excluded,
        count(*) FILTER (WHERE any_contacts_num > 0) AS any_customers_num,
        count(*) FILTER (WHERE same_contacts_num > 0) AS same_customers_num,
        count(*) FILTER (WHERE contacts_den > 0) AS customers_den,
        sum(any_all_num) AS any_all_num,
        sum(same_all_num) AS same_all_num,
        sum(all_den) AS all_den
    FROM per_customer
    GROUP BY window_hours, dimension, dim_value
),
grouped AS (
    SELECT window_hours, 'any_issue' AS scope, dimension, dim_value, any_contacts_num AS contacts_num,
           contacts_den, provisional_excluded, any_customers_num AS customers_num, customers_den,
           any_all_num AS all_num, all_den
    FROM grouped_wide
    UNION ALL
    SELECT window_hours, 'same_issue', dimension, dim_value, same_contacts_num, contacts_den,
           provisional_excluded, same_customers_num, customers_den, same_all_num, all_den
    FROM grouped_wide
),
unpivoted AS (
    SELECT window_hours, scope, 'judged_contacts' AS denominator_kind, dimension, dim_value,
           contacts_num AS numerator, contacts_den AS denominator,
           'contacts followed by a recontact within the window / judged contacts (older than the window)'
               AS denominator_definition,
           provisional_excluded
    FROM grouped
    UNION ALL
    SELECT window_hours, scope, 'customers', dimension, dim_value, customers_num, customers_den,
           'contacting customers with at least one recontact within the window / contacting customers with a judged contact',
           provisional_excluded
    FROM grouped
    UNION ALL
    SELECT window_hours, scope, 'all_contacts', dimension, dim_value, all_num, all_den,
           'repeat contacts (previous contact within the window) / all sequenced contacts, provisional included',
           0
    FROM grouped
    WHERE dimension = 'overall'
    UNION ALL
    -- docs/metrics.md "Denominators": customers with more than one contact within the window over
    -- contacting customers (provisional contacts included, as in all_contacts)
    SELECT window_hours, scope, 'customers_multi', dimension, dim_value,
           count(*) FILTER (WHERE all_num > 0), count(*) FILTER (WHERE all_den > 0),
           'contacting customers with more than one contact within the window (a repeat) / contacting customers',
           0
    FROM (SELECT window_hours, 'any_issue' AS scope, dimension, dim_value, customer_id,
                 any_all_num AS all_num, all_den FROM per_customer WHERE dimension = 'overall'
          UNION ALL
          SELECT window_hours, 'same_issue', dimension, dim_value, customer_id, same_all_num, all_den
          FROM per_customer WHERE dimension = 'overall')
    GROUP BY window_hours, scope, dimension, dim_value
),
final AS (
    SELECT
        window_hours, scope, denominator_kind, dimension, dim_value,
        CAST(numerator AS BIGINT) AS numerator, CAST(denominator AS BIGINT) AS denominator,
        CASE WHEN denominator > 0 THEN numerator / denominator END AS rate,
        denominator_definition, provisional_excluded,
        CASE WHEN scope = 'same_issue' AND denominator_kind = 'judged_contacts' AND denominator > 0
             THEN 1 - numerator / denominator END AS fcr_proxy,
        CASE WHEN denominator_kind = 'judged_contacts' AND denominator > numerator
             THEN denominator / (denominator - numerator) END AS contacts_per_resolution,
        denominator >= $min_volume AS meets_min_volume
    FROM unpivoted
)
SELECT * FROM final ORDER BY window_hours, scope, denominator_kind, dimension, dim_value
