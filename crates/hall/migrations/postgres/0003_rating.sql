-- 好差评: the applicant's one rating of a finished case (five levels and a comment), and the
-- rectification (整改) a bad rating opens for the department: due in 15 working days, closed
-- with the measures taken and the call-back (回访) to the applicant.
CREATE TABLE hall_ratings (
    case_id TEXT PRIMARY KEY REFERENCES hall_cases (id),
    applicant_id TEXT NOT NULL,
    dept_path TEXT COLLATE "C" NOT NULL,
    level BIGINT NOT NULL,
    comment TEXT NOT NULL,
    rated_ms BIGINT NOT NULL
);
CREATE INDEX hall_ratings_dept ON hall_ratings (dept_path, rated_ms);

CREATE TABLE hall_rectifications (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE REFERENCES hall_cases (id),
    case_number TEXT NOT NULL,
    item_name TEXT NOT NULL,
    dept_id TEXT NOT NULL,
    dept_path TEXT COLLATE "C" NOT NULL,
    dept_name TEXT NOT NULL,
    level BIGINT NOT NULL,
    complaint TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    measures TEXT NOT NULL,
    callback TEXT NOT NULL,
    applicant_satisfied BIGINT,
    closed_by TEXT,
    closed_ms BIGINT,
    version BIGINT NOT NULL
);
CREATE INDEX hall_rectifications_open ON hall_rectifications (dept_path, status, due_on);
