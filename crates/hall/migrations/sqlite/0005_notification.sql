-- In-app messages (站内消息) written in the transaction of every change a person should hear of:
-- to the applicant (an account id) when their case moves, and to the staff holding a role in a
-- department (`role:<role>:<department path>`) when a task reaches them or the applicant acts.
CREATE TABLE hall_notifications (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES hall_cases (id),
    case_number TEXT NOT NULL,
    item_name TEXT NOT NULL,
    action TEXT NOT NULL,
    message TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    read_ms INTEGER
);
CREATE INDEX hall_notifications_recipient ON hall_notifications (recipient, created_ms);
