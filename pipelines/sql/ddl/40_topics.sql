-- enriched topics: contact reasons per interaction (owner: topics).
CREATE TABLE IF NOT EXISTS enriched.topics (
    topic_model_version  VARCHAR NOT NULL,
    topic_id             INTEGER NOT NULL,
    topic_label          VARCHAR NOT NULL,
    parent_topic_id      INTEGER,
    parent_topic_label   VARCHAR,
    keywords             VARCHAR[],
    representative_texts VARCHAR[],
    size                 BIGINT,
    PRIMARY KEY (topic_model_version, topic_id)
);
CREATE TABLE IF NOT EXISTS enriched.topic_assignments (
    interaction_id      VARCHAR NOT NULL,
    topic_model_version VARCHAR NOT NULL,
    topic_id            INTEGER NOT NULL,
    topic_label         VARCHAR NOT NULL,
    parent_topic_id     INTEGER,
    parent_topic_label  VARCHAR,
    topic_confidence    DOUBLE,
    topic_source        VARCHAR NOT NULL,  -- model | rule | other
    PRIMARY KEY (interaction_id, topic_model_version)
);
