-- When a person's message went out on another channel (e-mail), or was found to have none.
ALTER TABLE interact_notifications ADD COLUMN delivered_ms BIGINT;
CREATE INDEX interact_notifications_outbox ON interact_notifications (delivered_ms, created_ms);
