-- 双人审批: a user's grant of an administrator role (sys_admin, security_admin) waits here for a
-- second administrator; the approved account's holder then sets their own password with a
-- one-time activation code (its keyed hash, when it stops working, wrong tries so far).
CREATE TABLE role_requests (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_by_name TEXT NOT NULL,
    requested_ms BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by_name TEXT,
    decided_ms BIGINT
);
CREATE UNIQUE INDEX role_requests_pending ON role_requests (account_id, role, scope_path) WHERE status = 'pending';
ALTER TABLE accounts ADD COLUMN activation_hash TEXT;
ALTER TABLE accounts ADD COLUMN activation_expires_ms BIGINT;
ALTER TABLE accounts ADD COLUMN activation_tries INTEGER NOT NULL DEFAULT 0;
