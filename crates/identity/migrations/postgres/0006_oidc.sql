-- The OIDC provider (统一身份认证) for department systems. Clients are registered per department
-- with exact redirect URIs and a secret kept as an Argon2id hash. Signing keys are wrapped under
-- the master key; a rotated key stays published (retired) so tokens it signed still verify.
-- Codes, access and refresh tokens are kept only as SM3 hashes; a refresh token is used once,
-- and using one twice ends its whole family. Times are UTC milliseconds.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    secret_hash TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    id_token_alg TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE oidc_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    retired_ms BIGINT
);

CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    session_id TEXT NOT NULL,
    family TEXT NOT NULL,
    scope TEXT NOT NULL,
    redirect_uri TEXT NOT NULL DEFAULT '',
    nonce TEXT NOT NULL DEFAULT '',
    challenge TEXT NOT NULL DEFAULT '',
    auth_ms BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (family);
CREATE INDEX oidc_tokens_expiry ON oidc_tokens (expires_ms);

CREATE TABLE oidc_consents (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id),
    scope TEXT NOT NULL,
    granted_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);
