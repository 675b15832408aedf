-- How many newsletters in a row the mail server refused for good at a subscription's
-- address (a permanent 5xx answer, such as "no such mailbox"); at three the
-- subscription ends, so that the municipality stops mailing an address that is gone.
ALTER TABLE subscriptions ADD COLUMN refusals BIGINT NOT NULL DEFAULT 0;
-- The subscriptions a newsletter's delivery ended so.
ALTER TABLE newsletters ADD COLUMN ended BIGINT NOT NULL DEFAULT 0;
