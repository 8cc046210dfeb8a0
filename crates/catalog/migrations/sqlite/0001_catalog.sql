-- The data resource catalog (政务信息资源目录) and the sharing it enforces: resources with their
-- revisions and data versions, sharing requests with their working-day clocks, and grants.
-- Departments and API clients are recorded by identity's id and path, never foreign-keyed into
-- identity's tables. Dates are TEXT `Y-m-d`; times are UTC milliseconds; lists are TEXT JSON.

CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    provider_code TEXT NOT NULL,
    provider_path TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    summary TEXT NOT NULL,
    resource_class TEXT NOT NULL CHECK (resource_class IN ('basic', 'thematic', 'departmental')),
    class_category TEXT NOT NULL,
    class_item TEXT NOT NULL,
    class_detail TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('table', 'file', 'api')),
    -- 信息项: JSON array of fields with their quality rules.
    fields TEXT NOT NULL,
    sharing_class TEXT NOT NULL CHECK (sharing_class IN ('unconditional', 'conditional', 'none')),
    sharing_condition TEXT NOT NULL,
    sharing_basis TEXT NOT NULL,
    open_class TEXT NOT NULL CHECK (open_class IN ('open', 'conditional', 'not_open')),
    update_cycle TEXT NOT NULL
        CHECK (update_cycle IN ('realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular')),
    published_on TEXT,
    related TEXT NOT NULL,
    keywords TEXT NOT NULL,
    -- 0 while the platform holds no data for the resource.
    current_version INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    revision INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX resources_provider ON resources (provider_path);
CREATE INDEX resources_status ON resources (status, open_class);

-- Every revision of a catalog entry, as it stood after the change.
CREATE TABLE resource_revisions (
    resource_id TEXT NOT NULL REFERENCES resources (id),
    revision INTEGER NOT NULL,
    action TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (resource_id, revision)
);

-- Data versions the pool stored (immutable Parquet under lake/<code>/v<version>/).
CREATE TABLE resource_versions (
    resource_id TEXT NOT NULL REFERENCES resources (id),
    version INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    quality_score REAL NOT NULL,
    diff TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (resource_id, version)
);

-- 共享申请. Each timed step keeps its clock: the day it started (day of receipt), its limit in
-- working days, the day it finished, and its pauses (JSON), so readings can be recomputed.
CREATE TABLE sharing_requests (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id),
    requester_kind TEXT NOT NULL CHECK (requester_kind IN ('department', 'api_client')),
    requester_id TEXT NOT NULL,
    requester_path TEXT NOT NULL,
    fields TEXT NOT NULL,
    purpose TEXT NOT NULL,
    scenario TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    sharing_class TEXT NOT NULL CHECK (sharing_class IN ('unconditional', 'conditional', 'none')),
    status TEXT NOT NULL
        CHECK (status IN ('in_review', 'with_provider', 'granted', 'refused', 'disputed', 'withdrawn')),
    refused_by TEXT CHECK (refused_by IN ('catalog', 'authority', 'provider', 'resolution')),
    refusal_reasons TEXT,
    review_started TEXT,
    review_days INTEGER,
    review_finished TEXT,
    review_pauses TEXT,
    review_by TEXT,
    review_note TEXT,
    decision_started TEXT,
    decision_days INTEGER,
    decision_finished TEXT,
    decision_pauses TEXT,
    decision_by TEXT,
    decision_note TEXT,
    dispute_started TEXT,
    dispute_days INTEGER,
    dispute_finished TEXT,
    dispute_pauses TEXT,
    dispute_by TEXT,
    dispute_note TEXT,
    dispute_reasons TEXT NOT NULL,
    grant_id TEXT,
    filed_by TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX sharing_requests_resource ON sharing_requests (resource_id);
CREATE INDEX sharing_requests_requester ON sharing_requests (requester_path);
CREATE INDEX sharing_requests_status ON sharing_requests (status);
-- One open request per requester and resource.
CREATE UNIQUE INDEX sharing_requests_one_open
    ON sharing_requests (resource_id, requester_kind, requester_id, requester_path)
    WHERE status IN ('in_review', 'with_provider', 'disputed');

-- 共享授权: per grantee, per resource, per field. Revocation is immediate (revoked_ms set).
CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id),
    grantee_kind TEXT NOT NULL CHECK (grantee_kind IN ('department', 'api_client')),
    grantee_id TEXT NOT NULL,
    grantee_path TEXT NOT NULL,
    fields TEXT NOT NULL,
    clear_fields TEXT NOT NULL,
    clear_basis TEXT NOT NULL,
    purpose TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    row_filter TEXT,
    source_request TEXT REFERENCES sharing_requests (id),
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    revoked_by TEXT,
    revoke_reason TEXT
);
CREATE INDEX grants_resource ON grants (resource_id);
CREATE INDEX grants_grantee_client ON grants (grantee_kind, grantee_id);
CREATE INDEX grants_grantee_path ON grants (grantee_path);
-- One live grant per grantee and resource: a newer grant revokes the older in the same transaction.
CREATE UNIQUE INDEX grants_one_live ON grants (resource_id, grantee_kind, grantee_id, grantee_path)
    WHERE revoked_ms IS NULL;
