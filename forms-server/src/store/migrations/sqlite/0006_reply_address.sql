-- The e-mail address a citizen gave for the answer, encrypted with the field vault and
-- kept apart from the sealed submission, so that the server can send the caseworker's
-- reply; deleted once the reply has gone.
ALTER TABLE submissions ADD COLUMN reply_to BLOB;
