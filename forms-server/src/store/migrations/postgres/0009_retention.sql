-- Found by the housekeeping task: submissions whose retention has ended.
CREATE INDEX submissions_by_retain_until ON submissions (retain_until);

-- What stays of a submission deleted when its retention ended: enough for the audit
-- report to name it, nothing of what it said or of who sent it.
CREATE TABLE deleted_submissions (
    id          TEXT PRIMARY KEY NOT NULL,
    reference   TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    queue       TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    deleted_at  BIGINT NOT NULL
);
