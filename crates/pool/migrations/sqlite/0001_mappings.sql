-- The pool's own tables. 字段映射: which source column feeds each 信息项 of a resource, saved so
-- a department loading the same layout again need not map it again. Resources are recorded by
-- the catalog's id (and code, for people reading the table), never foreign-keyed into its tables.
-- Times are UTC milliseconds; the mapping is TEXT JSON {"field_code": "source column"}.

CREATE TABLE pool_mappings (
    resource_id TEXT PRIMARY KEY,
    resource_code TEXT NOT NULL,
    mapping TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_ms INTEGER NOT NULL
);
