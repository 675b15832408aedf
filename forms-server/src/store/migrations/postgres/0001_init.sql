-- Submissions: metadata in the clear, the answers only as an age ciphertext.
CREATE TABLE submissions (
    id            TEXT PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE,
    form_id       TEXT NOT NULL,
    schema_sha256 TEXT NOT NULL,
    queue         TEXT NOT NULL,
    status        TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    retain_until  BIGINT NOT NULL,
    sealed        BYTEA NOT NULL
);
CREATE INDEX submissions_by_queue ON submissions (queue, status, received_at);

-- Who did what to which submission, and when. Never content.
CREATE TABLE audit_log (
    seq           BIGSERIAL PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    submission_id TEXT,
    queue         TEXT
);

-- Caseworkers authenticate with a bearer token; only its SHA-256 is kept.
CREATE TABLE caseworkers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE caseworker_queues (
    caseworker_id TEXT NOT NULL REFERENCES caseworkers (id) ON DELETE CASCADE,
    queue         TEXT NOT NULL,
    PRIMARY KEY (caseworker_id, queue)
);
