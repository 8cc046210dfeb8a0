-- An e-mail address is used for notifications only once its holder has entered the code mailed
-- to it: the code's keyed hash, when it stops working, and the wrong tries so far.
ALTER TABLE accounts ADD COLUMN email_verified_ms BIGINT;
ALTER TABLE accounts ADD COLUMN email_code_hash TEXT;
ALTER TABLE accounts ADD COLUMN email_code_expires_ms BIGINT;
ALTER TABLE accounts ADD COLUMN email_code_tries INTEGER NOT NULL DEFAULT 0;
