-- The audit entries of one submission, for the citizen's history of what they sent
-- ("Mine innsendinger") and for a subject access report, without reading the whole log.
CREATE INDEX audit_log_by_submission ON audit_log (submission_id)
    WHERE submission_id IS NOT NULL;
