-- Replacing a seal's key (更换印章密钥) makes a successor seal with a new key pair and retires
-- the old one: it signs nothing more, but its certificate stays to verify what it signed.
-- A retired seal's name gets the day it was retired and its key's fingerprint, so its successor
-- keeps the name.
ALTER TABLE seals ADD COLUMN retired_ms BIGINT;
ALTER TABLE seals ADD COLUMN successor_id TEXT;
