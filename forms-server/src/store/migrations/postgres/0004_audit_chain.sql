-- The audit log as a hash chain: each entry's hash covers its own content and the hash
-- of the entry before it, so an edited, removed or reordered entry breaks the chain.
-- `audit_head` holds the newest entry's seq and hash, so that entries removed from the
-- end show too. Entries written before this migration have no hash.
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
