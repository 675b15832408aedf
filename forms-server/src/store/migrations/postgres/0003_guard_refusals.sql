-- How often the content guard refused a message, per day, form and kind. Counts only:
-- nothing of the refused text.
CREATE TABLE guard_refusals (
    day     TEXT NOT NULL,
    form_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    count   BIGINT NOT NULL,
    PRIMARY KEY (day, form_id, kind)
);
