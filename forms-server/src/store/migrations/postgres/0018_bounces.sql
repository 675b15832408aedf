-- The newsletter the mail server last took for a subscription's address, until it is
-- known to have arrived (the next newsletter goes out and no bounce mail came back for
-- it) or a bounce mail for it comes back, which counts as a refusal. NULL otherwise.
ALTER TABLE subscriptions ADD COLUMN last_taken TEXT;
