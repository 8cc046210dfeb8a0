-- Open311 GeoReport v2: the API keys of the systems that file through it (stored as SM3 hashes,
-- never in clear), the typed attributes of each service (category), and what an Open311
-- submission carries beyond an item (address id, attribute values, media URL, device and account
-- ids of the reporting app).

CREATE TABLE interact_open311_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);
-- One active key per name; a revoked name may be issued again.
CREATE UNIQUE INDEX interact_open311_keys_active ON interact_open311_keys (name) WHERE revoked_ms IS NULL;

CREATE TABLE interact_service_attributes (
    category TEXT NOT NULL REFERENCES interact_categories (code),
    code TEXT NOT NULL,
    datatype TEXT NOT NULL
        CHECK (datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist')),
    required INTEGER NOT NULL,
    variable INTEGER NOT NULL,
    description TEXT NOT NULL,
    datatype_description TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    choices TEXT NOT NULL,
    PRIMARY KEY (category, code)
);

CREATE TABLE interact_open311_requests (
    o311_item_id TEXT PRIMARY KEY REFERENCES interact_items (id),
    o311_key_name TEXT NOT NULL,
    o311_address_id TEXT NOT NULL,
    o311_attributes TEXT NOT NULL,
    o311_media_url TEXT NOT NULL,
    o311_device_id TEXT NOT NULL,
    o311_account_id TEXT NOT NULL
);
