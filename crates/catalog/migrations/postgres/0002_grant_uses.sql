-- What each grant may be used for (prefill, exchange, query). Grants made before uses existed
-- keep ordinary sharing (exchange and query); prefill must be granted by name.
ALTER TABLE grants ADD COLUMN uses TEXT NOT NULL DEFAULT '["exchange","query"]';
