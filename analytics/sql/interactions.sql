-- marts.interactions: one row per customer contact (docs/metrics.md "Contacts"): what a customer
-- sent, inbound and not a repost. Agent replies, brand posts and outbound emails are the company's
-- side of the conversation: they live in marts.thread_messages, attached to their thread, and give
-- each contact its first response. Carries the customer, latest scores, current topic and the
-- repeat-contact columns for the default window (docs/metrics.md "Repeat contacts").
WITH RECURSIVE
scores AS (
    -- several model versions may have scored an interaction: the latest wins
    SELECT *
    FROM enriched.interaction_scores
    QUALIFY row_number() OVER (PARTITION BY interaction_id ORDER BY scored_at DESC, model_version DESC) = 1
),
topics AS (
    SELECT * FROM enriched.topic_assignments WHERE topic_model_version = $topic_version
),
data_end AS (
    SELECT max(occurred_at) AS t FROM staging.interactions
),
contacts AS (
    -- marts.thread_messages decides what is a contact (inbound, not a repost): defined once
    SELECT i.* EXCLUDE (file_id, record_no)
    FROM staging.interactions AS i
    JOIN marts.thread_messages AS m USING (interaction_id)
    WHERE m.is_contact
),
replies AS (
    -- the company's messages in a thread, for the first response of each contact
    SELECT thread_id, occurred_at AS reply_at
    FROM marts.thread_messages
    WHERE is_agent_turn AND thread_id IS NOT NULL
),
responded AS (
    SELECT c.interaction_id, r.reply_at AS first_response_at
    FROM contacts AS c
    ASOF LEFT JOIN replies AS r ON c.thread_id = r.thread_id AND r.reply_at >= c.occurred_at
),
base AS (
    SELECT
        i.*,
        c.segment, c.plan, c.revenue, c.churned,
        v.clv, v.clv_method,
        s.model_version, s.language, coalesce(s.is_scored, false) AS is_scored,
        s.sentiment_label, s.sentiment_score, s.top_emotions, s.ekman,
        s.nev_positive, s.nev_negative, s.nev_text,
        s.sentiment_start, s.sentiment_end, s.agent_sentiment_score,
        t.topic_model_version, t.topic_id, t.topic_label, t.parent_topic_id, t.parent_topic_label,
        t.topic_confidence, t.topic_source,
        coalesce(t.topic_label, 'unassigned') AS reason,
        coalesce(t.parent_topic_label, t.topic_label, 'unassigned') AS parent_reason,
        -- "Other", unassigned and mixed contacts (topics whose texts share no phrase) have no known
        -- issue: never the same issue as each other
        CASE WHEN t.topic_label IS NULL OR t.topic_id = -1 OR t.topic_source = 'other'
                  OR t.parent_topic_label = $mixed_reason THEN NULL
             WHEN $same_issue_level = 'reason' THEN t.topic_label
             ELSE coalesce(t.parent_topic_label, t.topic_label) END AS issue_key,
        coalesce(s.sentiment_label = 'negative' OR s.nev_text < 0, false) AS is_negative,
        coalesce(i.duration_s, CASE i.channel
            WHEN 'call' THEN $call_handle_s WHEN 'chat' THEN $chat_handle_s
            WHEN 'email' THEN $email_handle_s ELSE $social_handle_s END) AS handle_time_s,
        CAST(i.occurred_at AS DATE) AS day,
        CAST(date_trunc('week', i.occurred_at) AS DATE) AS week,
        r.first_response_at,
        epoch(r.first_response_at) - epoch(i.occurred_at) AS first_response_s,
        -- answered: an agent spoke in the call/chat, or the thread got a reply within the target
        -- (a call or chat with no agent side in the export is unknown, not unanswered)
        CASE WHEN i.channel IN ('call', 'chat')
             THEN CASE WHEN i.agent_text IS NOT NULL OR r.first_response_at IS NOT NULL THEN true END
             WHEN r.first_response_at IS NOT NULL
                  THEN epoch(r.first_response_at) - epoch(i.occurred_at)
                       <= 3600.0 * CASE i.channel WHEN 'email' THEN $reply_target_hours_email
                                                  ELSE $reply_target_hours_social END
             -- no reply yet, and the target has not passed at the end of the data: not judged yet
             WHEN epoch(d.t) - epoch(i.occurred_at)
                  < 3600.0 * CASE i.channel WHEN 'email' THEN $reply_target_hours_email
                                            ELSE $reply_target_hours_social END THEN NULL
             ELSE false END AS is_answered,
        -- anonymous contacts are never chained
        i.customer_id IS NOT NULL AS candidate,
        (epoch(d.t) - epoch(i.occurred_at)) / 3600.0 < $window_hours AS is_provisional
    FROM contacts AS i
    CROSS JOIN data_end AS d
    LEFT JOIN responded AS r USING (interaction_id)
    LEFT JOIN staging.customers AS c USING (customer_id)
    LEFT JOIN marts.customer_clv AS v USING (customer_id)
    LEFT JOIN scores AS s USING (interaction_id)
    LEFT JOIN topics AS t USING (interaction_id)
),
bursts AS (
    -- runs of contacts each within the transfer gap of the previous one (same channel by default)
    SELECT *,
           sum(CASE WHEN gap_prev_s IS NULL OR gap_prev_s >= $transfer_gap_minutes * 60.0 THEN 1 ELSE 0 END)
               OVER (PARTITION BY customer_id, part ORDER BY occurred_at, interaction_id
                     ROWS UNBOUNDED PRECEDING) AS burst_no
    FROM (
        SELECT interaction_id, customer_id, occurred_at,
               CASE WHEN $same_channel_transfer THEN channel ELSE '' END AS part,
               epoch(occurred_at) - epoch(lag(occurred_at) OVER (
                   PARTITION BY customer_id, CASE WHEN $same_channel_transfer THEN channel ELSE '' END
                   ORDER BY occurred_at, interaction_id)) AS gap_prev_s
        FROM base
        WHERE candidate
    )
),
positioned AS (
    SELECT *,
           row_number() OVER b AS k,
           count(*) OVER (PARTITION BY customer_id, part, burst_no) AS burst_size,
           first_value(interaction_id) OVER b AS burst_first
    FROM bursts
    WINDOW b AS (PARTITION BY customer_id, part, burst_no ORDER BY occurred_at, interaction_id)
),
merged(customer_id, part, burst_no, k, interaction_id, anchor_id, anchor_s) AS (
    -- a transfer is merged into the contact it follows within the gap, and judged by its gap to
    -- THAT contact, not to the previous raw one: walk the bursts of 3+ contacts in order (a burst
    -- of 2 needs no walk: its second contact is within the gap of its first)
    SELECT customer_id, part, burst_no, k, interaction_id, interaction_id, epoch(occurred_at)
    FROM positioned WHERE k = 1 AND burst_size >= 3
    UNION ALL
    SELECT p.customer_id, p.part, p.burst_no, p.k, p.interaction_id,
           CASE WHEN epoch(p.occurred_at) - m.anchor_s < $transfer_gap_minutes * 60.0
                THEN m.anchor_id ELSE p.interaction_id END,
           CASE WHEN epoch(p.occurred_at) - m.anchor_s < $transfer_gap_minutes * 60.0
                THEN m.anchor_s ELSE epoch(p.occurred_at) END
    FROM merged AS m
    JOIN positioned AS p
      ON p.customer_id = m.customer_id AND p.part = m.part AND p.burst_no = m.burst_no AND p.k = m.k + 1
),
transfers AS (
    SELECT p.interaction_id,
           CASE WHEN p.burst_size >= 3 THEN m.anchor_id ELSE p.burst_first END AS merged_into
    FROM positioned AS p
    LEFT JOIN merged AS m USING (interaction_id)
),
sequenced AS (
    SELECT
        b.interaction_id, b.customer_id, b.occurred_at, b.reason, b.issue_key,
        row_number() OVER w AS seq_no,
        lag(b.interaction_id) OVER w AS prev_interaction_id,
        (epoch(b.occurred_at) - epoch(lag(b.occurred_at) OVER w)) / 3600.0 AS hours_since_prev,
        lead(b.interaction_id) OVER w AS next_interaction_id,
        lead(b.channel) OVER w AS next_channel,
        (epoch(lead(b.occurred_at) OVER w) - epoch(b.occurred_at)) / 3600.0 AS hours_to_next,
        -- same issue: the same known issue_key (NULL keys, "Other"/unassigned, never pair up)
        CASE WHEN b.issue_key IS NOT NULL
             THEN (epoch(lead(b.occurred_at) OVER ws) - epoch(b.occurred_at)) / 3600.0 END AS hours_to_next_same,
        CASE WHEN b.issue_key IS NOT NULL
             THEN (epoch(b.occurred_at) - epoch(lag(b.occurred_at) OVER ws)) / 3600.0 END AS hours_since_prev_same,
        CASE WHEN b.issue_key IS NOT NULL THEN lag(b.interaction_id) OVER ws END AS prev_same_interaction_id,
        CASE WHEN b.issue_key IS NOT NULL THEN lag(b.reason) OVER ws END AS prev_same_reason
    FROM base AS b
    JOIN transfers AS x USING (interaction_id)
    WHERE x.merged_into = b.interaction_id
    WINDOW w AS (PARTITION BY b.customer_id ORDER BY b.occurred_at, b.interaction_id),
           ws AS (PARTITION BY b.customer_id, b.issue_key ORDER BY b.occurred_at, b.interaction_id)
),
chain_starts AS (
    -- contacts each within the window of the previous one form a chain; its first is the trigger
    SELECT
        *,
        sum(CASE WHEN hours_since_prev IS NULL OR hours_since_prev > $window_hours THEN 1 ELSE 0 END)
            OVER (PARTITION BY customer_id ORDER BY seq_no ROWS UNBOUNDED PRECEDING) AS chain_no
    FROM sequenced
),
chains AS (
    SELECT
        *,
        first_value(interaction_id) OVER c AS chain_id,
        first_value(reason) OVER c AS trigger_reason,
        row_number() OVER c AS chain_position,
        count(*) OVER (PARTITION BY customer_id, chain_no) AS chain_size
    FROM chain_starts
    WINDOW c AS (PARTITION BY customer_id, chain_no ORDER BY seq_no)
),
final AS (
    SELECT
        b.* EXCLUDE (candidate),
        x.interaction_id IS NOT NULL AND x.merged_into <> b.interaction_id AS is_transfer,
        CASE WHEN x.merged_into <> b.interaction_id THEN x.merged_into END AS merged_into_interaction_id,
        q.interaction_id IS NOT NULL AS in_sequence,
        q.seq_no, q.prev_interaction_id, q.hours_since_prev,
        q.next_interaction_id, q.next_channel, q.hours_to_next, q.hours_to_next_same,
        q.hours_since_prev_same, q.prev_same_interaction_id, q.prev_same_reason,
        coalesce(q.hours_since_prev <= $window_hours, false) AS is_repeat,
        coalesce(q.hours_since_prev_same <= $window_hours, false) AS is_same_issue_repeat,
        CASE WHEN q.interaction_id IS NOT NULL AND NOT b.is_provisional
             THEN coalesce(q.hours_to_next <= $window_hours, false) END AS has_recontact,
        CASE WHEN q.interaction_id IS NOT NULL AND NOT b.is_provisional
             THEN coalesce(q.hours_to_next_same <= $window_hours, false) END AS has_same_issue_recontact,
        q.chain_id, q.chain_id AS trigger_interaction_id, q.trigger_reason, q.chain_position,
        -- repeats blamed on this contact: the rest of its chain when it is the trigger
        CASE WHEN q.chain_position = 1 THEN q.chain_size - 1 ELSE 0 END AS repeats_triggered
    FROM base AS b
    LEFT JOIN transfers AS x USING (interaction_id)
    LEFT JOIN chains AS q USING (interaction_id)
)
SELECT * FROM final
