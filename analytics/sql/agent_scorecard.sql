-- marts.agent_scorecard: one row per agent and week (docs/metrics.md "QA scorecards"): the agent's
-- customer contacts, their QA score (marts.qa_results) and failed items, the agent's own sentiment
-- and empathy (share of the agent's scored turns whose top emotion is 'caring' or 'remorse'),
-- the customers' sentiment and its turnaround (end - start of calls/chats), and the FCR proxy and
-- repeat rate of the contacts they handled (judged contacts only, the default window). The team is
-- the queue the agent served most.
WITH scores AS (
    SELECT interaction_id, any_value(score) AS qa_score,
           count(*) FILTER (WHERE result = 'fail') AS qa_fails
    FROM marts.qa_results GROUP BY interaction_id
),
empathy AS (
    -- the agent's own turns: share whose top emotion is GoEmotions' "caring" or "remorse" (the apology)
    SELECT interaction_id, count(top_emotion) AS agent_turns_scored,
           count(*) FILTER (WHERE top_emotion IN ('caring', 'remorse')) AS caring_turns
    FROM marts.turns WHERE speaker = 'agent' GROUP BY interaction_id
),
contacts AS (
    SELECT coalesce(i.agent_id, '(unknown)') AS agent_id, i.week, i.queue, i.interaction_id,
           i.agent_sentiment_score, i.sentiment_score, i.sentiment_end - i.sentiment_start AS turnaround,
           NOT i.is_provisional AS judged, i.has_recontact, i.has_same_issue_recontact,
           s.qa_score, s.qa_fails, e.agent_turns_scored, e.caring_turns
    FROM marts.interactions AS i
    LEFT JOIN scores AS s USING (interaction_id)
    LEFT JOIN empathy AS e USING (interaction_id)
),
teams AS (
    SELECT agent_id, mode(queue) AS team FROM contacts GROUP BY agent_id
),
final AS (
    SELECT c.agent_id, t.team, c.week,
           count(*) AS contacts,
           count(c.qa_score) AS qa_scored,
           avg(c.qa_score) AS qa_score,
           sum(c.qa_fails) AS qa_fails,
           avg(c.agent_sentiment_score) AS agent_sentiment,
           sum(c.caring_turns) / nullif(sum(c.agent_turns_scored), 0) AS empathy_share,
           avg(c.sentiment_score) AS customer_sentiment,
           avg(c.turnaround) AS sentiment_turnaround,
           count(*) FILTER (WHERE c.judged) AS judged,
           1 - count(*) FILTER (WHERE c.judged AND c.has_same_issue_recontact)
               / nullif(count(*) FILTER (WHERE c.judged), 0) AS fcr_proxy,
           count(*) FILTER (WHERE c.judged AND c.has_recontact)
               / nullif(count(*) FILTER (WHERE c.judged), 0) AS repeat_rate
    FROM contacts AS c
    JOIN teams AS t USING (agent_id)
    GROUP BY c.agent_id, t.team, c.week
)
SELECT * FROM final ORDER BY agent_id, week
