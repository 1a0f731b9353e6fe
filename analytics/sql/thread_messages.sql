-- marts.thread_messages: every message of every conversation, customer and company side, in
-- thread order (docs/metrics.md "Contacts"). Outbound rows are agent turns: each is attached to the
-- customer contact it answers (the latest contact of its thread before it), so first response and
-- resolution times come from here. `is_contact` says which rows the contact counts use.
WITH messages AS (
    SELECT i.interaction_id, i.thread_id, i.channel, i.direction, i.customer_id, i.agent_id, i.brand,
           i.queue, i.occurred_at,
           i.direction = 'outbound' AS is_agent_turn,
           i.direction = 'inbound' AND NOT (i.channel = 'social' AND coalesce(i.text, '') LIKE 'RT @%') AS is_contact,
           i.direction = 'inbound' AND i.channel = 'social' AND coalesce(i.text, '') LIKE 'RT @%' AS is_repost
    FROM staging.interactions AS i
),
contacts AS (
    SELECT thread_id, occurred_at AS contact_at, interaction_id AS contact_id
    FROM messages WHERE is_contact AND thread_id IS NOT NULL
),
answered AS (
    -- an agent turn answers the latest customer contact of its thread at or before it
    SELECT m.interaction_id, c.contact_id AS replies_to_interaction_id, c.contact_at
    FROM (SELECT * FROM messages WHERE is_agent_turn AND thread_id IS NOT NULL) AS m
    ASOF JOIN contacts AS c ON m.thread_id = c.thread_id AND m.occurred_at >= c.contact_at
),
final AS (
    SELECT m.*,
           a.replies_to_interaction_id,
           CASE WHEN a.replies_to_interaction_id IS NOT NULL
                THEN epoch(m.occurred_at) - epoch(a.contact_at) END AS seconds_after_contact,
           -- outbound with no customer contact before it in its thread: outreach the company started
           m.is_agent_turn AND a.replies_to_interaction_id IS NULL AS is_outreach,
           row_number() OVER (PARTITION BY m.thread_id ORDER BY m.occurred_at, m.interaction_id) AS thread_position
    FROM messages AS m
    LEFT JOIN answered AS a USING (interaction_id)
)
SELECT * FROM final ORDER BY thread_id, thread_position
