-- marts.channel_switch: from-channel x to-channel matrix of next contacts within the window
-- (domain.md "Channel switching": a digital contact followed by a call), overall and per reason.
WITH windows AS (
    SELECT unnest($windows_hours::INTEGER[]) AS window_hours
),
data_end AS (
    SELECT max(occurred_at) AS t FROM staging.interactions
),
judged AS (
    SELECT w.window_hours, s.reason, s.channel AS from_channel,
           CASE WHEN s.hours_to_next <= w.window_hours THEN s.next_channel END AS to_channel
    FROM marts.interactions AS s
    CROSS JOIN windows AS w
    CROSS JOIN data_end AS d
    WHERE s.in_sequence AND (epoch(d.t) - epoch(s.occurred_at)) / 3600.0 >= w.window_hours
),
origins AS (
    SELECT window_hours, coalesce(reason, '(all)') AS reason, from_channel, count(*) AS from_contacts
    FROM judged
    GROUP BY GROUPING SETS ((window_hours, from_channel), (window_hours, reason, from_channel))
),
switches AS (
    SELECT window_hours, coalesce(reason, '(all)') AS reason, from_channel, to_channel, count(*) AS switches
    FROM judged
    WHERE to_channel IS NOT NULL
    GROUP BY GROUPING SETS ((window_hours, from_channel, to_channel), (window_hours, reason, from_channel, to_channel))
),
final AS (
    SELECT s.window_hours, s.reason, s.from_channel, s.to_channel, s.switches, o.from_contacts,
           s.switches / o.from_contacts AS share,
           s.from_channel IN ('chat', 'email', 'social') AND s.to_channel = 'call' AS is_digital_to_call,
           s.from_channel = s.to_channel AS same_channel
    FROM switches AS s
    JOIN origins AS o USING (window_hours, reason, from_channel)
)
SELECT * FROM final ORDER BY window_hours, reason, from_channel, to_channel
