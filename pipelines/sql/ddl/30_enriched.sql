-- enriched: model outputs tagged with their model version (owner: enrich).
CREATE TABLE IF NOT EXISTS enriched.embeddings (
    text_hash VARCHAR NOT NULL,           -- md5(text)
    encoder   VARCHAR NOT NULL,
    embedding FLOAT[384] NOT NULL,        -- L2-normalised; long texts: mean of chunk vectors
    PRIMARY KEY (text_hash, encoder)
);
CREATE TABLE IF NOT EXISTS enriched.interaction_scores (
    interaction_id        VARCHAR NOT NULL,
    model_version         VARCHAR NOT NULL,
    language              VARCHAR,
    is_scored             BOOLEAN NOT NULL,  -- false: empty or not English; model fields NULL
    skip_reason           VARCHAR,           -- why not scored: empty | no_words | not_english | too_long
    n_chunks              INTEGER,           -- encoder-sized chunks the text was split into
    sentiment_label       VARCHAR,
    sentiment_score       DOUBLE,            -- [-1, 1]
    emotion_probs         FLOAT[28],         -- GoEmotions label order
    top_emotions          VARCHAR[],
    ekman                 VARCHAR,
    nev_positive          DOUBLE,
    nev_negative          DOUBLE,
    nev_text              DOUBLE,            -- NEV (text proxy), NULL when P + N below threshold
    sentiment_start       DOUBLE,            -- calls/chats: first customer turns
    sentiment_end         DOUBLE,            -- calls/chats: last customer turns
    agent_sentiment_score DOUBLE,
    scored_at             TIMESTAMP NOT NULL,
    PRIMARY KEY (interaction_id, model_version)
);
CREATE TABLE IF NOT EXISTS enriched.turn_scores (
    interaction_id  VARCHAR NOT NULL,
    turn_no         INTEGER NOT NULL,
    model_version   VARCHAR NOT NULL,
    speaker         VARCHAR,              -- customer | agent: agent sentiment is kept apart
    language        VARCHAR,
    is_scored       BOOLEAN,
    skip_reason     VARCHAR,
    sentiment_label VARCHAR,
    sentiment_score DOUBLE,
    top_emotion     VARCHAR,
    PRIMARY KEY (interaction_id, turn_no, model_version)
);
CREATE TABLE IF NOT EXISTS enriched.nev_mapping (
    goemotions_label VARCHAR PRIMARY KEY,
    shaw_emotion     VARCHAR,
    shaw_cluster     VARCHAR,             -- Destroying | Attention | Recommendation | Advocacy
    valence          VARCHAR NOT NULL     -- positive | negative | ambiguous | none
);
