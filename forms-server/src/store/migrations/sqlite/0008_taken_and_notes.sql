-- A case in progress is taken by one caseworker (their id).
ALTER TABLE submissions ADD COLUMN taken_by TEXT;

-- Caseworkers' internal notes on a case, sealed on the caseworker's machine to the
-- queue's recipients like the submission itself.
CREATE TABLE notes (
    id            TEXT PRIMARY KEY NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    author        TEXT NOT NULL,
    sealed        BLOB NOT NULL
) STRICT;
CREATE INDEX notes_by_submission ON notes (submission_id, at);
