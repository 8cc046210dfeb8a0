-- Surveys (问卷调查): the questions as JSON, one response per account (the primary key refuses
-- a second, however close together they arrive), and the counters every response moves in its
-- own transaction: per question and option or rating level, slot -1 counting who answered.
CREATE TABLE interact_surveys (
    id TEXT PRIMARY KEY,
    dept_id TEXT NOT NULL,
    dept_path TEXT NOT NULL,
    dept_name TEXT NOT NULL,
    title TEXT NOT NULL,
    intro TEXT NOT NULL,
    questions TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    responses INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX interact_surveys_created ON interact_surveys (created_ms);

CREATE TABLE interact_survey_responses (
    survey_id TEXT NOT NULL REFERENCES interact_surveys (id),
    respondent_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    submitted_ms INTEGER NOT NULL,
    PRIMARY KEY (survey_id, respondent_id)
);
CREATE INDEX interact_survey_responses_time ON interact_survey_responses (survey_id, submitted_ms);

CREATE TABLE interact_survey_counts (
    survey_id TEXT NOT NULL REFERENCES interact_surveys (id),
    question INTEGER NOT NULL,
    slot INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (survey_id, question, slot)
);
