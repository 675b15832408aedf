-- How many submissions came from one network address in a ten-minute slot, for the
-- hourly limit. The address is kept only as a keyed HMAC, and a slot's row is deleted
-- once it is an hour old.
CREATE TABLE submission_counts (
    source TEXT NOT NULL,
    slot   BIGINT NOT NULL,
    count  BIGINT NOT NULL,
    PRIMARY KEY (source, slot)
);
