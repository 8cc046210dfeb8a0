-- An e-mail address an account holder gave for notifications (encrypted like the phone).
ALTER TABLE accounts ADD COLUMN email_enc TEXT;
