-- Photos and documents sent with an item: metadata stripped from images, content encrypted.
CREATE TABLE interact_attachments (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    position INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sm3 TEXT NOT NULL,
    metadata_removed INTEGER NOT NULL,
    body BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (item_id, position)
);
