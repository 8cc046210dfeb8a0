-- When a person's message went out on another channel (e-mail), or was found to have none.
ALTER TABLE hall_notifications ADD COLUMN delivered_ms INTEGER;
CREATE INDEX hall_notifications_outbox ON hall_notifications (delivered_ms, created_ms);
