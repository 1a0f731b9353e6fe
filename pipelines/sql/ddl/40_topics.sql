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
    topic_source        VARCHAR NOT NULL,  -- model | crosslingual | rule | label | other
    PRIMARY KEY (interaction_id, topic_model_version)
);
-- Registry of fitted topic models (owner: topics): one row per version, the current one flagged.
CREATE TABLE IF NOT EXISTS enriched.topic_models (
    topic_model_version VARCHAR PRIMARY KEY,
    previous_version    VARCHAR,
    encoder             VARCHAR NOT NULL,
    path                VARCHAR NOT NULL,   -- folder with centroids.safetensors + model.json
    n_docs              BIGINT,
    n_topics            INTEGER,
    other_share         DOUBLE,             -- share of fitted texts left in "other" (-1)
    matched             INTEGER,            -- topics that kept an id from the previous version
    changed             INTEGER,            -- new + retired topics versus the previous version
    taxonomy_digest     VARCHAR,            -- taxonomy file the current assignments used
    is_current          BOOLEAN NOT NULL,
    fitted_at           TIMESTAMP NOT NULL
);
-- Volume per reason per day and per week (input of marts.topic_trends), current model only.
CREATE TABLE IF NOT EXISTS enriched.topic_volume (
    topic_model_version VARCHAR NOT NULL,
    period              VARCHAR NOT NULL,   -- day | week
    period_start        DATE NOT NULL,
    topic_id            INTEGER NOT NULL,
    topic_label         VARCHAR NOT NULL,
    parent_topic_id     INTEGER,
    parent_topic_label  VARCHAR,
    n_interactions      BIGINT NOT NULL
);
