-- The hash chain: one entry per event, same seq, appended in seq order and never changed.
-- Hashes are lower-case hex of SM3 digests; at_ms is when the entry was chained.
CREATE TABLE ledger_entries (
    seq INTEGER PRIMARY KEY,
    event_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);

-- Signed checkpoints: the platform's SM2 signature over the chain hash at upto_seq.
CREATE TABLE ledger_checkpoints (
    upto_seq INTEGER PRIMARY KEY,
    chain_hash TEXT NOT NULL,
    signed_ms INTEGER NOT NULL,
    key_fingerprint TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- One row whose lock serialises ledger writers (a second worker, a CLI catch-up) on PostgreSQL,
-- as BEGIN IMMEDIATE already does on SQLite.
CREATE TABLE ledger_writer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    held_ms INTEGER NOT NULL
);
INSERT INTO ledger_writer (id, held_ms) VALUES (1, 0);
