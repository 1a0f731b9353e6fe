-- raw: every file and record as landed (owner: ingest). Never updated, only replaced per file.
CREATE TABLE IF NOT EXISTS raw.files (
    file_id     VARCHAR PRIMARY KEY,   -- sha256 of the content
    path        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,      -- transcripts | emails | social | customers | transactions
    format      VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    size_bytes  BIGINT,
    encoding    VARCHAR,
    loaded_at   TIMESTAMP NOT NULL,
    n_read      BIGINT NOT NULL,
    n_loaded    BIGINT NOT NULL,
    n_rejected  BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.records (
    file_id      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    record_no    BIGINT NOT NULL,      -- 1-based line / record number in the file
    content_hash VARCHAR NOT NULL,
    payload      JSON
);
CREATE TABLE IF NOT EXISTS raw.rejects (
    file_id    VARCHAR NOT NULL,
    path       VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    record_no  BIGINT,
    reason     VARCHAR NOT NULL,
    excerpt    VARCHAR
);
