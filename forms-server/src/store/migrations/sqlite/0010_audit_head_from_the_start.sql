-- The audit chain's head exists from the start, so that every append locks the same row
-- and reads the chain's true end. Before, the first append of a new database found no
-- head, and two servers appending at once could both start the chain.
-- Entries from before the chain have no hash; the first chained entry follows "".
INSERT INTO audit_head (id, seq, hash)
SELECT 1, COALESCE(MAX(seq), 0), '' FROM audit_log
WHERE NOT EXISTS (SELECT 1 FROM audit_head);
