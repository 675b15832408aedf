-- Submissions: metadata in the clear, the answers only as an age ciphertext.
CREATE TABLE submissions (
    id            TEXT PRIMARY KEY NOT NULL,
    reference     TEXT NOT NULL UNIQUE,
    form_id       TEXT NOT NULL,
    schema_sha256 TEXT NOT NULL,
    queue         TEXT NOT NULL,
    status        TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    retain_until  INTEGER NOT NULL,
    sealed        BLOB NOT NULL
) STRICT;
CREATE INDEX submissions_by_queue ON submissions (queue, status, received_at);

-- Who did what to which submission, and when. Never content.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    submission_id TEXT,
    queue         TEXT
) STRICT;

-- Caseworkers authenticate with a bearer token; only its SHA-256 is kept.
CREATE TABLE caseworkers (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE caseworker_queues (
    caseworker_id TEXT NOT NULL REFERENCES caseworkers (id) ON DELETE CASCADE,
    queue         TEXT NOT NULL,
    PRIMARY KEY (caseworker_id, queue)
) STRICT;
