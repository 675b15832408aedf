-- The e-mail address that the national contact register (KRR) had for the sender of a
-- privacy request when they logged in, encrypted with the field vault. With it the
-- caseworker's access report finds the newsletter subscriptions of that address, and
-- an erasure on request ends them. Kept on privacy requests alone, and deleted with
-- the request.
ALTER TABLE submissions ADD COLUMN contact_address BYTEA;
