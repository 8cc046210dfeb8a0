-- The one-stop service hall (一网通办): service items, versioned workflows, cases with their
-- tasks and timeline, and the per-day case number counters. Departments are recorded by
-- identity's id, path and name, never foreign-keyed into identity's tables. Dates are TEXT
-- `Y-m-d` (`9999-12-31` where a due day cannot be counted yet); times are UTC milliseconds;
-- lists are TEXT JSON. Personal form values are stored field-encrypted (`form_sealed`); views
-- read the masked copy (`form_masked`) and decrypt nothing.

CREATE TABLE hall_items (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    item_type TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    conditions TEXT NOT NULL,
    materials TEXT NOT NULL,
    fields TEXT NOT NULL,
    fees TEXT NOT NULL,
    statutory_days INTEGER NOT NULL CHECK (statutory_days BETWEEN 1 AND 365),
    promised_days INTEGER NOT NULL CHECK (promised_days BETWEEN 0 AND 365),
    visits INTEGER NOT NULL CHECK (visits BETWEEN 0 AND 10),
    active INTEGER NOT NULL,
    workflow_version INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX hall_items_dept ON hall_items (dept_path, code);

-- Every saved version of an item's workflow; cases name the version they run on.
CREATE TABLE hall_workflows (
    item_id TEXT NOT NULL REFERENCES hall_items (id),
    version INTEGER NOT NULL,
    steps TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (item_id, version)
);

-- Human case numbers per day: 2026-1123-000123. The row is locked by the submitting
-- transaction until it commits, so numbers are gapless.
CREATE TABLE hall_counters (
    day TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE hall_cases (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    item_id TEXT NOT NULL REFERENCES hall_items (id),
    item_code TEXT NOT NULL,
    item_name TEXT NOT NULL,
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    workflow_version INTEGER NOT NULL,
    applicant_id TEXT NOT NULL,
    applicant_kind TEXT NOT NULL CHECK (applicant_kind IN ('citizen', 'business')),
    submission_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'supplementing', 'in_progress', 'approved',
        'completed', 'denied', 'not_accepted', 'withdrawn')),
    step INTEGER NOT NULL,
    is_open INTEGER NOT NULL,
    form_sealed TEXT NOT NULL,
    form_masked TEXT NOT NULL,
    clock_started TEXT NOT NULL,
    statutory_days INTEGER NOT NULL,
    promised_days INTEGER,
    pauses TEXT NOT NULL,
    clock_finished TEXT,
    statutory_due_on TEXT,
    -- The due day of the limit that applies; NULL while the clock is stopped.
    due_on TEXT,
    used_days INTEGER,
    supplement TEXT,
    extension TEXT,
    decision TEXT,
    submitted_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    version INTEGER NOT NULL,
    UNIQUE (applicant_id, submission_key)
);
CREATE INDEX hall_cases_applicant ON hall_cases (applicant_id, submitted_ms);
-- Supervision: overdue and near-due counts and lists are ranges on (is_open, due_on).
CREATE INDEX hall_cases_open_due ON hall_cases (is_open, due_on, dept_path);
CREATE INDEX hall_cases_dept_due ON hall_cases (dept_path, is_open, due_on);
CREATE INDEX hall_cases_open_statutory ON hall_cases (is_open, statutory_due_on, dept_path);
CREATE INDEX hall_cases_dept_finished ON hall_cases (dept_path, finished_ms);
CREATE INDEX hall_cases_item ON hall_cases (item_id, submitted_ms);

-- One department's turn on one step of a case: what the staff inbox lists.
CREATE TABLE hall_tasks (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES hall_cases (id),
    case_number TEXT NOT NULL,
    item_id TEXT NOT NULL,
    item_name TEXT NOT NULL,
    step INTEGER NOT NULL,
    step_kind TEXT NOT NULL CHECK (step_kind IN ('accept', 'review', 'decide', 'issue')),
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    role TEXT NOT NULL,
    assignee_id TEXT,
    state TEXT NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),
    is_open INTEGER NOT NULL,
    agreed INTEGER,
    opinion TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    done_ms INTEGER,
    done_by TEXT,
    step_due_on TEXT,
    due_on TEXT NOT NULL
);
-- The inbox: one department and role, open, in due order: an index range read in order.
CREATE INDEX hall_tasks_inbox ON hall_tasks (dept_path, role, is_open, due_on, created_ms, id);
CREATE INDEX hall_tasks_assignee ON hall_tasks (assignee_id, is_open, due_on);
CREATE INDEX hall_tasks_case ON hall_tasks (case_id, step);

-- The timeline of a case; internal notes are not public.
CREATE TABLE hall_log (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES hall_cases (id),
    at_ms INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    dept_path TEXT,
    note TEXT NOT NULL,
    is_public INTEGER NOT NULL
);
CREATE INDEX hall_log_case ON hall_log (case_id, at_ms);

-- Per-department totals of finished cases (completed, denied, not accepted), added in the
-- transaction that finishes each case, so the supervisor's average handling time reads a few
-- rows instead of every finished case.
CREATE TABLE hall_dept_stats (
    dept_path TEXT PRIMARY KEY,
    finished INTEGER NOT NULL,
    used_days_total INTEGER NOT NULL,
    handling_ms_total INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
