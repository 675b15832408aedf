-- Caseworker tokens expire, and an administrator can revoke one; either way the token
-- opens nothing afterwards. Tokens issued before this migration have no expiry.
ALTER TABLE caseworkers ADD COLUMN expires_at BIGINT;
ALTER TABLE caseworkers ADD COLUMN revoked_at BIGINT;
