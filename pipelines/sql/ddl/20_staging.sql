-- staging: typed, unified, redacted (owner: ingest). Timestamps are UTC.
CREATE TABLE IF NOT EXISTS staging.interactions (
    interaction_id    VARCHAR PRIMARY KEY,
    source_id         VARCHAR NOT NULL,
    channel           VARCHAR NOT NULL,   -- call | chat | email | social
    direction         VARCHAR NOT NULL,   -- inbound | outbound
    customer_id       VARCHAR,            -- pseudonym 'cust-<16 hex>' of the CRM id (or of the ref); NULL = anonymous
    customer_ref_type VARCHAR,            -- crm | email | phone | handle
    customer_ref      VARCHAR,            -- keyed hash (HMAC-SHA256) of the normalised reference
    occurred_at       TIMESTAMP NOT NULL,
    text              VARCHAR,            -- customer-side text, redacted
    agent_text        VARCHAR,            -- agent-side text, redacted
    subject           VARCHAR,
    agent_id          VARCHAR,
    duration_s        DOUBLE,
    thread_id         VARCHAR,
    brand             VARCHAR,
    queue             VARCHAR,
    source_category   VARCHAR,            -- the source's own label (evaluation only)
    file_id           VARCHAR NOT NULL,
    record_no         BIGINT
);
CREATE TABLE IF NOT EXISTS staging.turns (
    interaction_id VARCHAR NOT NULL,
    turn_no        INTEGER NOT NULL,
    speaker        VARCHAR NOT NULL,      -- customer | agent | system
    text           VARCHAR,
    begin_s        DOUBLE,
    end_s          DOUBLE,
    file_id        VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS staging.customers (
    customer_id   VARCHAR PRIMARY KEY,    -- pseudonym 'cust-<16 hex>' of the CRM id
    segment       VARCHAR,
    plan          VARCHAR,
    revenue       DOUBLE,                 -- per year
    margin        DOUBLE,                 -- per year, currency
    tenure_months DOUBLE,
    churned       BOOLEAN,
    churned_at    TIMESTAMP,
    clv           DOUBLE,                 -- given by the source, when it has one
    email         VARCHAR,                -- keyed hashes of the normalised identifiers
    phone         VARCHAR,
    handle        VARCHAR,
    file_id       VARCHAR NOT NULL,
    record_no     BIGINT,
    crm_id        VARCHAR                 -- the clear CRM id, only with [ingest] keep_crm_ids = true
);
-- warehouses created before crm_id
ALTER TABLE staging.customers ADD COLUMN IF NOT EXISTS crm_id VARCHAR;
CREATE TABLE IF NOT EXISTS staging.transactions (
    customer_id VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    amount      DOUBLE NOT NULL,
    file_id     VARCHAR NOT NULL,
    record_no   BIGINT
);
CREATE TABLE IF NOT EXISTS staging.identities (
    identifier_type  VARCHAR NOT NULL,   -- email | phone | handle
    identifier_value VARCHAR NOT NULL,   -- keyed hash of the normalised identifier (pipelines.ingest.identity)
    customer_id      VARCHAR NOT NULL
);
