-- Citizen interaction (政民互动): inquiries, complaints, suggestions, help requests and praise,
-- their routing, time limits, replies, ratings, rectifications, escalations, the per-department
-- counters behind the statistics, and the citizens' in-app notifications. Departments are
-- recorded by identity's id and path, never foreign-keyed into identity's tables. Dates are TEXT
-- `Y-m-d`; times are UTC milliseconds; lists are TEXT JSON. Personal data in fields (contact
-- name, phone, e-mail) is stored field-encrypted; `public_*` columns hold the redacted text the
-- public board shows.

CREATE TABLE interact_categories (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- Time limits in working days per kind, optionally per category ('' = every category).
CREATE TABLE interact_time_limits (
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 60),
    updated_by TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, category)
);

-- Routing rules: category (+ district, '' = any) -> responsible department.
CREATE TABLE interact_rules (
    id TEXT PRIMARY KEY,
    category TEXT NOT NULL REFERENCES interact_categories (code),
    district TEXT NOT NULL,
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    UNIQUE (category, district)
);

-- Human numbers per day: 2026-0302-000001.
CREATE TABLE interact_counters (
    day TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

-- One row per anonymous source (blind-indexed key): locked while counting its recent submissions.
CREATE TABLE interact_anonymous_sources (
    source_hash TEXT PRIMARY KEY,
    last_ms INTEGER NOT NULL
);

CREATE TABLE interact_items (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('inquiry', 'complaint', 'suggestion', 'help', 'praise')),
    category TEXT NOT NULL REFERENCES interact_categories (code),
    category_name TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    public_title TEXT NOT NULL,
    public_body TEXT NOT NULL,
    address TEXT NOT NULL,
    district TEXT NOT NULL,
    latitude REAL,
    longitude REAL,
    is_public INTEGER NOT NULL,
    contact_pref TEXT NOT NULL,
    contact_name TEXT,
    contact_phone TEXT,
    contact_phone_index TEXT,
    contact_email TEXT,
    -- The contact as views show it (masked JSON), so reading a list decrypts nothing.
    contact_masked TEXT NOT NULL,
    submitter_kind TEXT NOT NULL CHECK (submitter_kind IN ('citizen', 'anonymous', 'channel')),
    submitter_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    source_hash TEXT,
    dept_id TEXT,
    dept_path TEXT,
    dept_name TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('unassigned', 'in_progress', 'in_review', 'replied', 'closed', 'merged')),
    round INTEGER NOT NULL,
    clock_started TEXT NOT NULL,
    limit_days INTEGER NOT NULL,
    warn_on TEXT,
    due_on TEXT,
    clock_finished TEXT,
    reminded_round INTEGER NOT NULL,
    escalated_round INTEGER NOT NULL,
    transfers INTEGER NOT NULL,
    merged_into TEXT REFERENCES interact_items (id),
    text_hash INTEGER NOT NULL,
    satisfaction TEXT,
    rating_comment TEXT,
    rated_ms INTEGER,
    replied_ms INTEGER,
    published_ms INTEGER,
    public_reply TEXT,
    reply_dept_name TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX interact_items_dept ON interact_items (dept_path, created_ms);
CREATE INDEX interact_items_status_due ON interact_items (status, due_on);
CREATE INDEX interact_items_submitter ON interact_items (submitter_id, created_ms);
CREATE INDEX interact_items_category ON interact_items (category, created_ms);
CREATE INDEX interact_items_created ON interact_items (created_ms);
CREATE INDEX interact_items_board ON interact_items (published_ms);
CREATE INDEX interact_items_source ON interact_items (source_hash, created_ms);
CREATE INDEX interact_items_merged ON interact_items (merged_into);

-- The timeline of an item: every action, with the notes the citizen may see marked public.
CREATE TABLE interact_log (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    at_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    dept_path TEXT,
    note TEXT NOT NULL,
    is_public INTEGER NOT NULL
);
CREATE INDEX interact_log_item ON interact_log (item_id, at_ms);

-- 协办: another department asked to help with an item.
CREATE TABLE interact_assists (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    note TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_ms INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'answered')),
    answer TEXT NOT NULL,
    answered_by TEXT,
    answered_ms INTEGER
);
CREATE INDEX interact_assists_item ON interact_assists (item_id);
CREATE INDEX interact_assists_dept ON interact_assists (dept_path, status);

CREATE TABLE interact_replies (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    round INTEGER NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    body TEXT NOT NULL,
    public_body TEXT NOT NULL,
    flags TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('awaiting_review', 'sent', 'sent_back')),
    publish INTEGER NOT NULL,
    reviewer_id TEXT,
    review_note TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    decided_ms INTEGER
);
CREATE INDEX interact_replies_item ON interact_replies (item_id, created_ms);

-- One rating per item and round, so a double submission cannot rate twice.
CREATE TABLE interact_ratings (
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    round INTEGER NOT NULL,
    satisfaction TEXT NOT NULL CHECK (satisfaction IN ('satisfied', 'basic', 'unsatisfied')),
    comment TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    rated_ms INTEGER NOT NULL,
    PRIMARY KEY (item_id, round)
);

-- 整改: an unsatisfied rating puts the item on the department's rectification list.
CREATE TABLE interact_rectifications (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL UNIQUE REFERENCES interact_items (id),
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    clock_started TEXT NOT NULL,
    limit_days INTEGER NOT NULL,
    due_on TEXT,
    clock_finished TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    escalated INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX interact_rectifications_dept ON interact_rectifications (dept_path, status);

-- Reminders to the handling department and escalations to its leader (督办).
CREATE TABLE interact_escalations (
    id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    item_number TEXT NOT NULL,
    subject TEXT NOT NULL CHECK (subject IN ('item', 'rectification')),
    level TEXT NOT NULL CHECK (level IN ('reminder', 'overdue')),
    round INTEGER NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    due_on TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    acknowledged_by TEXT,
    acknowledged_ms INTEGER,
    UNIQUE (item_id, subject, level, round)
);
CREATE INDEX interact_escalations_dept ON interact_escalations (dept_path, created_ms);

-- Per-department counters, maintained in the transaction of each write.
CREATE TABLE interact_dept_stats (
    dept_path TEXT PRIMARY KEY,
    dept_id TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    received INTEGER NOT NULL,
    transferred_out INTEGER NOT NULL,
    returned INTEGER NOT NULL,
    replied INTEGER NOT NULL,
    replied_on_time INTEGER NOT NULL,
    reply_days_total INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    basic INTEGER NOT NULL,
    unsatisfied INTEGER NOT NULL,
    escalated INTEGER NOT NULL,
    rectifications INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- In-app notifications to citizens, written in the transaction of the change they report.
CREATE TABLE interact_notifications (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL,
    item_id TEXT NOT NULL REFERENCES interact_items (id),
    item_number TEXT NOT NULL,
    event TEXT NOT NULL,
    message TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    read_ms INTEGER
);
CREATE INDEX interact_notifications_recipient ON interact_notifications (recipient_id, created_ms);
