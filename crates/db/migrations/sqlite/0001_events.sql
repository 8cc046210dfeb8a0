-- Every committed change appends one event in the same transaction. `seq` is gapless and in
-- commit order: it is taken from event_counter, whose row lock serialises appenders until commit.
CREATE TABLE event_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
INSERT INTO event_counter (id, last_seq) VALUES (1, 0);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at_ms INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_dept TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    object_dept TEXT,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX events_at ON events (at_ms);
CREATE INDEX events_actor ON events (actor_name);
CREATE INDEX events_action ON events (action);

CREATE TABLE worker_cursors (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
