-- 共享交换用量: calls and records returned by the exchange, per day, resource and calling
-- system, kept as counters by the same transaction that records each read (never recomputed).
-- Paths are department paths (the provider's and the caller's) so each side sees its own usage.

CREATE TABLE exchange_usage (
    day TEXT NOT NULL,
    resource_code TEXT NOT NULL,
    provider_path TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    caller_name TEXT NOT NULL,
    caller_path TEXT NOT NULL,
    calls BIGINT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (day, resource_code, caller_id)
);

CREATE INDEX exchange_usage_provider ON exchange_usage (provider_path, day);
CREATE INDEX exchange_usage_caller ON exchange_usage (caller_path, day);
