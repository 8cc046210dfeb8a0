-- Uploaded materials (申请材料): stored SM4-GCM encrypted, owned by the applicant until a
-- submission attaches them to its case; and what satisfied each material of a case (an upload,
-- an e-licence the applicant holds, or a field of a shared resource: 免提交).
CREATE TABLE hall_files (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    case_id TEXT REFERENCES hall_cases (id),
    material_code TEXT,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sm3 TEXT NOT NULL,
    body BLOB NOT NULL,
    uploaded_ms INTEGER NOT NULL
);
CREATE INDEX hall_files_owner ON hall_files (owner_id, uploaded_ms);
CREATE INDEX hall_files_case ON hall_files (case_id);

CREATE TABLE hall_case_materials (
    case_id TEXT NOT NULL REFERENCES hall_cases (id),
    material_code TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    file_id TEXT REFERENCES hall_files (id),
    licence_number TEXT,
    resource TEXT,
    field TEXT,
    PRIMARY KEY (case_id, material_code)
);
