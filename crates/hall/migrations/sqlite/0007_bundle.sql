-- 一件事一次办: a bundle of service items across departments applied for with one form; each
-- application of a bundle makes one case per item, grouped here for the applicant's one timeline.
CREATE TABLE hall_bundles (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    life_event TEXT NOT NULL,
    description TEXT NOT NULL,
    item_codes TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE hall_bundle_cases (
    id TEXT PRIMARY KEY,
    bundle_id TEXT NOT NULL REFERENCES hall_bundles (id),
    bundle_code TEXT NOT NULL,
    bundle_name TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    submission_key TEXT NOT NULL,
    submitted_ms INTEGER NOT NULL,
    UNIQUE (applicant_id, submission_key)
);

CREATE TABLE hall_bundle_members (
    bundle_case_id TEXT NOT NULL REFERENCES hall_bundle_cases (id),
    case_id TEXT NOT NULL UNIQUE REFERENCES hall_cases (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (bundle_case_id, case_id)
);
