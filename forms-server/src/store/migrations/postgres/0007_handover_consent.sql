-- Whether the citizen allowed the case to be handed to another public body: the form's
-- consent box (read at submission, before sealing) or a consent a caseworker recorded.
-- Only this yes or no is kept in the clear.
ALTER TABLE submissions ADD COLUMN handover_consent INTEGER NOT NULL DEFAULT 0;
