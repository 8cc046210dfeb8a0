-- Unified identity: the department tree, accounts with their role grants, server-side sessions,
-- and the department systems (API clients) with their short-lived bearer tokens.

-- 组织机构: city → departments → offices. `path` is the codes from the root down
-- (`/3301/3301-GA/`), so a role scope covers a subtree by prefix.
CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    parent_id TEXT REFERENCES departments (id),
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('city', 'department', 'office')),
    created_ms INTEGER NOT NULL
);
CREATE INDEX departments_parent ON departments (parent_id);

-- Personal data (*_enc) is field-encrypted ciphertext; *_bidx is its keyed blind index, used for
-- uniqueness and equality lookup without decrypting. Nothing personal is stored in clear.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('citizen', 'business', 'staff')),
    display_name TEXT NOT NULL,
    department_id TEXT REFERENCES departments (id),
    password_hash TEXT NOT NULL,
    real_name_enc TEXT,
    id_number_enc TEXT,
    id_number_bidx TEXT UNIQUE,
    credit_code_enc TEXT,
    credit_code_bidx TEXT UNIQUE,
    company_name TEXT,
    contact_name_enc TEXT,
    phone_enc TEXT,
    phone_bidx TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'locked', 'disabled')),
    -- NULL while locked: locked by an administrator until unlocked.
    locked_until_ms INTEGER,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    lockouts INTEGER NOT NULL DEFAULT 0,
    -- A secret with totp_enabled = 0 is a set-up begun but not yet confirmed.
    totp_secret_enc TEXT,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER,
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    last_login_ms INTEGER
);
CREATE INDEX accounts_department ON accounts (department_id);
CREATE INDEX accounts_phone ON accounts (phone_bidx);

CREATE TABLE role_grants (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    granted_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, role, scope_path)
);
CREATE INDEX role_grants_role ON role_grants (role);

-- The session token itself is never stored: only the hex SM3 of its 32 random bytes.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    idle_expires_ms INTEGER NOT NULL,
    absolute_expires_ms INTEGER NOT NULL,
    mfa_state TEXT NOT NULL CHECK (mfa_state IN ('none', 'pending', 'setup_required', 'passed')),
    csrf_token TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    revoked_ms INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (absolute_expires_ms);

-- Department systems. The secret is shown once and kept only as an Argon2id hash.
CREATE TABLE api_clients (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES api_clients (id),
    scopes TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_ms);
