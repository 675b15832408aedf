-- Newsletter subscriptions. The server reads them to send the news, so they are not
-- sealed to a queue: `data` holds the address, the topics, the language and the token of
-- the subscriber's links, encrypted with the field vault (bound to the row). The token
-- is looked up by its SHA-256, the address (to replace an older subscription of the same
-- address, and to mail one confirmation a day at most) by a keyed HMAC.
CREATE TABLE subscriptions (
    id           TEXT PRIMARY KEY NOT NULL,
    form_id      TEXT NOT NULL,
    address_key  TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    -- NULL until the subscriber follows the link mailed to the address.
    confirmed_at BIGINT,
    -- Deleted then: 48 hours after the sign-up while unconfirmed, else the form's
    -- retention after the last confirmation or change.
    retain_until BIGINT NOT NULL,
    data         BYTEA NOT NULL
);
CREATE INDEX subscriptions_by_address ON subscriptions (form_id, address_key);
CREATE INDEX subscriptions_by_end ON subscriptions (retain_until);

-- Newsletters a caseworker of the form's queue has sent, and how far their delivery has
-- come: the subscriptions are mailed in id order, and `cursor` is the last one done, so
-- that a server that stops resumes where it was. Subject and text are the
-- municipality's news, not anyone's personal data.
CREATE TABLE newsletters (
    id          TEXT PRIMARY KEY NOT NULL,
    form_id     TEXT NOT NULL,
    queue       TEXT NOT NULL,
    topic       TEXT,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    recipients  BIGINT NOT NULL,
    cursor      TEXT NOT NULL DEFAULT '',
    sent        BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    -- A server delivering it holds it until then; another takes over after.
    lease_until BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT
);
CREATE INDEX newsletters_unfinished ON newsletters (finished_at);
