-- 出站地址白名单: the reserved address ranges (内网、本机) the security administrator allows as
-- destinations of a department's webhooks and scheduled pulls. A range on a department applies
-- to its whole subtree. Removed entries are kept with `deleted_ms`. Times are UTC milliseconds.

CREATE TABLE pool_egress_allow (
    id TEXT PRIMARY KEY,
    dept_path TEXT NOT NULL,
    cidr TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    deleted_ms BIGINT
);
CREATE INDEX pool_egress_allow_dept ON pool_egress_allow (deleted_ms, dept_path);
