-- Where a forwarded submission was before: each queue it left, and when, so that the
-- caseworkers of that queue delete the copies they pulled of a case that is no longer
-- theirs. References and queue names only, like the tombstones.
CREATE TABLE moved_submissions (
    submission_id TEXT NOT NULL,
    reference     TEXT NOT NULL,
    from_queue    TEXT NOT NULL,
    moved_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX moved_submissions_by_queue ON moved_submissions (from_queue);
