-- A caseworker's pull asks what has left a queue since its last pull, so both kinds of
-- leaving are found by queue and time rather than by reading every tombstone the
-- queue has ever had.
CREATE INDEX deleted_submissions_by_queue ON deleted_submissions (queue, deleted_at);
DROP INDEX moved_submissions_by_queue;
CREATE INDEX moved_submissions_by_queue ON moved_submissions (from_queue, moved_at);
