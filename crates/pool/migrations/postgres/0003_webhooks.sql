-- 变更通知: webhook subscriptions of department systems to new versions of a resource, and the
-- delivery log fed from the events table (one row per subscription and version event, so a
-- replayed event never queues twice). The signing secret is stored encrypted under the keyring
-- and shown to the subscriber once. Times are UTC milliseconds.

CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL,
    resource_code TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_name TEXT NOT NULL,
    client_path TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- Versions recorded by events after this one are delivered (the subscription's own event).
    since_seq BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    deleted_ms BIGINT
);

CREATE INDEX webhook_subscriptions_resource ON webhook_subscriptions (resource_id, deleted_ms);
CREATE INDEX webhook_subscriptions_client ON webhook_subscriptions (client_id, resource_code);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    event_seq BIGINT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL,
    next_ms BIGINT NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (subscription_id, event_seq)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_ms);
