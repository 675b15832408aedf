-- Citizens' sessions: the cookie holds a random id, the row only its SHA-256. What the
-- session knows of the citizen (identity number, level, contact details, a login under
-- way, answers kept across a login) is in `data`, encrypted with the field vault.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    -- HMAC of ID-porten's `sid`, to end the session on front-channel logout.
    sid_hash   TEXT,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    data       BLOB NOT NULL
) STRICT;
CREATE INDEX sessions_by_sid ON sessions (sid_hash);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);

-- The sender of a submission made after login, as the keyed HMAC of their identity
-- number (never the number), so that they can list their own submissions.
ALTER TABLE submissions ADD COLUMN citizen TEXT;
CREATE INDEX submissions_by_citizen ON submissions (citizen);
