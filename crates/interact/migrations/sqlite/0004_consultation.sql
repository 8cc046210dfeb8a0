-- Consultations on draft policies (意见征集): the draft's sections as JSON; comments with their
-- SimHash, the group of near-identical comments they joined, status and report count; one report
-- per person per comment; the feedback report (采纳情况) per group.
CREATE TABLE interact_consultations (
    id TEXT PRIMARY KEY,
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    sections TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    pre_moderation INTEGER NOT NULL,
    feedback_ms INTEGER,
    created_ms INTEGER NOT NULL
);

CREATE TABLE interact_consultation_comments (
    id TEXT PRIMARY KEY,
    consultation_id TEXT NOT NULL REFERENCES interact_consultations (id),
    section INTEGER NOT NULL,
    author_id TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    simhash TEXT NOT NULL,
    group_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reports INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX interact_comments_consultation ON interact_consultation_comments (consultation_id, section, created_ms);
CREATE INDEX interact_comments_group ON interact_consultation_comments (consultation_id, group_id);

CREATE TABLE interact_comment_reports (
    comment_id TEXT NOT NULL REFERENCES interact_consultation_comments (id),
    reporter_id TEXT NOT NULL,
    reported_ms INTEGER NOT NULL,
    PRIMARY KEY (comment_id, reporter_id)
);

CREATE TABLE interact_consultation_feedback (
    consultation_id TEXT NOT NULL REFERENCES interact_consultations (id),
    group_id TEXT NOT NULL,
    adoption TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (consultation_id, group_id)
);
