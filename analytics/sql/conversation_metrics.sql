-- marts.conversation_metrics: how each call and chat was conducted, from its turn offsets
-- (docs/marts.md "conversation_metrics"), one row per call/chat contact that has timed turns.
-- Calls: talk time per side, non-talk time (silences of at least $silence_gap_s between anyone's
-- speech, the start and end of the call included), the longest silence, interruptions per side (a
-- turn starting while the other side still speaks, overlapping by at least $interruption_min_overlap_s
-- and longer than $backchannel_max_words words: "mhm", "yeah yes" are not interruptions), turns per
-- side, talk ratio. Chats: the agent's greeting time (first agent message after the agent joined;
-- the join is known from Contact Lens events, else the contact's start) and the agent's response
-- times (each agent message after a customer message, from that customer message). Where the export
-- carries the vendor's own figures (Contact Lens / Transcribe Call Analytics
-- ConversationCharacteristics, kept in raw.records), they sit beside ours with the difference.
WITH contacts AS (
    SELECT i.interaction_id, i.source_id, i.channel, i.agent_id, i.queue, i.occurred_at, i.duration_s,
           i.file_id, i.record_no
    FROM staging.interactions AS i
    JOIN marts.thread_messages AS m USING (interaction_id)
    WHERE m.is_contact AND i.channel IN ('call', 'chat')
),
turns AS (
    SELECT t.interaction_id, t.turn_no, t.speaker, t.begin_s, coalesce(t.end_s, t.begin_s) AS end_s,
           greatest(coalesce(t.end_s, t.begin_s) - t.begin_s, 0) AS length_s,
           length(regexp_split_to_array(trim(coalesce(t.text, '')), '\s+')) AS n_words
    FROM staging.turns AS t
    JOIN contacts AS c USING (interaction_id)
    WHERE t.begin_s IS NOT NULL AND t.speaker IN ('agent', 'customer')
),
ordered AS (
    SELECT *,
           -- the latest end of anyone's / the other side's speech before this turn starts
           max(end_s) OVER w AS prev_end_any,
           CASE speaker WHEN 'agent' THEN max(CASE WHEN speaker = 'customer' THEN end_s END) OVER w
                        ELSE max(CASE WHEN speaker = 'agent' THEN end_s END) OVER w END AS other_end,
           lag(speaker) OVER (PARTITION BY interaction_id ORDER BY begin_s, turn_no) AS prev_speaker,
           lag(end_s) OVER (PARTITION BY interaction_id ORDER BY begin_s, turn_no) AS prev_time
    FROM turns
    WINDOW w AS (PARTITION BY interaction_id ORDER BY begin_s, turn_no
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
per_turn AS (
    SELECT *,
           greatest(begin_s - coalesce(prev_end_any, 0), 0) AS gap_before_s,
           -- how long this turn runs over the other side's speech (0 when the other side has not spoken)
           CASE WHEN other_end IS NOT NULL THEN least(end_s, other_end) - begin_s ELSE 0 END AS overlap_s,
           CASE WHEN speaker = 'agent' AND prev_speaker = 'customer' THEN begin_s - prev_time END AS agent_response_s,
           CASE WHEN speaker = 'customer' AND prev_speaker = 'agent' THEN begin_s - prev_time END AS customer_response_s
    FROM ordered
),
agent_joined AS (
    -- Contact Lens chats: the agent's participant.joined event, as an offset from the first item
    SELECT c.interaction_id,
           epoch(min(CAST(e.item->>'AbsoluteTime' AS TIMESTAMPTZ)) FILTER (
               WHERE e.item->>'ParticipantRole' = 'AGENT'
                 AND e.item->>'ContentType' LIKE '%participant.joined'))
           - epoch(min(CAST(e.item->>'AbsoluteTime' AS TIMESTAMPTZ))) AS agent_joined_s
    FROM contacts AS c
    JOIN raw.files AS rf ON rf.file_id = c.file_id AND rf.format = 'transcribe_json'  -- Amazon's JSON only
    JOIN raw.records AS r ON r.file_id = c.file_id AND r.record_no = c.record_no
    CROSS JOIN LATERAL (SELECT unnest(CAST(r.payload->'Transcript' AS JSON[])) AS item) AS e
    WHERE c.channel = 'chat' AND contains(CAST(r.payload AS VARCHAR), 'participant.joined')
    GROUP BY c.interaction_id
),
vendor AS (
    -- the vendor's own figures (Amazon ConversationCharacteristics), milliseconds -> seconds
    SELECT c.interaction_id,
           CAST(cc->'$.TalkTime.DetailsByParticipant.AGENT.TotalTimeMillis' AS DOUBLE) / 1000 AS vendor_talk_time_agent_s,
           CAST(cc->'$.TalkTime.DetailsByParticipant.CUSTOMER.TotalTimeMillis' AS DOUBLE) / 1000 AS vendor_talk_time_customer_s,
           CAST(cc->'$.NonTalkTime.TotalTimeMillis' AS DOUBLE) / 1000 AS vendor_non_talk_time_s,
           CASE WHEN json_exists(cc, '$.Interruptions')
                THEN coalesce(json_array_length(cc, '$.Interruptions.InterruptionsByInterrupter.AGENT'), 0) END
               AS vendor_interruptions_agent,
           CASE WHEN json_exists(cc, '$.Interruptions')
                THEN coalesce(json_array_length(cc, '$.Interruptions.InterruptionsByInterrupter.CUSTOMER'), 0) END
               AS vendor_interruptions_customer,
           CAST(cc->'$.ResponseTime.AgentGreetingTimeMillis' AS DOUBLE) / 1000 AS vendor_agent_greeting_s,
           CAST(cc->'$.ResponseTime.DetailsByParticipantRole.AGENT.Average.ValueMillis' AS DOUBLE) / 1000
               AS vendor_agent_response_avg_s,
           CAST(cc->'$.ResponseTime.DetailsByParticipantRole.AGENT.Maximum.ValueMillis' AS DOUBLE) / 1000
               AS vendor_agent_response_max_s
    FROM contacts AS c
    JOIN raw.files AS rf ON rf.file_id = c.file_id AND rf.format = 'transcribe_json'
    JOIN raw.records AS r ON r.file_id = c.file_id AND r.record_no = c.record_no
    CROSS JOIN LATERAL (SELECT r.payload->'ConversationCharacteristics' AS cc) AS x
    WHERE contains(CAST(r.payload AS VARCHAR), '"ConversationCharacteristics"')
),
per_contact AS (
    SELECT interaction_id,
           -- timed speech: a call's turns have lengths; a chat's messages are points in time
           bool_or(length_s > 0) AS has_speech_times,
           max(end_s) AS last_end_s,
           sum(length_s) FILTER (WHERE speaker = 'agent') AS talk_agent,
           sum(length_s) FILTER (WHERE speaker = 'customer') AS talk_customer,
           sum(gap_before_s) FILTER (WHERE gap_before_s >= $silence_gap_s) AS silence_inside,
           max(gap_before_s) AS longest_gap_inside,
           count(*) FILTER (WHERE speaker = 'agent') AS turns_agent,
           count(*) FILTER (WHERE speaker = 'customer') AS turns_customer,
           count(*) FILTER (WHERE speaker = 'agent' AND overlap_s >= $interruption_min_overlap_s
                              AND n_words > $backchannel_max_words) AS interruptions_agent,
           count(*) FILTER (WHERE speaker = 'customer' AND overlap_s >= $interruption_min_overlap_s
                              AND n_words > $backchannel_max_words) AS interruptions_customer,
           min(begin_s) FILTER (WHERE speaker = 'agent') AS first_agent_s,
           avg(agent_response_s) AS agent_response_avg_s,
           max(agent_response_s) AS agent_response_max_s,
           avg(customer_response_s) AS customer_response_avg_s
    FROM per_turn
    GROUP BY interaction_id
),
measured AS (
    SELECT c.interaction_id, c.source_id, c.channel, c.agent_id, c.queue, c.occurred_at,
           greatest(coalesce(c.duration_s, p.last_end_s), p.last_end_s) AS duration_s,
           p.has_speech_times, p.last_end_s, p.talk_agent, p.talk_customer, p.silence_inside,
           p.longest_gap_inside, p.turns_agent, p.turns_customer, p.interruptions_agent,
           p.interruptions_customer, p.first_agent_s, p.agent_response_avg_s, p.agent_response_max_s,
           p.customer_response_avg_s, j.agent_joined_s
    FROM contacts AS c
    JOIN per_contact AS p USING (interaction_id)
    LEFT JOIN agent_joined AS j USING (interaction_id)
),
final AS (
    SELECT m.interaction_id, m.source_id, m.channel, m.agent_id, m.queue, m.occurred_at, m.duration_s,
           CASE WHEN m.has_speech_times THEN coalesce(m.talk_agent, 0) END AS talk_time_agent_s,
           CASE WHEN m.has_speech_times THEN coalesce(m.talk_customer, 0) END AS talk_time_customer_s,
           CASE WHEN m.has_speech_times
                THEN coalesce(m.silence_inside, 0)
                     + CASE WHEN m.duration_s - m.last_end_s >= $silence_gap_s THEN m.duration_s - m.last_end_s ELSE 0 END
           END AS non_talk_time_s,
           CASE WHEN m.has_speech_times THEN greatest(m.longest_gap_inside, m.duration_s - m.last_end_s) END
               AS longest_silence_s,
           CASE WHEN m.has_speech_times THEN m.interruptions_agent END AS interruptions_agent,
           CASE WHEN m.has_speech_times THEN m.interruptions_customer END AS interruptions_customer,
           m.turns_agent, m.turns_customer,
           CASE WHEN m.has_speech_times AND coalesce(m.talk_agent, 0) + coalesce(m.talk_customer, 0) > 0
                THEN coalesce(m.talk_agent, 0) / (coalesce(m.talk_agent, 0) + coalesce(m.talk_customer, 0))
           END AS talk_ratio_agent,
           CASE WHEN m.channel = 'chat' AND m.first_agent_s IS NOT NULL
                THEN greatest(m.first_agent_s - coalesce(m.agent_joined_s, 0), 0) END AS agent_greeting_s,
           m.agent_joined_s IS NOT NULL AS greeting_from_join,
           CASE WHEN m.channel = 'chat' THEN m.agent_response_avg_s END AS agent_response_avg_s,
           CASE WHEN m.channel = 'chat' THEN m.agent_response_max_s END AS agent_response_max_s,
           CASE WHEN m.channel = 'chat' THEN m.customer_response_avg_s END AS customer_response_avg_s,
           v.* EXCLUDE (interaction_id)
    FROM measured AS m
    LEFT JOIN vendor AS v USING (interaction_id)
)
SELECT *,
       non_talk_time_s - vendor_non_talk_time_s AS non_talk_time_diff_s,
       agent_greeting_s - vendor_agent_greeting_s AS agent_greeting_diff_s,
       agent_response_avg_s - vendor_agent_response_avg_s AS agent_response_avg_diff_s,
       interruptions_agent - vendor_interruptions_agent AS interruptions_agent_diff
FROM final
ORDER BY interaction_id
