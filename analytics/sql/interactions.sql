-- marts.interactions: one row per interaction, with customer, latest scores, current topic and the
-- repeat-contact columns for the default window (domain.md "Repeat contacts, FCR, failure demand").
WITH scores AS (
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
base AS (
    SELECT
        i.* EXCLUDE (file_id, record_no),
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
        coalesce(s.sentiment_label = 'negative' OR s.nev_text < 0, false) AS is_negative,
        coalesce(i.duration_s, CASE i.channel
            WHEN 'call' THEN $call_handle_s WHEN 'chat' THEN $chat_handle_s
            WHEN 'email' THEN $email_handle_s ELSE $social_handle_s END) AS handle_time_s,
        CAST(i.occurred_at AS DATE) AS day,
        CAST(date_trunc('week', i.occurred_at) AS DATE) AS week,
        -- anonymous and company-initiated contacts are never chained
        i.direction = 'inbound' AND i.customer_id IS NOT NULL AS candidate,
        (epoch(d.t) - epoch(i.occurred_at)) / 3600.0 < $window_hours AS is_provisional
    FROM staging.interactions AS i
    CROSS JOIN data_end AS d
    LEFT JOIN staging.customers AS c USING (customer_id)
    LEFT JOIN marts.customer_clv AS v USING (customer_id)
    LEFT JOIN scores AS s USING (interaction_id)
    LEFT JOIN topics AS t USING (interaction_id)
),
transfers AS (
    -- a contact this soon after the previous one (same channel by default) is a transfer or a
    -- dropped call, not a repeat (Capturi's convention)
    SELECT
        interaction_id,
        coalesce(
            epoch(occurred_at) - epoch(lag(occurred_at) OVER (
                PARTITION BY customer_id, CASE WHEN $same_channel_transfer THEN channel ELSE '' END
                ORDER BY occurred_at, interaction_id))
            < $transfer_gap_minutes * 60.0,
            false) AS is_transfer
    FROM base
    WHERE candidate
),
sequenced AS (
    SELECT
        b.interaction_id, b.customer_id, b.occurred_at, b.reason,
        row_number() OVER w AS seq_no,
        lag(b.interaction_id) OVER w AS prev_interaction_id,
        (epoch(b.occurred_at) - epoch(lag(b.occurred_at) OVER w)) / 3600.0 AS hours_since_prev,
        lead(b.interaction_id) OVER w AS next_interaction_id,
        lead(b.channel) OVER w AS next_channel,
        (epoch(lead(b.occurred_at) OVER w) - epoch(b.occurred_at)) / 3600.0 AS hours_to_next,
        (epoch(lead(b.occurred_at) OVER ws) - epoch(b.occurred_at)) / 3600.0 AS hours_to_next_same,
        (epoch(b.occurred_at) - epoch(lag(b.occurred_at) OVER ws)) / 3600.0 AS hours_since_prev_same
    FROM base AS b
    JOIN transfers AS x USING (interaction_id)
    WHERE NOT x.is_transfer
    WINDOW w AS (PARTITION BY b.customer_id ORDER BY b.occurred_at, b.interaction_id),
           ws AS (PARTITION BY b.customer_id, b.reason ORDER BY b.occurred_at, b.interaction_id)
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
        row_number() OVER c AS chain_position
    FROM chain_starts
    WINDOW c AS (PARTITION BY customer_id, chain_no ORDER BY seq_no)
),
final AS (
    SELECT
        b.* EXCLUDE (candidate),
        coalesce(x.is_transfer, false) AS is_transfer,
        q.interaction_id IS NOT NULL AS in_sequence,
        q.seq_no, q.prev_interaction_id, q.hours_since_prev,
        q.next_interaction_id, q.next_channel, q.hours_to_next, q.hours_to_next_same,
        q.hours_since_prev_same,
        coalesce(q.hours_since_prev <= $window_hours, false) AS is_repeat,
        coalesce(q.hours_since_prev_same <= $window_hours, false) AS is_same_issue_repeat,
        CASE WHEN q.interaction_id IS NOT NULL AND NOT b.is_provisional
             THEN coalesce(q.hours_to_next <= $window_hours, false) END AS has_recontact,
        CASE WHEN q.interaction_id IS NOT NULL AND NOT b.is_provisional
             THEN coalesce(q.hours_to_next_same <= $window_hours, false) END AS has_same_issue_recontact,
        q.chain_id, q.chain_id AS trigger_interaction_id, q.trigger_reason, q.chain_position
    FROM base AS b
    LEFT JOIN transfers AS x USING (interaction_id)
    LEFT JOIN chains AS q USING (interaction_id)
)
SELECT * FROM final
