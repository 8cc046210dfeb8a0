-- Applications in progress (草稿): the applicant's answers between the pages, sealed with SM4
-- like a submitted form, so that every page of an application has its own address. A key names
-- a draft of one owner only, as a submission key names a case of one applicant.
CREATE TABLE hall_drafts (
    owner_id TEXT NOT NULL,
    id TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (owner_id, id)
);
CREATE INDEX hall_drafts_owner ON hall_drafts (owner_id, updated_ms);
