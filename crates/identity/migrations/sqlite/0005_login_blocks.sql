-- Failed sign-ins counted per account and client address: five in a row from one address pause
-- that address's attempts on the account (5 min, doubling to 24 h), while the holder signing in
-- from elsewhere is not stopped. `blocks` counts the pauses (for the doubling), `blocked_ms`
-- when the last began (the holder is shown recent ones). Times are UTC milliseconds.
CREATE TABLE login_blocks (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    source TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    blocks INTEGER NOT NULL DEFAULT 0,
    blocked_ms BIGINT,
    blocked_until_ms BIGINT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, source)
);
