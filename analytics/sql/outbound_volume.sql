-- marts.outbound_volume: the company's own messages per day and channel, a measure of its own
-- (docs/metrics.md "Outbound volume"): replies to customer contacts versus outreach it started.
-- Never part of a contact count.
WITH final AS (
    SELECT CAST(occurred_at AS DATE) AS day, channel,
           CASE WHEN is_outreach THEN 'outreach' ELSE 'reply' END AS kind,
           count(*) AS messages
    FROM marts.thread_messages
    WHERE is_agent_turn
    GROUP BY ALL
)
SELECT * FROM final ORDER BY day, channel, kind
