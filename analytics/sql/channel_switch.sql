-- marts.channel_switch: from-channel x to-channel matrix of judged contacts followed by a contact on
-- the to-channel anywhere within the window, not only as the very next contact (docs/metrics.md
-- "Channel switching": a digital contact followed by a call), overall and per reason.
WITH windows AS (
    SELECT unnest($windows_hours::INTEGER[]) AS window_hours
),
data_end AS (
    SELECT max(occurred_at) AS t FROM staging.interactions
),
later AS (
    -- hours to the customer's next contact on each channel, whatever came in between
    SELECT reason, channel, epoch(occurred_at) AS t,
           (first_value(CASE WHEN channel = 'call' THEN epoch(occurred_at) END IGNORE NULLS) OVER f
               - epoch(occurred_at)) / 3600.0 AS h_call,
           (first_value(CASE WHEN channel = 'chat' THEN epoch(occurred_at) END IGNORE NULLS) OVER f
               - epoch(occurred_at)) / 3600.0 AS h_chat,
           (first_value(CASE WHEN channel = 'email' THEN epoch(occurred_at) END IGNORE NULLS) OVER f
               - epoch(occurred_at)) / 3600.0 AS h_email,
           (first_value(CASE WHEN channel = 'social' THEN epoch(occurred_at) END IGNORE NULLS) OVER f
               - epoch(occurred_at)) / 3600.0 AS h_social
    FROM marts.interactions
    WHERE in_sequence
    WINDOW f AS (PARTITION BY customer_id ORDER BY occurred_at, interaction_id
                 ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
),
judged AS (
    SELECT w.window_hours, l.reason, l.channel AS from_channel,
           unnest(['call', 'chat', 'email', 'social']) AS to_channel,
           unnest([l.h_call, l.h_chat, l.h_email, l.h_social]) AS hours_to
    FROM later AS l
    CROSS JOIN windows AS w
    CROSS JOIN data_end AS d
    WHERE (epoch(d.t) - l.t) / 3600.0 >= w.window_hours
),
grouped AS (
    SELECT window_hours, coalesce(reason, '(all)') AS reason, from_channel, to_channel,
           count(*) FILTER (WHERE hours_to <= window_hours) AS switches,
           count(*) AS from_contacts
    FROM judged
    GROUP BY GROUPING SETS ((window_hours, from_channel, to_channel),
                            (window_hours, reason, from_channel, to_channel))
),
final AS (
    SELECT window_hours, reason, from_channel, to_channel, switches, from_contacts,
           switches / from_contacts AS share,
           from_channel IN ('chat', 'email', 'social') AND to_channel = 'call' AS is_digital_to_call,
           from_channel = to_channel AS same_channel
    FROM grouped
    WHERE switches > 0
)
SELECT * FROM final ORDER BY window_hours, reason, from_channel, to_channel
