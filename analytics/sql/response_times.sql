-- marts.response_times: one row per customer contact (docs/marts.md "response_times"): time to the
-- first response in elapsed and in business time (marts.business_calendar: [operations] opening
-- hours, time zone, holidays), whether it ever got an answer, and the service level. Calls and chats:
-- the first agent turn's offset in the contact (or a reply in its thread); email and social: the
-- first company message of the thread after the contact (marts.thread_messages). Targets: calls and
-- chats from [operations] sla_target_s_call / sla_target_s_chat, email and social from [analytics]
-- reply_target_hours_email / reply_target_hours_social (the ones marts.interactions.is_answered uses).
WITH contacts AS (
    SELECT interaction_id, channel, queue, agent_id, customer_id, thread_id, reason, parent_reason, week,
           occurred_at, first_response_at AS thread_reply_at, agent_text IS NOT NULL AS has_agent_text
    FROM marts.interactions
),
first_agent_turn AS (
    SELECT interaction_id, min(begin_s) AS first_agent_offset_s
    FROM staging.turns
    WHERE speaker = 'agent' AND begin_s IS NOT NULL
    GROUP BY interaction_id
),
thread_end AS (
    SELECT thread_id, max(occurred_at) AS thread_end_at, max(occurred_at) FILTER (WHERE is_agent_turn) AS last_reply_at
    FROM marts.thread_messages
    WHERE thread_id IS NOT NULL
    GROUP BY thread_id
),
data_end AS (
    SELECT max(occurred_at) AS t FROM staging.interactions
),
responses AS (
    SELECT c.*,
           CASE c.channel WHEN 'call' THEN $sla_target_s_call WHEN 'chat' THEN $sla_target_s_chat
                          WHEN 'email' THEN 3600.0 * $reply_target_hours_email
                          ELSE 3600.0 * $reply_target_hours_social END AS sla_target_s,
           CASE WHEN c.channel IN ('call', 'chat') AND f.first_agent_offset_s IS NOT NULL
                THEN c.occurred_at + to_microseconds(CAST(round(f.first_agent_offset_s * 1e6) AS BIGINT))
                ELSE c.thread_reply_at END AS first_response_at,
           f.first_agent_offset_s IS NOT NULL OR c.has_agent_text AS has_agent_side,
           te.last_reply_at, te.thread_end_at,
           epoch(d.t) - epoch(c.occurred_at) AS age_at_data_end_s,
           d.t AS data_end_at
    FROM contacts AS c
    CROSS JOIN data_end AS d
    LEFT JOIN first_agent_turn AS f USING (interaction_id)
    LEFT JOIN thread_end AS te USING (thread_id)
),
business_start AS (
    -- business seconds elapsed by time t: the open periods before t, plus the part of the one t is in
    SELECT r.interaction_id,
           coalesce(b.cum_before_s + least(greatest(epoch(r.occurred_at) - epoch(b.open_at), 0), b.open_s), 0) AS b_start
    FROM responses AS r
    ASOF LEFT JOIN marts.business_calendar AS b ON r.occurred_at >= b.open_at
),
business_end AS (
    SELECT r.interaction_id,
           coalesce(b.cum_before_s + least(greatest(epoch(r.until_at) - epoch(b.open_at), 0), b.open_s), 0) AS b_end
    FROM (SELECT interaction_id, coalesce(first_response_at, data_end_at) AS until_at FROM responses) AS r
    ASOF LEFT JOIN marts.business_calendar AS b ON r.until_at >= b.open_at
),
timed AS (
    SELECT r.*,
           epoch(r.first_response_at) - epoch(r.occurred_at) AS first_response_s,
           CASE WHEN r.first_response_at IS NOT NULL THEN greatest(be.b_end - bs.b_start, 0) END
               AS first_response_business_s,
           -- unanswered so far: how long the customer has waited by the end of the data
           CASE WHEN r.first_response_at IS NULL THEN greatest(be.b_end - bs.b_start, 0) END AS waiting_business_s
    FROM responses AS r
    JOIN business_start AS bs USING (interaction_id)
    JOIN business_end AS be USING (interaction_id)
),
final AS (
    SELECT interaction_id, channel, queue, agent_id, customer_id, reason, parent_reason, week, occurred_at,
           first_response_at, first_response_s, first_response_business_s,
           -- answered: ever got a response. A call or chat whose export has no agent side is
           -- unknown (NULL); an email or social post still inside its target is pending (NULL).
           CASE WHEN first_response_at IS NOT NULL THEN true
                WHEN channel IN ('call', 'chat') THEN CASE WHEN has_agent_side THEN true END
                WHEN (CASE WHEN $sla_business_time THEN waiting_business_s ELSE age_at_data_end_s END) < sla_target_s
                     THEN NULL
                ELSE false END AS answered,
           sla_target_s,
           $sla_business_time AS sla_in_business_time,
           CASE WHEN first_response_at IS NOT NULL
                     THEN (CASE WHEN $sla_business_time THEN first_response_business_s ELSE first_response_s END)
                          <= sla_target_s
                WHEN channel IN ('call', 'chat') THEN NULL
                WHEN (CASE WHEN $sla_business_time THEN waiting_business_s ELSE age_at_data_end_s END) < sla_target_s
                     THEN NULL
                ELSE false END AS sla_met,
           waiting_business_s,
           -- time to resolution: the thread's last message, once the company has replied in it
           CASE WHEN last_reply_at IS NOT NULL AND thread_end_at >= occurred_at
                THEN epoch(thread_end_at) - epoch(occurred_at) END AS resolution_s
    FROM timed
)
SELECT * FROM final ORDER BY occurred_at, interaction_id
