-- Department seals (电子印章, GB/T 38540 shape): the public certificate in clear, the SM2 private
-- key only wrapped under the keyring's master key.
CREATE TABLE seals (
    id            TEXT PRIMARY KEY,
    dept_id       TEXT NOT NULL,
    dept_path     TEXT NOT NULL,
    dept_name     TEXT NOT NULL,
    name          TEXT NOT NULL,
    seal_type     TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    private_key   TEXT NOT NULL,
    certificate   TEXT NOT NULL,
    picture_type  TEXT,
    picture       BYTEA,
    created_ms    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    UNIQUE (dept_path, name)
);
CREATE INDEX seals_dept ON seals (dept_path);

-- One gapless sequence of licence numbers per year: the row stays locked until the issuing
-- transaction commits, so a rolled-back issue leaves no hole.
CREATE TABLE licence_counters (
    year      BIGINT PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

-- E-licences (电子证照). The signed file holds the holder's name, so it is field-encrypted; the
-- ID number is encrypted with a blind index for "my licences".
CREATE TABLE licences (
    id                TEXT PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    year              BIGINT NOT NULL,
    seq               BIGINT NOT NULL,
    licence_type      TEXT NOT NULL,
    title             TEXT NOT NULL,
    holder_kind       TEXT NOT NULL,
    holder_masked     TEXT NOT NULL,
    holder_id_enc     TEXT NOT NULL,
    holder_id_bidx    TEXT NOT NULL,
    holder_id_masked  TEXT NOT NULL,
    holder_account    TEXT,
    dept_id           TEXT NOT NULL,
    dept_path         TEXT NOT NULL,
    dept_name         TEXT NOT NULL,
    seal_id           TEXT NOT NULL REFERENCES seals (id),
    valid_from        TEXT NOT NULL,
    valid_to          TEXT,
    case_number       TEXT,
    signed_enc        TEXT NOT NULL,
    issued_ms         BIGINT NOT NULL,
    issued_by         TEXT NOT NULL,
    revoked_ms        BIGINT,
    revoked_reason    TEXT,
    revoked_by        TEXT,
    UNIQUE (year, seq)
);
CREATE INDEX licences_holder ON licences (holder_id_bidx);
CREATE INDEX licences_account ON licences (holder_account);
CREATE INDEX licences_dept ON licences (dept_path, issued_ms);
